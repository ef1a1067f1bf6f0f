// The one place where absl::Status becomes grpc::Status. Both use the
// canonical gRPC code space, so codes map one to one; the message is kept.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_GRPC_STATUS_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cleansweep::collector {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_GRPC_STATUS_H_
