#include "collector/web/http_user_command.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "collector/cli/cli_util.h"
#include "collector/cli/commands.h"

namespace cleansweep::collector::web {
namespace {

// Reads one line from stdin; on a terminal without echo and with a prompt.
std::string ReadPassword() {
  const bool tty = isatty(STDIN_FILENO);
  termios old_mode{};
  if (tty && tcgetattr(STDIN_FILENO, &old_mode) == 0) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    std::fprintf(stderr, "password: ");
    std::fflush(stderr);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
    std::fprintf(stderr, "\n");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int RunHttpUser(const HttpUserConfig& config) {
  if (config.name.empty() || config.name.find(':') != std::string::npos) {
    return Usage("http-user: NAME must be non-empty and without ':'");
  }
  for (unsigned char c : config.name) {
    if (c < 0x20 || c == 0x7f) return Usage("http-user: NAME has a control character");
  }
  if (config.iterations < kMinPbkdf2Iterations) {
    return Usage(absl::StrCat("http-user: --iterations must be at least ", kMinPbkdf2Iterations));
  }
  const std::string password = ReadPassword();
  absl::StatusOr<std::string> hash = HashPassword(password, config.iterations);
  if (absl::IsInvalidArgument(hash.status())) {
    return Usage(absl::StrCat("http-user: ", hash.status().message(),
                              " (give the password on standard input)"));
  }
  if (!hash.ok()) return Fail(absl::StrCat("http-user: ", hash.status().message()));
  std::printf("%s:%s\n", config.name.c_str(), hash->c_str());
  std::fflush(stdout);
  return std::ferror(stdout) ? kExitFailure : kExitOk;
}

}  // namespace cleansweep::collector::web
