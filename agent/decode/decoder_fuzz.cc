// libFuzzer target for DecodePacket. The first input byte picks the link type
// (so one corpus covers every link decoder); the rest is the frame. Besides
// "no crash", it checks the contract that a decoded payload lies inside the
// frame.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "agent/decode/decoder.h"

namespace {
constexpr int kLinkTypes[] = {
    cleansweep::agent::kLinkTypeEthernet,  cleansweep::agent::kLinkTypeNull,
    cleansweep::agent::kLinkTypeLoop,      cleansweep::agent::kLinkTypeLinuxSll,
    cleansweep::agent::kLinkTypeLinuxSll2, cleansweep::agent::kLinkTypeRaw,
    cleansweep::agent::kLinkTypeIpv4,      cleansweep::agent::kLinkTypeIpv6,
    cleansweep::agent::kLinkTypeDltRaw12,  /*unknown*/ 147,
};
constexpr size_t kNumLinkTypes = sizeof(kLinkTypes) / sizeof(kLinkTypes[0]);
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int link_type = kLinkTypes[data[0] % kNumLinkTypes];
  const absl::Span<const uint8_t> frame(data + 1, size - 1);
  cleansweep::agent::DecodedPacket p;
  cleansweep::agent::AnomalyCounters anomalies;
  const auto outcome = cleansweep::agent::DecodePacket(link_type, frame, &p, &anomalies);
  if (outcome == cleansweep::agent::DecodeOutcome::kOk) {
    const uint8_t* begin = frame.data();
    const uint8_t* end = frame.data() + frame.size();
    if (!p.payload.empty() && (p.payload.data() < begin || p.payload.data() + p.payload.size() > end)) {
      std::abort();
    }
    if (p.ip_proto != 6 && p.ip_proto != 17) std::abort();
  } else if (outcome == cleansweep::agent::DecodeOutcome::kMalformed && anomalies.Total() == 0) {
    std::abort();  // every malformed frame must be counted
  }
  return 0;
}
