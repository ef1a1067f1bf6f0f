// HostInspector: what the sweep (and the SMTP process attribution) need to
// know about the agent's own host, behind one interface so that each platform
// provides its own: Linux reads /proc and /etc/hosts
// (host_inspector_linux.cc); another platform (Windows: GetExtendedTcpTable,
// drivers\etc\hosts) adds a file that defines MakeHostInspector.
//
// Errors are reported as sentences appended to `errors` (what could not be
// read and why), and what could be read is still returned: a sweep states
// what it checked and what it could not.
//
// Thread-safety: an inspector is used by one thread at a time.
#ifndef CLEANSWEEP_AGENT_SWEEP_HOST_INSPECTOR_H_
#define CLEANSWEEP_AGENT_SWEEP_HOST_INSPECTOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "agent/sweep/proc_net.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "cleansweep/v1/event.pb.h"

namespace cleansweep::agent {

struct HostSocket {
  cleansweep::v1::Transport transport = cleansweep::v1::TRANSPORT_UNSPECIFIED;
  ProcNetSocket socket;
};

// The processes holding some sockets, by socket inode.
struct SocketOwners {
  absl::flat_hash_map<uint64_t, std::vector<cleansweep::v1::ProcessInfo>> by_inode;
  // Processes whose open files could not be listed (not ours, without root).
  uint64_t uninspectable_processes = 0;
};

class HostInspector {
 public:
  virtual ~HostInspector() = default;

  // "linux", ...: SweepResult.platform.
  virtual std::string platform() const = 0;

  // Every TCP and UDP socket of the host, IPv4 and IPv6.
  virtual std::vector<HostSocket> Sockets(std::vector<std::string>* errors) = 0;

  // The processes holding each of `inodes` (inodes nobody holds are absent).
  // At most `max_per_socket` processes per socket.
  virtual SocketOwners Owners(const absl::flat_hash_set<uint64_t>& inodes, size_t max_per_socket,
                              std::vector<std::string>* errors) = 0;

  // The hosts file: its path (SweepResult.hosts_file) and its contents.
  virtual std::string hosts_file_path() const = 0;
  virtual absl::StatusOr<std::string> ReadHostsFile() = 0;
};

using HostInspectorPtr = std::unique_ptr<HostInspector>;

struct HostInspectorOptions {
  // Where the process and socket tables are (Linux: /proc). Tests point it at
  // a directory laid out the same way.
  std::string proc_root = "/proc";
  // The hosts file; empty = the platform's (/etc/hosts).
  std::string hosts_file;
};

// This platform's inspector (defined in the platform's file).
HostInspectorPtr MakeHostInspector(const HostInspectorOptions& options);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SWEEP_HOST_INSPECTOR_H_
