// os-release(5) parsing: the operating system's pretty name from the text of
// /etc/os-release (or /usr/lib/os-release).
//
// Pure functions over text; thread-safe; never fail: malformed lines (no '=',
// a key that is not [A-Za-z0-9_]+, an unterminated quote) are skipped, as
// os-release(5) tells readers to do.
#ifndef CLEANSWEEP_AGENT_HOSTINFO_OS_RELEASE_H_
#define CLEANSWEEP_AGENT_HOSTINFO_OS_RELEASE_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace cleansweep::agent {

// Every well-formed KEY=VALUE assignment, with the value unquoted and
// unescaped the way a shell would (double quotes: \\ \" \$ \` escaped; single
// quotes: literal; unquoted: backslash escapes the next character; adjacent
// quoted parts concatenate). A later assignment of a key wins.
std::map<std::string, std::string> ParseOsReleaseFields(absl::string_view text);

// PRETTY_NAME if set and non-empty; otherwise "NAME VERSION" (NAME alone when
// VERSION is empty), with NAME defaulting to "Linux" as os-release(5) says.
std::string ParseOsRelease(absl::string_view text);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_HOSTINFO_OS_RELEASE_H_
