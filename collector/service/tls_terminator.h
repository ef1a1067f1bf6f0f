// TlsTerminator: the collector's TLS endpoint for agents, in front of an
// in-process plain-text gRPC server.
//
// gRPC 1.51's own TLS layer keeps ~40 KiB per connection even when idle
// (two 8 KiB staging buffers, a BIO pair, frame protectors) beside OpenSSL's
// connection; with a thousand mostly idle agents that is most of the
// collector's memory. The terminator accepts the agents' TCP connections,
// runs the TLS handshake with OpenSSL itself (server certificate, ALPN "h2"
// as gRPC clients require, TLS 1.2 or 1.3), and relays the decrypted bytes
// over a socketpair whose other end is handed to gRPC as an already
// connected plain-text channel (grpc::AddInsecureChannelFromFd). An idle
// connection holds only OpenSSL's connection object (record buffers released
// while idle) and a small record here; data waits in a buffer only while the
// other side cannot take it, and the side it came from is not read meanwhile,
// so gRPC's flow control still holds back an agent that sends too fast.
//
// What agents see is unchanged: gRPC over TLS, the same certificate. gRPC
// reports such a connection's peer as "fd:N"; PeerOf() maps that back to the
// agent's address in gRPC's own form ("ipv4:10.1.2.3:40112").
//
// Thread-safety: one relay thread does all socket and TLS work; PeerOf is
// thread-safe. hand_off runs on the relay thread.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_TLS_TERMINATOR_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_TLS_TERMINATOR_H_

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cleansweep::collector {

struct TlsTerminatorOptions {
  std::string cert_chain_pem;  // the server certificate (and intermediates)
  std::string private_key_pem;
  // Takes ownership of `fd`, a connected socket carrying the decrypted
  // stream (e.g. grpc::AddInsecureChannelFromFd). Called once per connection
  // after its handshake; PeerOf("fd:<fd>") is set before the call.
  std::function<void(int fd)> hand_off;
  // A connection that has not finished its handshake by then is closed.
  absl::Duration handshake_timeout = absl::Seconds(10);
};

// Counters for logs, tests and /metrics.
struct TlsTerminatorStats {
  uint64_t accepted = 0;           // TCP connections accepted
  uint64_t handshakes = 0;         // completed, handed to gRPC
  uint64_t handshake_failures = 0;  // bad TLS, no h2, timeout
  uint64_t open = 0;               // connections open now
};

class TlsTerminator {
 public:
  // Listens on `address` (HOST:PORT; port 0 picks a free one) and starts the
  // relay thread. InvalidArgument for a bad certificate, key or address;
  // Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<TlsTerminator>> Start(const std::string& address,
                                                              TlsTerminatorOptions options);
  ~TlsTerminator();  // Stop()
  TlsTerminator(const TlsTerminator&) = delete;
  TlsTerminator& operator=(const TlsTerminator&) = delete;

  int port() const { return port_; }

  // The agent's address for a gRPC peer string "fd:N" of a relayed
  // connection; any other string is returned unchanged.
  std::string PeerOf(absl::string_view grpc_peer) const;

  TlsTerminatorStats stats() const;

  // Stops accepting, closes every connection, joins the thread. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit TlsTerminator(std::unique_ptr<Impl> impl, int port);

  std::unique_ptr<Impl> impl_;
  const int port_;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_TLS_TERMINATOR_H_
