// Byte-stream reassembly for ONE direction of one TCP connection.
//
// Segments go in as (seq, flags, payload) in capture order; the bytes of the
// stream come out in order, each exactly once, through a `StreamConsumer`:
//  - retransmitted and overlapping bytes are delivered only the first time;
//  - segments ahead of the next expected byte are buffered (up to
//    `max_buffered_bytes`, default 64 KiB, and optionally a budget shared by
//    many reassemblers); when the buffer would overflow, or `Flush` is called
//    with data still waiting behind a hole, the hole is declared: the consumer
//    gets `OnGap(n)`, the n bytes are counted as missing and delivery resumes
//    after them;
//  - sequence numbers wrap at 2^32; positions are kept as 64-bit stream
//    offsets internally;
//  - a SYN consumes one sequence number; a stream whose SYN was not captured
//    starts at the first sequence number seen;
//  - a FIN marks the end; `fin_reached()` says every byte before it arrived.
//
// Pure logic, no I/O, no clock. Not thread-safe. The consumer is passed to each
// call (not stored), so a reassembler is a plain movable value.
#ifndef CLEANSWEEP_AGENT_FLOW_TCP_REASSEMBLER_H_
#define CLEANSWEEP_AGENT_FLOW_TCP_REASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cleansweep::agent {

// Receives a stream's bytes in order.
class StreamConsumer {
 public:
  virtual ~StreamConsumer() = default;
  // The next in-order bytes; the view is valid only during the call.
  virtual void OnData(absl::string_view bytes) = 0;
  // `missing` bytes were never captured; the next OnData continues after them.
  virtual void OnGap(uint64_t missing) = 0;
};

// Out-of-order bytes buffered by many reassemblers together (e.g. all the
// connections of one observer). `used` is maintained by the reassemblers.
struct ReassemblyBudget {
  size_t limit = 0;
  size_t used = 0;
};

class TcpReassembler {
 public:
  struct Options {
    // Out-of-order bytes held for this direction before a hole is declared.
    size_t max_buffered_bytes = 64 * 1024;
    // Segments starting further than this beyond the next expected byte are
    // taken as garbage and dropped (counted in `dropped_segments`).
    uint64_t max_window = 1u << 30;
  };

  TcpReassembler() : TcpReassembler(Options()) {}
  // `budget` (optional, not owned) must outlive the reassembler.
  explicit TcpReassembler(const Options& options, ReassemblyBudget* budget = nullptr);
  ~TcpReassembler();
  TcpReassembler(TcpReassembler&& other) noexcept;
  TcpReassembler& operator=(TcpReassembler&& other) noexcept;
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;

  // One captured segment of this direction. `flags` are the TCP flag bits
  // (kTcpSyn, kTcpFin, ... from agent/decode/packet.h).
  void OnSegment(uint32_t seq, uint8_t flags, absl::string_view payload, StreamConsumer* consumer);

  // Declares every remaining hole and delivers all buffered bytes (the
  // connection is over; nothing else will arrive).
  void Flush(StreamConsumer* consumer);

  bool started() const { return started_; }
  bool syn_seen() const { return syn_seen_; }
  uint32_t initial_seq() const { return isn_; }
  bool fin_seen() const { return fin_seen_; }
  // FIN seen and every byte before it delivered.
  bool fin_reached() const { return fin_seen_ && next_ >= fin_offset_; }
  // Bytes delivered to the consumer (each once).
  uint64_t delivered_bytes() const { return delivered_; }
  // Bytes declared missing (holes).
  uint64_t missing_bytes() const { return missing_; }
  // Payload bytes that arrived again after being delivered or buffered.
  uint64_t duplicate_bytes() const { return duplicate_; }
  uint64_t dropped_segments() const { return dropped_segments_; }
  size_t buffered_bytes() const { return buffered_; }

 private:
  // 32-bit sequence number -> signed 64-bit stream offset nearest to next_.
  int64_t Unwrap(uint32_t seq) const;
  void Deliver(absl::string_view bytes, StreamConsumer* consumer);
  // Delivers buffered segments that now touch next_.
  void Drain(StreamConsumer* consumer);
  // Skips the hole before the first buffered segment and drains.
  void SkipToFirstBuffered(StreamConsumer* consumer);
  void Release(size_t n);
  bool Reserve(size_t n);

  Options options_;
  ReassemblyBudget* budget_ = nullptr;
  bool started_ = false;
  bool syn_seen_ = false;
  bool fin_seen_ = false;
  uint32_t isn_ = 0;
  // Stream offset 0 corresponds to sequence number base_seq_.
  uint32_t base_seq_ = 0;
  uint64_t next_ = 0;
  uint64_t fin_offset_ = 0;
  std::map<uint64_t, std::string> pending_;
  size_t buffered_ = 0;
  uint64_t delivered_ = 0;
  uint64_t missing_ = 0;
  uint64_t duplicate_ = 0;
  uint64_t dropped_segments_ = 0;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_FLOW_TCP_REASSEMBLER_H_
