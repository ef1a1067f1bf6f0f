// For integration tests: a program running in the background (the real
// collector or agent) with stdout discarded and stderr appended to a file,
// stopped with SIGTERM when the object goes; and waiting for what it does.
#ifndef CLEANSWEEP_TESTS_INTEGRATION_BACKGROUND_PROCESS_H_
#define CLEANSWEEP_TESTS_INTEGRATION_BACKGROUND_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace cleansweep::testing {

class BackgroundProcess {
 public:
  // argv[0] is the program's path. Null (and a test failure) if it cannot be
  // started.
  static std::unique_ptr<BackgroundProcess> Start(std::vector<std::string> argv,
                                                  const std::string& log_path);
  ~BackgroundProcess() { Stop(); }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Still running (not exited and not stopped).
  bool running() const;

  // SIGTERM, then waits; the exit code (128+signal if killed), -1 if already
  // stopped.
  int Stop();

 private:
  BackgroundProcess() = default;
  pid_t pid_ = -1;
};

// Polls `condition` (every 20 ms) until it holds or `timeout` passes, for
// what a background program does in its own time; the wait ends as soon as
// the condition holds. False on timeout.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(60));

}  // namespace cleansweep::testing

#endif  // CLEANSWEEP_TESTS_INTEGRATION_BACKGROUND_PROCESS_H_
