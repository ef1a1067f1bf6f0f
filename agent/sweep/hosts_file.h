// Parser of a hosts file (hosts(5); Windows' drivers\etc\hosts has the same
// format), and the check the sweep makes with it: which entries name a
// protected domain. Mydoom.B rewrote the hosts file so that anti-virus and
// update sites (symantec.com, mcafee.com, windowsupdate.microsoft.com, ...)
// resolved to 0.0.0.0 and the infected PC could not fetch a cure.
//
// Format: one entry per line, "ADDRESS NAME [ALIAS...]", fields separated by
// blanks (space, tab); '#' starts a comment that runs to the end of the line;
// CR before LF is ignored. ADDRESS is IPv4 or IPv6 text (an IPv6 zone
// "%eth0" is accepted and dropped). Names are compared case-insensitively
// and stored lower-cased, a trailing dot removed.
//
// Pure functions over bytes; a line that is not an entry (no valid address,
// no name, a name longer than 253 characters) is counted and skipped.
#ifndef CLEANSWEEP_AGENT_SWEEP_HOSTS_FILE_H_
#define CLEANSWEEP_AGENT_SWEEP_HOSTS_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cleansweep::agent {

struct HostsLine {
  uint32_t line = 0;  // 1-based
  std::string address;
  std::vector<std::string> names;  // lower-case, no trailing dot
};

struct HostsFile {
  std::vector<HostsLine> entries;
  uint64_t malformed_lines = 0;
};

HostsFile ParseHostsFile(absl::string_view text);

// One name of an entry that falls under a protected domain.
struct ProtectedHostsEntry {
  uint32_t line = 0;
  std::string address;
  std::string name;
  std::string domain;  // the protected domain it matched, as normalized
};

// Every (entry, name) whose name equals a domain of `domains` or ends with
// "." + that domain, in file order; a name is reported once, with the first
// domain (in `domains` order) it matched. Domains are normalized like names;
// empty ones match nothing.
std::vector<ProtectedHostsEntry> FindProtectedEntries(const HostsFile& file,
                                                      absl::Span<const std::string> domains);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SWEEP_HOSTS_FILE_H_
