// Enrolls an agent id with a running collector through the agent's real
// enrollment client, for tests that drive the Uplink directly.
#ifndef CLEANSWEEP_TESTS_INTEGRATION_ENROLL_FOR_TEST_H_
#define CLEANSWEEP_TESTS_INTEGRATION_ENROLL_FOR_TEST_H_

#include <string>

namespace cleansweep::testing {

// Reads the first secret of `secret_file` (deploy/pki.sh's enroll-secret),
// enrolls `agent_id` at `address` over TLS verified with `ca_pem`, and returns
// the node key. Fails the current test (and returns "") on error.
std::string EnrollOrDie(const std::string& address, const std::string& ca_pem,
                        const std::string& secret_file, const std::string& agent_id);

}  // namespace cleansweep::testing

#endif  // CLEANSWEEP_TESTS_INTEGRATION_ENROLL_FOR_TEST_H_
