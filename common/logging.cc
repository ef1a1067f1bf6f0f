#include "common/logging.h"

#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cleansweep {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
// Set once at start-up from main(), before any thread starts.
std::string* g_program = new std::string("cleansweep");

char LevelChar(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return 'D';
    case LogLevel::kInfo: return 'I';
    case LogLevel::kWarning: return 'W';
    case LogLevel::kError: return 'E';
  }
  return '?';
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }
void SetLogProgramName(absl::string_view name) { *g_program = std::string(name); }

void LogMessage(LogLevel level, absl::string_view message) {
  if (level < GetLogLevel()) return;
  std::string line = absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()), " ",
      std::string(1, LevelChar(level)), " ", *g_program, ": ", message, "\n");
  // One write(2) so concurrent records never interleave mid-line.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace cleansweep
