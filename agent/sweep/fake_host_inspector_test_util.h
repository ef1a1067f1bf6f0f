// Test-only: a HostInspector that answers from fixed tables, and counts how
// often it was asked.
#ifndef CLEANSWEEP_AGENT_SWEEP_FAKE_HOST_INSPECTOR_TEST_UTIL_H_
#define CLEANSWEEP_AGENT_SWEEP_FAKE_HOST_INSPECTOR_TEST_UTIL_H_

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/sweep/host_inspector.h"

namespace cleansweep::agent::testing {

struct FakeHost {
  std::vector<HostSocket> sockets;
  std::map<uint64_t, std::vector<cleansweep::v1::ProcessInfo>> owners;
  std::vector<std::string> socket_errors;
  std::string hosts_path = "/etc/hosts";
  absl::StatusOr<std::string> hosts = std::string("127.0.0.1 localhost\n");
  uint64_t uninspectable = 0;
};

class FakeHostInspector : public HostInspector {
 public:
  explicit FakeHostInspector(FakeHost* host) : host_(host) {}
  std::string platform() const override { return "fake"; }
  std::vector<HostSocket> Sockets(std::vector<std::string>* errors) override {
    ++socket_reads;
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& e : host_->socket_errors) errors->push_back(e);
    return host_->sockets;
  }
  SocketOwners Owners(const absl::flat_hash_set<uint64_t>& inodes, size_t max_per_socket,
                      std::vector<std::string>* errors) override {
    std::lock_guard<std::mutex> lock(mu);
    SocketOwners o;
    o.uninspectable_processes = host_->uninspectable;
    for (uint64_t inode : inodes) {
      auto it = host_->owners.find(inode);
      if (it == host_->owners.end()) continue;
      for (const auto& p : it->second) {
        if (o.by_inode[inode].size() < max_per_socket) o.by_inode[inode].push_back(p);
      }
    }
    return o;
  }
  std::string hosts_file_path() const override { return host_->hosts_path; }
  absl::StatusOr<std::string> ReadHostsFile() override { return host_->hosts; }

  std::mutex mu;  // guards *host_ while a test changes it
  std::atomic<int> socket_reads{0};

 private:
  FakeHost* host_;
};

inline IpAddress Ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return IpAddress::V4(a, b, c, d);
}

inline HostSocket Tcp(IpAddress local, uint16_t lport, IpAddress remote, uint16_t rport,
                      uint8_t state, uint64_t inode) {
  HostSocket s;
  s.transport = cleansweep::v1::TRANSPORT_TCP;
  s.socket.local = local;
  s.socket.local_port = lport;
  s.socket.remote = remote;
  s.socket.remote_port = rport;
  s.socket.state = state;
  s.socket.inode = inode;
  return s;
}

inline cleansweep::v1::ProcessInfo Process(uint32_t pid, const std::string& name,
                                           const std::string& exe) {
  cleansweep::v1::ProcessInfo p;
  p.set_pid(pid);
  p.set_name(name);
  p.set_exe(exe);
  return p;
}

}  // namespace cleansweep::agent::testing

#endif  // CLEANSWEEP_AGENT_SWEEP_FAKE_HOST_INSPECTOR_TEST_UTIL_H_
