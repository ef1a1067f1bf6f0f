// The Linux HostInspector: on a directory laid out like /proc (socket
// tables, fd symlinks, comm, exe), and on this machine's real /proc with a
// socket the test itself listens on (oracles: the port from getsockname, our
// pid, the kernel's 15-character comm of this binary and its path).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/sweep/host_inspector.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "/cs_inspector_XXXXXX";
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void Write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

TEST(LinuxHostInspector, ReadsAProcLikeDirectory) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string proc = dir.path() + "/proc";
  Write(proc + "/net/tcp",
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 00000000:0C37 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 "
        "23547 1 0000000000000000 100 0 0 10 0\n"
        "   1: garbage\n");
  // No tcp6 (a kernel without IPv6): not an error. udp6 without udp: udp is.
  Write(proc + "/net/udp6", "  sl  local_address remote_address st\n");
  fs::create_directories(proc + "/4242/fd");
  fs::create_symlink("socket:[23547]", proc + "/4242/fd/3");
  fs::create_symlink("socket:[99999]", proc + "/4242/fd/4");
  fs::create_symlink("/dev/null", proc + "/4242/fd/0");
  fs::create_symlink("/tmp/.x/wormy", proc + "/4242/exe");
  Write(proc + "/4242/comm", "wormy\n");
  fs::create_directories(proc + "/77/fd");
  fs::create_symlink("socket:[23547]", proc + "/77/fd/9");  // shared after fork
  Write(proc + "/77/comm", "wormy-child\n");
  fs::create_directories(proc + "/self");  // not a pid: skipped
  Write(dir.path() + "/hosts", "127.0.0.1 www.symantec.com\n");

  HostInspectorOptions options;
  options.proc_root = proc;
  options.hosts_file = dir.path() + "/hosts";
  HostInspectorPtr inspector = MakeHostInspector(options);
  EXPECT_EQ(inspector->platform(), "linux");

  std::vector<std::string> errors;
  std::vector<HostSocket> sockets = inspector->Sockets(&errors);
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(sockets[0].transport, cleansweep::v1::TRANSPORT_TCP);
  EXPECT_EQ(sockets[0].socket.local_port, 3127);
  EXPECT_EQ(sockets[0].socket.inode, 23547u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "1 line(s) of " + proc + "/net/tcp did not parse");
  EXPECT_EQ(errors[1], "cannot read " + proc + "/net/udp: No such file or directory");

  errors.clear();
  SocketOwners owners = inspector->Owners({23547, 5}, 8, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(owners.by_inode.size(), 1u);
  const auto& held = owners.by_inode[23547];
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].pid(), 77u);  // in pid order
  EXPECT_EQ(held[0].name(), "wormy-child");
  EXPECT_EQ(held[0].exe(), "");  // no exe link
  EXPECT_EQ(held[1].pid(), 4242u);
  EXPECT_EQ(held[1].name(), "wormy");
  EXPECT_EQ(held[1].exe(), "/tmp/.x/wormy");
  EXPECT_EQ(inspector->Owners({23547}, 1, &errors).by_inode[23547].size(), 1u);

  EXPECT_EQ(inspector->hosts_file_path(), dir.path() + "/hosts");
  absl::StatusOr<std::string> hosts = inspector->ReadHostsFile();
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_EQ(*hosts, "127.0.0.1 www.symantec.com\n");

  options.hosts_file = dir.path() + "/missing";
  hosts = MakeHostInspector(options)->ReadHostsFile();
  EXPECT_TRUE(absl::IsNotFound(hosts.status())) << hosts.status();
  EXPECT_EQ(hosts.status().message(),
            "cannot read " + dir.path() + "/missing: No such file or directory");
}

TEST(LinuxHostInspector, FindsThisProcessListeningOnTheRealProc) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint16_t port = ntohs(addr.sin_port);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);  // a socket's inode, as /proc/net/tcp shows it

  HostInspectorPtr inspector = MakeHostInspector({});
  std::vector<std::string> errors;
  uint64_t inode = 0;
  for (const HostSocket& s : inspector->Sockets(&errors)) {
    if (s.transport == cleansweep::v1::TRANSPORT_TCP && s.socket.local_port == port &&
        s.socket.state == kTcpListen && s.socket.local.ToString() == "127.0.0.1") {
      inode = s.socket.inode;
    }
  }
  ASSERT_NE(inode, 0u) << "port " << port << " not found listening";
  EXPECT_EQ(inode, static_cast<uint64_t>(st.st_ino));
  SocketOwners owners = inspector->Owners({inode}, 8, &errors);
  ASSERT_EQ(owners.by_inode[inode].size(), 1u);
  const cleansweep::v1::ProcessInfo& me = owners.by_inode[inode][0];
  EXPECT_EQ(me.pid(), static_cast<uint32_t>(getpid()));
  // The kernel keeps the first 15 characters of the executable's name.
  EXPECT_EQ(me.name(), std::string("host_inspector_linux_test").substr(0, 15));
  if (const char* bin = std::getenv("CLEANSWEEP_BINARY_DIR")) {
    EXPECT_EQ(me.exe(), fs::canonical(std::string(bin) + "/tests/host_inspector_linux_test"));
  }
  close(fd);
}

}  // namespace
}  // namespace cleansweep::agent
