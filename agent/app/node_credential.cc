#include "agent/app/node_credential.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cleansweep::agent {
namespace {

bool IsNodeKey(absl::string_view key) {
  if (key.size() != 64) return false;
  for (char c : key) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

std::string NodeCredentialPath(absl::string_view state_dir) {
  return absl::StrCat(state_dir, "/node_key");
}

absl::StatusOr<NodeCredential> ParseNodeCredential(absl::string_view text) {
  NodeCredential c;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    if (kv.first == "agent_id" && !kv.second.empty()) {
      c.agent_id = std::string(kv.second);
    } else if (kv.first == "node_key") {
      if (!IsNodeKey(kv.second)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", line_number, ": node_key must be 64 lower-case hex characters"));
      }
      c.node_key = std::string(kv.second);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": expected agent_id=ID or node_key=KEY"));
    }
  }
  if (c.agent_id.empty() || c.node_key.empty()) {
    return absl::InvalidArgumentError("agent_id or node_key missing");
  }
  return c;
}

absl::StatusOr<std::optional<NodeCredential>> LoadNodeCredential(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<NodeCredential>();
    return ErrnoError("cannot open node key file", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return ErrnoError("cannot stat node key file", path);
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrFormat(
        "node key file %s has mode %04o: group or others can read it; run chmod 600 %s "
        "(and consider revoking the agent if the key may have leaked)",
        path, st.st_mode & 07777, path));
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0 && text.size() < 65536) {
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (n < 0) return ErrnoError("cannot read node key file", path);
  absl::StatusOr<NodeCredential> parsed = ParseNodeCredential(text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "node key file ", path, ": ", parsed.status().message(),
        " (delete the file to enroll again with --enroll-secret-file)"));
  }
  return std::optional<NodeCredential>(*std::move(parsed));
}

absl::Status SaveNodeCredential(const std::string& path, const NodeCredential& credential) {
  return WritePrivateFile(
      path, absl::StrCat("# cleansweep agent credential: keep secret (mode 0600)\nagent_id=",
                         credential.agent_id, "\nnode_key=", credential.node_key, "\n"));
}

absl::Status WritePrivateFile(const std::string& path, absl::string_view text) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return ErrnoError("cannot create", tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(fd) == 0;
  if (::close(fd) != 0) ok = false;
  if (!ok) {
    absl::Status error = ErrnoError("cannot write", tmp);
    ::unlink(tmp.c_str());
    return error;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return ErrnoError("cannot rename into", path);
  return absl::OkStatus();
}

}  // namespace cleansweep::agent
