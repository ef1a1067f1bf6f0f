// Runs the real `cleansweep-agent` binary from the build tree and parses what it
// prints, so golden tests exercise exactly what a user runs.
#ifndef CLEANSWEEP_TESTS_SUPPORT_AGENT_RUNNER_H_
#define CLEANSWEEP_TESTS_SUPPORT_AGENT_RUNNER_H_

#include <string>
#include <vector>

#include "cleansweep/v1/event.pb.h"

namespace cleansweep::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `argv` (argv[0] is a path) with no shell, capturing stdout and stderr.
ProcessResult RunProcess(const std::vector<std::string>& argv);

// Path of build/bin/cleansweep-agent.
std::string AgentBinary();

// `cleansweep-agent --read PCAP --json [extra_args...]`; each stdout line is
// parsed as a cleansweep.v1.Event (protobuf JSON mapping). Fails the current
// test if the agent exits non-zero or a line does not parse.
std::vector<cleansweep::v1::Event> ReadPcapEvents(const std::string& pcap_path,
                                                  const std::vector<std::string>& extra_args = {});

}  // namespace cleansweep::testing

#endif  // CLEANSWEEP_TESTS_SUPPORT_AGENT_RUNNER_H_
