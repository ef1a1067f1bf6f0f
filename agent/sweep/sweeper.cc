#include "agent/sweep/sweeper.h"

#include <algorithm>
#include <bitset>
#include <memory>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/sweep/hosts_file.h"

namespace cleansweep::agent {
namespace {

using cleansweep::v1::Transport;

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t s = absl::ToUnixSeconds(t);
  ts->set_seconds(s);
  ts->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(s))));
}

using PortSet = std::bitset<65536>;

void AddRanges(const std::vector<PortRange>& ranges, PortSet* set) {
  for (const PortRange& r : ranges) {
    for (uint32_t p = r.first; p <= r.last && p <= 65535; ++p) set->set(p);
  }
}

// Sort key: transport, port, address.
auto SocketKey(const HostSocket& s) {
  return std::make_tuple(static_cast<int>(s.transport), s.socket.local_port, s.socket.local,
                         s.socket.remote_port, s.socket.remote);
}

void FillEndpoint(const IpAddress& ip, uint16_t port, cleansweep::v1::Endpoint* out) {
  out->set_ip(Unmapped(ip).ToString());
  out->set_port(port);
}

}  // namespace

cleansweep::v1::SweepResult RunSweep(const cleansweep::v1::SweepRequest& request,
                                     const SweepContext& context, HostInspector* inspector,
                                     const std::function<absl::Time()>& clock,
                                     const SweepLimits& limits) {
  cleansweep::v1::SweepResult result;
  result.set_sweep_id(request.sweep_id());
  SetTime(clock(), result.mutable_start_time());
  result.set_platform(inspector->platform());
  std::vector<std::string> errors;

  // The ports whose listeners are looked for.
  auto tcp = std::make_unique<PortSet>();
  auto udp = std::make_unique<PortSet>();
  AddRanges({{kMydoomFirstPort, kMydoomLastPort}}, tcp.get());
  AddRanges(context.watch.worm_tcp_ports, tcp.get());
  AddRanges(context.watch.worm_udp_ports, udp.get());
  for (const cleansweep::v1::PortSpec& p : request.backdoor_ports()) {
    if (p.port() == 0 || p.port() > 65535) continue;
    if (p.transport() == cleansweep::v1::TRANSPORT_UDP) {
      udp->set(p.port());
    } else {
      tcp->set(p.port());
    }
  }
  for (const auto& [set, transport] : {std::pair{tcp.get(), cleansweep::v1::TRANSPORT_TCP},
                                       std::pair{udp.get(), cleansweep::v1::TRANSPORT_UDP}}) {
    for (uint32_t p = 1; p <= 65535; ++p) {
      if (!set->test(p)) continue;
      cleansweep::v1::PortSpec* spec = result.add_checked_ports();
      spec->set_port(p);
      spec->set_transport(transport);
    }
  }
  PortSet smtp;
  for (uint16_t p : context.watch.smtp_ports) smtp.set(p);

  std::vector<HostSocket> listeners, connections;
  for (const HostSocket& s : inspector->Sockets(&errors)) {
    const ProcNetSocket& k = s.socket;
    if (s.transport == cleansweep::v1::TRANSPORT_TCP) {
      if (k.state == kTcpListen && tcp->test(k.local_port)) {
        listeners.push_back(s);
      } else if ((k.state == kTcpEstablished || k.state == kTcpSynSent) &&
                 smtp.test(k.remote_port)) {
        connections.push_back(s);
      }
    } else if (s.transport == cleansweep::v1::TRANSPORT_UDP) {
      if (k.state == kUdpUnconnected && k.remote_port == 0 && udp->test(k.local_port)) {
        listeners.push_back(s);
      }
    }
  }
  auto by_key = [](const HostSocket& a, const HostSocket& b) {
    return SocketKey(a) < SocketKey(b);
  };
  std::sort(listeners.begin(), listeners.end(), by_key);
  std::sort(connections.begin(), connections.end(), by_key);
  uint32_t omitted = 0;
  if (listeners.size() > limits.max_listeners) {
    omitted += static_cast<uint32_t>(listeners.size() - limits.max_listeners);
    listeners.resize(limits.max_listeners);
  }
  if (connections.size() > limits.max_connections) {
    omitted += static_cast<uint32_t>(connections.size() - limits.max_connections);
    connections.resize(limits.max_connections);
  }

  absl::flat_hash_set<uint64_t> inodes;
  for (const auto* list : {&listeners, &connections}) {
    for (const HostSocket& s : *list) {
      if (s.socket.inode != 0) inodes.insert(s.socket.inode);
    }
  }
  SocketOwners owners = inspector->Owners(inodes, limits.max_processes_per_socket, &errors);
  uint32_t unattributed = 0;
  auto add_processes = [&](uint64_t inode, auto* repeated) {
    auto it = owners.by_inode.find(inode);
    if (inode == 0 || it == owners.by_inode.end() || it->second.empty()) {
      ++unattributed;
      return;
    }
    for (const auto& p : it->second) *repeated->Add() = p;
  };
  for (const HostSocket& s : listeners) {
    cleansweep::v1::ListeningSocket* l = result.add_listeners();
    l->set_transport(s.transport);
    FillEndpoint(s.socket.local, s.socket.local_port, l->mutable_local());
    add_processes(s.socket.inode, l->mutable_processes());
  }
  for (const HostSocket& s : connections) {
    cleansweep::v1::SocketConnection* c = result.add_smtp_connections();
    FillEndpoint(s.socket.local, s.socket.local_port, c->mutable_local());
    FillEndpoint(s.socket.remote, s.socket.remote_port, c->mutable_remote());
    c->set_state(std::string(TcpStateName(s.socket.state)));
    add_processes(s.socket.inode, c->mutable_processes());
  }
  // Sockets are all listed whoever holds them; only their owners can be
  // unknown (processes of other users when the agent is not root).
  result.set_unattributed(unattributed);
  result.set_hosts_file(inspector->hosts_file_path());
  absl::StatusOr<std::string> hosts = inspector->ReadHostsFile();
  if (!hosts.ok()) {
    errors.push_back(std::string(hosts.status().message()));
  } else {
    const HostsFile parsed = ParseHostsFile(*hosts);
    result.set_hosts_entries(static_cast<uint32_t>(parsed.entries.size()));
    std::vector<std::string> domains(request.protected_domains().begin(),
                                     request.protected_domains().end());
    std::vector<ProtectedHostsEntry> found = FindProtectedEntries(parsed, domains);
    for (size_t i = 0; i < found.size(); ++i) {
      if (i >= limits.max_hosts_entries) {
        ++omitted;
        continue;
      }
      cleansweep::v1::HostsFileEntry* e = result.add_hosts_redirects();
      e->set_line(found[i].line);
      e->set_address(found[i].address);
      e->set_name(found[i].name);
      e->set_domain(found[i].domain);
    }
  }
  *result.mutable_capture() = context.capture;
  result.set_omitted(omitted);
  for (std::string& e : errors) result.add_errors(std::move(e));
  SetTime(clock(), result.mutable_end_time());
  return result;
}

}  // namespace cleansweep::agent
