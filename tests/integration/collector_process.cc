#include "tests/integration/collector_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

extern char** environ;

namespace cleansweep::testing {

std::string CollectorBinary() { return BinaryDir() + "/bin/cleansweep-collector"; }

TempDir::TempDir() {
  std::string tmpl = ::testing::TempDir() + "/cs_integration_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (!path_.empty()) RunProcess({"/bin/rm", "-rf", path_});
}

void MakePki(const std::string& dir) {
  ProcessResult r = RunProcess({"/bin/bash", SourceDir() + "/deploy/pki.sh", dir});
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
}

std::unique_ptr<CollectorProcess> CollectorProcess::Start(
    const std::vector<std::string>& serve_args, const std::string& stderr_path) {
  std::unique_ptr<CollectorProcess> p(new CollectorProcess());
  p->stderr_path_ = stderr_path;
  int out[2];
  if (pipe(out) != 0) {
    ADD_FAILURE() << "pipe failed";
    return nullptr;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  std::vector<std::string> argv = {CollectorBinary(), "serve"};
  argv.insert(argv.end(), serve_args.begin(), serve_args.end());
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int rc = posix_spawn(&p->pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    p->pid_ = -1;
    ADD_FAILURE() << "cannot start " << argv[0] << ": " << strerror(rc);
    return nullptr;
  }
  p->stdout_fd_ = out[0];
  // Block on the collector's own announcement. The poll timeout only bounds a
  // hung collector; it is not how the test waits for readiness.
  std::string line;
  while (line.find('\n') == std::string::npos) {
    pollfd fd = {p->stdout_fd_, POLLIN, 0};
    if (poll(&fd, 1, 60000) <= 0) break;
    char buf[256];
    ssize_t n = read(p->stdout_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  p->listen_line_ = line.substr(0, line.find('\n'));
  size_t colon = p->listen_line_.rfind(':');
  if (!absl::StartsWith(p->listen_line_, "listening on ") || colon == std::string::npos ||
      !absl::SimpleAtoi(p->listen_line_.substr(colon + 1), &p->port_) || p->port_ <= 0) {
    ADD_FAILURE() << "collector did not announce its port; stdout: '" << line
                  << "' stderr: " << p->stderr_text();
    return nullptr;
  }
  return p;
}

CollectorProcess::~CollectorProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::string CollectorProcess::address() const {
  return listen_line_.substr(std::string("listening on ").size());
}

std::string CollectorProcess::stderr_text() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int CollectorProcess::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void CollectorProcess::Signal(int signal) const {
  if (pid_ > 0) kill(pid_, signal);
}

}  // namespace cleansweep::testing
