// AdminService: the gRPC edge of the collector's local administration
// endpoint (proto/cleansweep/v1/admin.proto), a thin adapter over the
// SweepCoordinator. Served only on a Unix socket by AdminEndpoint below,
// never on the agents' port: whoever may open the socket (mode 0600: the
// collector's user, and root) may start sweeps.
//
// AdminEndpoint: that socket. Start() refuses a path held by a live
// collector (FailedPrecondition), removes a stale socket left by a crash, and
// refuses to replace anything that is not a socket; the socket is created
// with mode 0600 and removed again by Stop() (or the destructor).
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_ADMIN_SERVICE_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_ADMIN_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cleansweep/v1/admin.grpc.pb.h"
#include "collector/sweep/sweep_coordinator.h"

namespace cleansweep::collector {

class AdminService final : public cleansweep::v1::Admin::Service {
 public:
  // `sweeps` is borrowed and must outlive the service.
  explicit AdminService(SweepCoordinator* sweeps) : sweeps_(sweeps) {}

  grpc::Status StartSweep(grpc::ServerContext* context,
                          const cleansweep::v1::StartSweepRequest* request,
                          cleansweep::v1::SweepStatus* response) override;
  grpc::Status GetSweep(grpc::ServerContext* context,
                        const cleansweep::v1::GetSweepRequest* request,
                        cleansweep::v1::SweepStatus* response) override;

 private:
  SweepCoordinator* const sweeps_;
};

// Unix socket paths are at most this long (sockaddr_un.sun_path, minus NUL).
inline constexpr size_t kMaxUnixSocketPath = 107;

class AdminEndpoint {
 public:
  // Serves `service` (borrowed; must outlive the endpoint) on `path`.
  static absl::StatusOr<std::unique_ptr<AdminEndpoint>> Start(const std::string& path,
                                                              AdminService* service);
  ~AdminEndpoint();
  void Stop();
  const std::string& path() const { return path_; }

 private:
  AdminEndpoint() = default;
  std::string path_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_ADMIN_SERVICE_H_
