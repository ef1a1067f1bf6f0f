// The outcome vocabulary shared by the per-layer decoders (link_layer.h, ip.h,
// transport.h) and the whole-frame DecodePacket (decoder.h).
//
// A layer decoder returns a LayerResult: what happened, and — when something
// deserves counting — the lower_snake_case name to count in AnomalyCounters.
// The name is always a string literal (static storage), so results are cheap
// 16-byte values returned in registers and nothing is allocated.
#ifndef CLEANSWEEP_AGENT_DECODE_LAYER_RESULT_H_
#define CLEANSWEEP_AGENT_DECODE_LAYER_RESULT_H_

namespace cleansweep::agent {

enum class DecodeOutcome {
  kOk,         // decoded; the output is filled
  kIgnored,    // well-formed, but nothing the observers want (ARP, ICMP, fragments...)
  kMalformed,  // broken or truncated input; `counter` names what was wrong
};

struct LayerResult {
  DecodeOutcome outcome;
  // Anomaly name to count, or nullptr. Always set for kMalformed; set for a
  // few noteworthy kIgnored cases (non-first fragments); may be set on kOk for
  // tolerated oddities (an IPv4 total length of zero from TSO).
  const char* counter;

  static constexpr LayerResult Ok() { return {DecodeOutcome::kOk, nullptr}; }
  static constexpr LayerResult Ignored(const char* counter = nullptr) {
    return {DecodeOutcome::kIgnored, counter};
  }
  static constexpr LayerResult Malformed(const char* counter) {
    return {DecodeOutcome::kMalformed, counter};
  }
  bool ok() const { return outcome == DecodeOutcome::kOk; }
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_DECODE_LAYER_RESULT_H_
