// ConnectionAttributor: best-effort owner of the SMTP connections the agent
// captures on its own host. The pipeline tells it each connection's first SYN
// (ConnectionStartListener, on the capture thread: the 4-tuple is queued,
// nothing more); a thread of its own then finds the socket with that 4-tuple
// in the host's socket table and the process holding it, while the
// connection is still open. When the connection's SmtpSession event is
// emitted (at its end), Annotate fills process, pid and process_exe.
//
// Best effort by design: a connection that ends before the lookup ran, a
// connection of another host (seen on a mirror port), or a process the agent
// may not inspect stays unattributed. Cost is bounded: one socket-table read
// and one process scan per round for every start queued meanwhile; rounds
// are at least `min_interval` apart and idle nine times as long as the last
// one took (under a tenth of a core); at most `max_pending` starts wait and
// `max_entries` answers are kept (the oldest go first).
//
// Thread-safe. Stop() (or the destructor) joins the thread.
#ifndef CLEANSWEEP_AGENT_SWEEP_CONNECTION_ATTRIBUTOR_H_
#define CLEANSWEEP_AGENT_SWEEP_CONNECTION_ATTRIBUTOR_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "agent/observers/pipeline.h"
#include "agent/sweep/host_inspector.h"
#include "cleansweep/v1/event.pb.h"

namespace cleansweep::agent {

struct ConnectionAttributorOptions {
  absl::Duration min_interval = absl::Milliseconds(200);
  size_t max_pending = 1024;
  size_t max_entries = 4096;
};

class ConnectionAttributor final : public ConnectionStartListener {
 public:
  ConnectionAttributor(HostInspectorPtr inspector, ConnectionAttributorOptions options = {});
  ~ConnectionAttributor() override;
  ConnectionAttributor(const ConnectionAttributor&) = delete;
  ConnectionAttributor& operator=(const ConnectionAttributor&) = delete;

  void OnSmtpConnectionStart(const DecodedPacket& syn) override;

  // Fills the session's process fields when its connection (client, server)
  // was attributed; the answer is then forgotten. Returns whether it did.
  bool Annotate(cleansweep::v1::SmtpSession* session);

  void Stop();

 private:
  // Addresses in text form (IpAddress::ToString of the unmapped address),
  // as the SmtpSession event carries them.
  struct Key {
    std::string client, server;
    uint32_t client_port = 0, server_port = 0;
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.client, k.server, k.client_port, k.server_port);
    }
  };
  void Run();
  void Resolve(const std::vector<Key>& keys);

  const HostInspectorPtr inspector_;
  const ConnectionAttributorOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Key> pending_;                                          // guarded by mu_
  absl::flat_hash_map<Key, cleansweep::v1::ProcessInfo> attributed_;  // guarded by mu_
  std::deque<Key> order_;  // insertion order of attributed_; guarded by mu_
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SWEEP_CONNECTION_ATTRIBUTOR_H_
