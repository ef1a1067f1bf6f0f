#include "agent/hostinfo/os_release.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cleansweep::agent {
namespace {

bool ValidKey(absl::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// Shell-style unquoting of one value (os-release(5) "follows shell style").
// nullopt when a quote is left open or the line ends in a lone backslash:
// such a line is not a valid assignment.
std::optional<std::string> Unquote(absl::string_view v) {
  std::string out;
  size_t i = 0;
  while (i < v.size()) {
    const char c = v[i];
    if (c == '\'') {
      const size_t end = v.find('\'', i + 1);
      if (end == absl::string_view::npos) return std::nullopt;
      out.append(v.data() + i + 1, end - i - 1);
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        const char d = v[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        // Inside double quotes a backslash escapes only these; before any
        // other character it stays (as in sh).
        if (d == '\\' && i + 1 < v.size() &&
            (v[i + 1] == '\\' || v[i + 1] == '"' || v[i + 1] == '$' || v[i + 1] == '`')) {
          out.push_back(v[i + 1]);
          i += 2;
          continue;
        }
        out.push_back(d);
        ++i;
      }
      if (!closed) return std::nullopt;
    } else if (c == '\\') {
      if (i + 1 >= v.size()) return std::nullopt;
      out.push_back(v[i + 1]);
      i += 2;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> ParseOsReleaseFields(absl::string_view text) {
  std::map<std::string, std::string> fields;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);  // also a trailing '\r'
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, eq);
    if (!ValidKey(key)) continue;
    std::optional<std::string> value = Unquote(line.substr(eq + 1));
    if (!value.has_value()) continue;
    fields[std::string(key)] = *std::move(value);
  }
  return fields;
}

std::string ParseOsRelease(absl::string_view text) {
  const std::map<std::string, std::string> fields = ParseOsReleaseFields(text);
  auto get = [&fields](const char* key) -> std::string {
    auto it = fields.find(key);
    return it == fields.end() ? std::string() : it->second;
  };
  std::string pretty = get("PRETTY_NAME");
  if (!pretty.empty()) return pretty;
  std::string name = get("NAME");
  if (name.empty()) name = "Linux";
  const std::string version = get("VERSION");
  return version.empty() ? name : absl::StrCat(name, " ", version);
}

}  // namespace cleansweep::agent
