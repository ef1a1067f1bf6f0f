// Fuzzes the hosts-file parser and the protected-domain check: any bytes
// must give entries and a malformed-line count, never a crash. Properties
// checked: line numbers increase and stay within the text, names are
// non-empty, lower-case and at most 253 characters, and every reported
// protected entry is a name of its line that equals or ends in ".domain".
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "agent/sweep/hosts_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cleansweep::agent;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  const HostsFile file = ParseHostsFile(text);
  uint32_t previous = 0;
  for (const HostsLine& e : file.entries) {
    if (e.line <= previous || e.line > lines || e.names.empty() || e.address.empty()) abort();
    previous = e.line;
    for (const std::string& n : e.names) {
      if (n.empty() || n.size() > 253 || n != absl::AsciiStrToLower(n)) abort();
    }
  }
  const std::vector<std::string> domains = {"symantec.com", "mcafee.com", "", "COM.", "a"};
  for (const ProtectedHostsEntry& p : FindProtectedEntries(file, domains)) {
    if (p.domain.empty()) abort();
    if (p.name != p.domain && !absl::EndsWith(p.name, "." + p.domain)) abort();
  }
  return 0;
}
