#include "common/time_util.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cleansweep {

absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view text, absl::Time now) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return t;
  if (absl::ParseTime("%Y-%m-%d", s, absl::UTCTimeZone(), &t, &err)) return t;
  if (absl::ConsumePrefix(&s, "@")) {
    int64_t secs;
    if (absl::SimpleAtoi(s, &secs)) return absl::FromUnixSeconds(secs);
  } else {
    absl::ConsumePrefix(&s, "-");
    if (!s.empty()) {
      int64_t n;
      char unit = s.back();
      absl::string_view digits = s.substr(0, s.size() - 1);
      absl::Duration d;
      if (absl::SimpleAtoi(digits, &n) && n >= 0) {
        switch (unit) {
          case 's': return now - absl::Seconds(n);
          case 'm': return now - absl::Minutes(n);
          case 'h': return now - absl::Hours(n);
          case 'd': return now - absl::Hours(24 * n);
          default: break;
        }
      } else if (absl::ParseDuration(s, &d)) {
        return now - d;
      }
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "cannot read time '", text,
      "': use RFC 3339 (2026-11-27T10:00:00Z), a date (2026-11-27), @UNIXSECONDS, "
      "or an age such as 90m, 2h, 7d"));
}

std::string FormatTimeUtc(absl::Time t) {
  if (absl::ToUnixMicros(t) % 1000000 == 0) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
  }
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

}  // namespace cleansweep
