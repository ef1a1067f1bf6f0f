#include "agent/sweep/hosts_file.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cleansweep::agent {
namespace {

// The longest DNS name in text form (RFC 1035 2.3.4: 255 octets on the
// wire, 253 characters written).
constexpr size_t kMaxName = 253;

bool IsAddress(absl::string_view text) {
  // inet_pton needs a NUL-terminated string; INET6_ADDRSTRLEN bounds both forms.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  char buf[INET6_ADDRSTRLEN];
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  unsigned char out[16];
  return inet_pton(AF_INET, buf, out) == 1 || inet_pton(AF_INET6, buf, out) == 1;
}

std::string Normalize(absl::string_view name) {
  std::string s = absl::AsciiStrToLower(name);
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool UnderDomain(absl::string_view name, absl::string_view domain) {
  if (domain.empty()) return false;
  if (name == domain) return true;
  return name.size() > domain.size() && absl::EndsWith(name, domain) &&
         name[name.size() - domain.size() - 1] == '.';
}

}  // namespace

HostsFile ParseHostsFile(absl::string_view text) {
  HostsFile file;
  uint32_t number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    const size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r\v\f"), absl::SkipEmpty());
    if (fields.empty()) continue;  // blank or comment only
    absl::string_view address = fields[0];
    const size_t zone = address.find('%');
    if (zone != absl::string_view::npos) address = address.substr(0, zone);
    if (!IsAddress(address) || fields.size() < 2) {
      ++file.malformed_lines;
      continue;
    }
    HostsLine entry;
    entry.line = number;
    entry.address = std::string(address);
    bool bad = false;
    for (size_t i = 1; i < fields.size(); ++i) {
      std::string name = Normalize(fields[i]);
      if (name.empty() || name.size() > kMaxName) {
        bad = true;
        continue;
      }
      entry.names.push_back(std::move(name));
    }
    if (bad) ++file.malformed_lines;
    if (!entry.names.empty()) file.entries.push_back(std::move(entry));
  }
  return file;
}

std::vector<ProtectedHostsEntry> FindProtectedEntries(const HostsFile& file,
                                                      absl::Span<const std::string> domains) {
  std::vector<std::string> normalized;
  normalized.reserve(domains.size());
  for (const std::string& d : domains) normalized.push_back(Normalize(d));
  std::vector<ProtectedHostsEntry> found;
  for (const HostsLine& entry : file.entries) {
    for (const std::string& name : entry.names) {
      for (const std::string& domain : normalized) {
        if (!UnderDomain(name, domain)) continue;
        found.push_back({entry.line, entry.address, name, domain});
        break;
      }
    }
  }
  return found;
}

}  // namespace cleansweep::agent
