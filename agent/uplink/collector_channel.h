// How the agent reaches the collector: one place that turns an address and
// the TLS settings into a gRPC channel, for enrollment and for the stream.
#ifndef CLEANSWEEP_AGENT_UPLINK_COLLECTOR_CHANNEL_H_
#define CLEANSWEEP_AGENT_UPLINK_COLLECTOR_CHANNEL_H_

#include <memory>
#include <string>

namespace grpc {
class Channel;
}  // namespace grpc

namespace cleansweep::agent {

struct CollectorChannelOptions {
  std::string address;               // HOST:PORT
  std::string ca_pem;                // CA that signed the collector's certificate
  bool insecure = false;             // plain text (tests only); ca_pem ignored
  std::string server_name_override;  // TLS name to expect when it differs from the host
};

// A fresh channel with its own subchannel (no reconnect backoff shared with
// earlier channels) and keepalive pings every 60 s. Never fails: connection
// errors show up on the first call.
std::shared_ptr<grpc::Channel> MakeCollectorChannel(const CollectorChannelOptions& options);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_UPLINK_COLLECTOR_CHANNEL_H_
