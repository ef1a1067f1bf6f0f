// Line splitting plus command and reply parsing over arbitrary bytes. The
// first byte picks the maximum line length and how the rest is chunked, so
// lines split across calls are exercised too.
#include <cstdint>
#include <cstdlib>

#include "agent/smtp/smtp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t max_line = 16 + (data[0] & 0x3F) * 8;
  const size_t chunk = 1 + (data[0] >> 6) * 7;
  absl::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  cleansweep::agent::LineAssembler lines(max_line);
  size_t i = 0;
  while (i < input.size()) {
    absl::string_view part = input.substr(i, chunk);
    i += part.size();
    absl::string_view line;
    while (true) {
      auto r = lines.Next(&part, &line);
      if (r == cleansweep::agent::LineAssembler::Result::kNeedMore) break;
      if (r != cleansweep::agent::LineAssembler::Result::kLine) continue;
      if (line.size() > max_line) std::abort();
      cleansweep::agent::SmtpCommand cmd = cleansweep::agent::ParseCommand(line);
      if (cmd.address.size() > line.size()) std::abort();
      cleansweep::agent::SmtpReplyLine reply = cleansweep::agent::ParseReplyLine(line);
      if (reply.valid && reply.code > 999) std::abort();
      std::string address;
      cleansweep::agent::ExtractAddress(line, &address);
      if (address.size() > line.size()) std::abort();
    }
    if (!part.empty()) std::abort();
    if (lines.pending_bytes() > max_line + 1) std::abort();
    if ((i / chunk) % 7 == 3) lines.Resync();
  }
  return 0;
}
