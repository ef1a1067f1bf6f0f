// The Linux HostInspector: socket tables from /proc/net, socket owners from
// /proc/PID/fd (each open socket is a symlink "socket:[INODE]"), process
// names from /proc/PID/comm and /proc/PID/exe, the hosts file from /etc/hosts.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/sweep/host_inspector.h"

namespace cleansweep::agent {
namespace {

// /proc/net/tcp of a busy server is a few MB; a hosts file with a large
// block list about as much. Beyond these something is wrong.
constexpr size_t kMaxTableBytes = 64 << 20;
constexpr size_t kMaxHostsBytes = 16 << 20;

// Reads a whole file, including /proc files whose size is reported as 0.
// errno-style failure: NotFound for ENOENT, PermissionDenied for EACCES.
absl::StatusOr<std::string> ReadWhole(const std::string& path, size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    const std::string what = absl::StrCat("cannot read ", path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(what);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(what);
    return absl::UnavailableError(what);
  }
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", std::strerror(err)));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > limit) {
      ::close(fd);
      return absl::ResourceExhaustedError(
          absl::StrCat(path, " is larger than ", limit >> 20, " MiB; not read"));
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// "socket:[12345]" → 12345.
bool SocketInode(absl::string_view link, uint64_t* inode) {
  if (!absl::ConsumePrefix(&link, "socket:[") || !absl::ConsumeSuffix(&link, "]")) return false;
  return absl::SimpleAtoi(link, inode);
}

std::string ReadLink(int dir_fd, const char* name) {
  char buf[4096];
  const ssize_t n = ::readlinkat(dir_fd, name, buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

class LinuxHostInspector final : public HostInspector {
 public:
  explicit LinuxHostInspector(const HostInspectorOptions& options)
      : proc_(options.proc_root),
        hosts_(options.hosts_file.empty() ? "/etc/hosts" : options.hosts_file) {}

  std::string platform() const override { return "linux"; }

  std::vector<HostSocket> Sockets(std::vector<std::string>* errors) override {
    struct Table {
      const char* name;
      cleansweep::v1::Transport transport;
      bool ipv6;
    };
    static constexpr Table kTables[] = {{"tcp", cleansweep::v1::TRANSPORT_TCP, false},
                                        {"tcp6", cleansweep::v1::TRANSPORT_TCP, true},
                                        {"udp", cleansweep::v1::TRANSPORT_UDP, false},
                                        {"udp6", cleansweep::v1::TRANSPORT_UDP, true}};
    std::vector<HostSocket> out;
    for (const Table& t : kTables) {
      const std::string path = absl::StrCat(proc_, "/net/", t.name);
      absl::StatusOr<std::string> text = ReadWhole(path, kMaxTableBytes);
      if (!text.ok()) {
        // A kernel without IPv6 has no tcp6/udp6: nothing to check there.
        if (!(t.ipv6 && absl::IsNotFound(text.status()))) {
          errors->push_back(std::string(text.status().message()));
        }
        continue;
      }
      ProcNetTable table = ParseProcNet(*text);
      if (table.malformed_lines > 0) {
        errors->push_back(
            absl::StrCat(table.malformed_lines, " line(s) of ", path, " did not parse"));
      }
      for (const ProcNetSocket& s : table.sockets) out.push_back({t.transport, s});
    }
    return out;
  }

  SocketOwners Owners(const absl::flat_hash_set<uint64_t>& inodes, size_t max_per_socket,
                      std::vector<std::string>* errors) override {
    SocketOwners owners;
    if (inodes.empty()) return owners;
    DIR* proc = ::opendir(proc_.c_str());
    if (proc == nullptr) {
      errors->push_back(absl::StrCat("cannot list ", proc_, ": ", std::strerror(errno)));
      return owners;
    }
    // pid → the inodes it holds; names are read once per process found.
    std::map<uint32_t, std::vector<uint64_t>> holders;
    while (dirent* e = ::readdir(proc)) {
      uint32_t pid = 0;
      if (!absl::SimpleAtoi(e->d_name, &pid) || pid == 0) continue;
      const std::string fd_dir = absl::StrCat(proc_, "/", e->d_name, "/fd");
      const int dir_fd = ::open(fd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd < 0) {
        // ENOENT: the process ended meanwhile. EACCES: another user's.
        if (errno == EACCES || errno == EPERM) ++owners.uninspectable_processes;
        continue;
      }
      DIR* fds = ::fdopendir(dir_fd);
      if (fds == nullptr) {
        ::close(dir_fd);
        continue;
      }
      while (dirent* f = ::readdir(fds)) {
        if (f->d_name[0] == '.') continue;
        uint64_t inode = 0;
        if (SocketInode(ReadLink(dir_fd, f->d_name), &inode) && inodes.contains(inode)) {
          holders[pid].push_back(inode);
        }
      }
      ::closedir(fds);  // closes dir_fd
    }
    ::closedir(proc);
    for (const auto& [pid, held] : holders) {
      cleansweep::v1::ProcessInfo info;
      info.set_pid(pid);
      const std::string dir = absl::StrCat(proc_, "/", pid);
      absl::StatusOr<std::string> comm = ReadWhole(dir + "/comm", 4096);
      if (comm.ok()) info.set_name(std::string(absl::StripTrailingAsciiWhitespace(*comm)));
      const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dir_fd >= 0) {
        info.set_exe(ReadLink(dir_fd, "exe"));
        ::close(dir_fd);
      }
      for (uint64_t inode : held) {
        std::vector<cleansweep::v1::ProcessInfo>& list = owners.by_inode[inode];
        // One process may hold the socket through several descriptors.
        bool listed = false;
        for (const auto& p : list) listed = listed || p.pid() == pid;
        if (!listed && list.size() < max_per_socket) list.push_back(info);
      }
    }
    return owners;
  }

  std::string hosts_file_path() const override { return hosts_; }

  absl::StatusOr<std::string> ReadHostsFile() override { return ReadWhole(hosts_, kMaxHostsBytes); }

 private:
  const std::string proc_;
  const std::string hosts_;
};

}  // namespace

HostInspectorPtr MakeHostInspector(const HostInspectorOptions& options) {
  return std::make_unique<LinuxHostInspector>(options);
}

}  // namespace cleansweep::agent
