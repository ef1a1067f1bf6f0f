// Parsing and printing of times given on command lines and shown to operators.
#ifndef CLEANSWEEP_COMMON_TIME_UTIL_H_
#define CLEANSWEEP_COMMON_TIME_UTIL_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cleansweep {

// Accepts RFC 3339 ("2026-11-27T10:00:00Z", "2026-11-27T10:00:00+01:00"),
// a date ("2026-11-27", midnight UTC), Unix seconds ("@1700000000") or a
// duration before `now` ("90m", "2h", "1d", "-2h"). InvalidArgument otherwise,
// with the accepted forms in the message.
absl::StatusOr<absl::Time> ParseTimeFlag(absl::string_view text, absl::Time now);

// RFC 3339 in UTC with microseconds when present: "2026-11-27T10:00:00.123456Z".
std::string FormatTimeUtc(absl::Time t);

}  // namespace cleansweep

#endif  // CLEANSWEEP_COMMON_TIME_UTIL_H_
