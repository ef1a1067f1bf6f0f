// Feeds a sequence of synthetic segments to one reassembler and checks its
// invariants: delivered + missing bytes equal the stream position, nothing is
// delivered twice, the buffer stays within its cap.
//
// Input format, repeated: seq_delta (2 bytes, signed, relative to the
// previous segment's seq), flags (1 byte), length (1 byte), then `length`
// payload bytes (fewer at the end of the input).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "agent/flow/tcp_reassembler.h"

namespace {
class Checker : public cleansweep::agent::StreamConsumer {
 public:
  void OnData(absl::string_view bytes) override {
    if (bytes.empty()) std::abort();
    position += bytes.size();
  }
  void OnGap(uint64_t missing) override {
    if (missing == 0) std::abort();
    position += missing;
  }
  uint64_t position = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cleansweep::agent::TcpReassembler::Options options;
  options.max_buffered_bytes = 1024;
  cleansweep::agent::ReassemblyBudget budget{1500, 0};
  {
    cleansweep::agent::TcpReassembler r(options, &budget);
    Checker checker;
    uint32_t seq = 0x7FFFFF00u;  // near values that exercise the wrap
    size_t i = 0;
    while (i + 4 <= size) {
      const int16_t delta = static_cast<int16_t>(data[i] | (data[i + 1] << 8));
      const uint8_t flags = data[i + 2];
      size_t len = data[i + 3];
      i += 4;
      if (len > size - i) len = size - i;
      seq += static_cast<uint32_t>(static_cast<int32_t>(delta) * 16);
      r.OnSegment(seq, flags, absl::string_view(reinterpret_cast<const char*>(data + i), len),
                  &checker);
      i += len;
      if (r.buffered_bytes() > options.max_buffered_bytes) std::abort();
      if (checker.position != r.delivered_bytes() + r.missing_bytes()) std::abort();
    }
    r.Flush(&checker);
    if (r.buffered_bytes() != 0) std::abort();
    if (checker.position != r.delivered_bytes() + r.missing_bytes()) std::abort();
  }
  if (budget.used != 0) std::abort();
  return 0;
}
