// Test helpers that run the real collector binary and the development PKI.
//
// CollectorProcess spawns `build/bin/cleansweep-collector serve ...` with its
// stdout on a pipe and blocks until the "listening on HOST:PORT" line arrives:
// synchronisation on what the program prints, never on sleeping. Its stderr
// goes to a file so a chatty collector can never block on a full pipe.
#ifndef CLEANSWEEP_TESTS_INTEGRATION_COLLECTOR_PROCESS_H_
#define CLEANSWEEP_TESTS_INTEGRATION_COLLECTOR_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace cleansweep::testing {

std::string CollectorBinary();

// A fresh directory under the test temp dir; removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs deploy/pki.sh DIR; fails the current test on error.
void MakePki(const std::string& dir);

class CollectorProcess {
 public:
  // `serve_args` follow "serve". Returns null (and fails the test with the
  // collector's stderr) if it exits or closes stdout before listening.
  static std::unique_ptr<CollectorProcess> Start(const std::vector<std::string>& serve_args,
                                                 const std::string& stderr_path);
  ~CollectorProcess();  // SIGKILL if still running

  int port() const { return port_; }
  std::string address() const;  // 127.0.0.1:PORT as printed
  std::string stderr_text() const;

  // SIGTERM, then waits; returns the exit code (128+signal if killed).
  int Terminate();
  // Sends `signal` (e.g. SIGHUP) and returns at once.
  void Signal(int signal) const;

 private:
  CollectorProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  std::string listen_line_;
  std::string stderr_path_;
};

}  // namespace cleansweep::testing

#endif  // CLEANSWEEP_TESTS_INTEGRATION_COLLECTOR_PROCESS_H_
