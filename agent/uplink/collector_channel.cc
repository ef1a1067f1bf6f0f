#include "agent/uplink/collector_channel.h"

#include <grpcpp/grpcpp.h>

namespace cleansweep::agent {

std::shared_ptr<grpc::Channel> MakeCollectorChannel(const CollectorChannelOptions& options) {
  grpc::ChannelArguments args;
  if (!options.server_name_override.empty()) {
    args.SetSslTargetNameOverride(options.server_name_override);
  }
  // A fresh channel with its own subchannel for every attempt: gRPC's shared
  // subchannel keeps its own reconnect backoff (growing to minutes) across
  // channels, which would delay reconnecting to a restarted collector long
  // after it is back. The uplink's jittered backoff is the only one.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // A collector that vanishes without closing TCP (host down, NAT timeout)
  // is noticed within keepalive time + timeout, and the uplink reconnects.
  // The collector permits pings at this rate (collector/cli/commands.cc).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.insecure) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.ca_pem;
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(options.address, credentials, args);
}

}  // namespace cleansweep::agent
