#include "tests/integration/enroll_for_test.h"

#include "agent/app/agent_enrollment.h"
#include "agent/uplink/enroll_client.h"
#include "gtest/gtest.h"

namespace cleansweep::testing {

std::string EnrollOrDie(const std::string& address, const std::string& ca_pem,
                        const std::string& secret_file, const std::string& agent_id) {
  absl::StatusOr<std::string> secret = agent::ReadEnrollSecret(secret_file);
  if (!secret.ok()) {
    ADD_FAILURE() << secret.status();
    return "";
  }
  agent::CollectorChannelOptions channel;
  channel.address = address;
  channel.ca_pem = ca_pem;
  cleansweep::v1::EnrollRequest request;
  request.set_agent_id(agent_id);
  request.set_enroll_secret(*secret);
  auto enrolled = agent::EnrollWithCollector(channel, request, absl::Seconds(30));
  if (!enrolled.ok()) {
    ADD_FAILURE() << "enrolling " << agent_id << ": " << enrolled.status();
    return "";
  }
  return enrolled->node_key();
}

}  // namespace cleansweep::testing
