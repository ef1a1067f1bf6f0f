// The logging shim: one line per record on stderr, "2026-11-27T20:40:40Z I agent: text".
// This Abseil release has no absl/log. Thread-safe; a record is written with one write(2).
#ifndef CLEANSWEEP_COMMON_LOGGING_H_
#define CLEANSWEEP_COMMON_LOGGING_H_

#include "absl/strings/string_view.h"

#include "absl/strings/str_format.h"

namespace cleansweep {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Records below `level` are discarded. Default kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Name printed in every record (e.g. "agent", "collector").
void SetLogProgramName(absl::string_view name);

void LogMessage(LogLevel level, absl::string_view message);

template <typename... Args>
void Logf(LogLevel level, const absl::FormatSpec<Args...>& format, const Args&... args) {
  if (level < GetLogLevel()) return;
  LogMessage(level, absl::StrFormat(format, args...));
}

}  // namespace cleansweep

#define LOG_DEBUG(...) ::cleansweep::Logf(::cleansweep::LogLevel::kDebug, __VA_ARGS__)
#define LOG_INFO(...) ::cleansweep::Logf(::cleansweep::LogLevel::kInfo, __VA_ARGS__)
#define LOG_WARNING(...) ::cleansweep::Logf(::cleansweep::LogLevel::kWarning, __VA_ARGS__)
#define LOG_ERROR(...) ::cleansweep::Logf(::cleansweep::LogLevel::kError, __VA_ARGS__)

#endif  // CLEANSWEEP_COMMON_LOGGING_H_
