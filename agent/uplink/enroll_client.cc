#include "agent/uplink/enroll_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "cleansweep/v1/agent_service.grpc.pb.h"

namespace cleansweep::agent {

absl::StatusOr<cleansweep::v1::EnrollResponse> EnrollWithCollector(
    const CollectorChannelOptions& channel, const cleansweep::v1::EnrollRequest& request,
    absl::Duration timeout) {
  auto stub = cleansweep::v1::Collector::NewStub(MakeCollectorChannel(channel));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  cleansweep::v1::EnrollResponse response;
  grpc::Status status = stub->Enroll(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("enrolling with the collector at ", channel.address, ": ",
                                     status.error_message()));
  }
  // What came off the wire is checked before it is written to disk and used.
  const std::string& key = response.node_key();
  bool well_formed = key.size() == 64;
  for (char c : key) {
    well_formed &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (!well_formed || response.agent_id() != request.agent_id()) {
    return absl::InternalError(absl::StrCat("the collector at ", channel.address,
                                            " answered the enrollment with a malformed node key"));
  }
  return response;
}

}  // namespace cleansweep::agent
