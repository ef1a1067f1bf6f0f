#include "collector/service/admin_service.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "collector/service/grpc_status.h"
#include "common/logging.h"

namespace cleansweep::collector {
namespace {

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

// Whether something accepts connections on the Unix socket `path`.
bool SocketIsLive(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}

}  // namespace

grpc::Status AdminService::StartSweep(grpc::ServerContext* /*context*/,
                                      const cleansweep::v1::StartSweepRequest* request,
                                      cleansweep::v1::SweepStatus* response) {
  absl::StatusOr<cleansweep::v1::SweepStatus> started =
      sweeps_->Start(FromProto(request->expires_after()));
  if (!started.ok()) return ToGrpcStatus(started.status());
  *response = *std::move(started);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetSweep(grpc::ServerContext* /*context*/,
                                    const cleansweep::v1::GetSweepRequest* request,
                                    cleansweep::v1::SweepStatus* response) {
  absl::StatusOr<cleansweep::v1::SweepStatus> status =
      sweeps_->Wait(request->sweep_id(), request->answered_above(), FromProto(request->wait()),
                    request->with_results());
  if (!status.ok()) return ToGrpcStatus(status.status());
  *response = *std::move(status);
  return grpc::Status::OK;
}

absl::StatusOr<std::unique_ptr<AdminEndpoint>> AdminEndpoint::Start(const std::string& path,
                                                                    AdminService* service) {
  if (path.empty() || path.size() > kMaxUnixSocketPath) {
    return absl::InvalidArgumentError(absl::StrCat("admin socket path '", path, "' must be 1-",
                                                   kMaxUnixSocketPath, " bytes long"));
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "admin socket path ", path, " exists and is not a socket; not replacing it"));
    }
    if (SocketIsLive(path)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "admin socket ", path, " is in use (another collector on the same database?)"));
    }
    // Left behind by a collector that did not stop cleanly.
    if (::unlink(path.c_str()) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot remove stale admin socket ", path, ": ", std::strerror(errno)));
    }
  }
  std::unique_ptr<AdminEndpoint> endpoint(new AdminEndpoint());
  endpoint->path_ = path;
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(absl::StrCat("unix:", path), grpc::InsecureServerCredentials(), &bound);
  builder.RegisterService(service);
  // The socket is created with mode 0600 from the start: no moment in which
  // another user could connect. umask is process-wide, but nothing else in
  // the collector creates files while it starts.
  const mode_t previous = ::umask(0177);
  endpoint->server_ = builder.BuildAndStart();
  ::umask(previous);
  if (endpoint->server_ == nullptr || bound == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on admin socket ", path,
                                               " (does its directory exist and is it writable?)"));
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot make admin socket ", path, " private: ", std::strerror(errno)));
  }
  return endpoint;
}

AdminEndpoint::~AdminEndpoint() { Stop(); }

void AdminEndpoint::Stop() {
  if (server_ == nullptr) return;
  // Long polls end within kMaxSweepWait; give them a moment, then cancel.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
  server_.reset();
  ::unlink(path_.c_str());
}

}  // namespace cleansweep::collector
