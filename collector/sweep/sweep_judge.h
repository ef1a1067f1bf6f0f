// The collector's judgement of one agent's sweep answer (the agent reports
// facts, the collector judges), and the bounds an answer must keep.
//
//  - FOUND: a socket listening on one of the request's backdoor ports (one
//    reason per listener, with its processes), or a hosts-file entry naming
//    a protected domain (one reason per entry).
//  - INCOMPLETE: nothing found, but a check could not be made (each of the
//    answer's errors is a reason).
//  - CLEAN otherwise. Listeners on other checked ports (a watched worm port
//    such as 445, which Windows itself listens on) and outbound SMTP are
//    facts shown with the answer, not findings.
// Reasons quote what the agent sent with control characters escaped, so a
// hostile process name cannot drive an operator's terminal. Pure functions.
#ifndef CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_JUDGE_H_
#define CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_JUDGE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/admin.pb.h"
#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::collector {

// Answers beyond these are refused (the agent caps itself well below).
inline constexpr int kMaxSweepListeners = 1024;
inline constexpr int kMaxSweepConnections = 1024;
inline constexpr int kMaxSweepHostsEntries = 1024;
inline constexpr int kMaxSweepErrors = 64;
inline constexpr int kMaxSweepProcessesPerSocket = 16;
inline constexpr size_t kMaxSweepString = 4096;

struct SweepJudgement {
  cleansweep::v1::SweepVerdict verdict = cleansweep::v1::SWEEP_VERDICT_UNSPECIFIED;
  std::vector<std::string> reasons;
};

SweepJudgement JudgeSweep(const cleansweep::v1::SweepRequest& request,
                          const cleansweep::v1::SweepResult& result);

// InvalidArgument naming the field when an answer exceeds the bounds above.
absl::Status ValidateSweepResult(const cleansweep::v1::SweepResult& result);

// Printable ASCII as it is; anything else (control characters, other
// encodings' bytes) and backslashes as \xHH: text from agents shown on a
// terminal.
std::string EscapeForDisplay(absl::string_view s);

// "pid 4242 wormy (/tmp/.x/wormy)", escaped; "process unknown" for none.
std::string DescribeProcesses(
    const google::protobuf::RepeatedPtrField<cleansweep::v1::ProcessInfo>& processes);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SWEEP_SWEEP_JUDGE_H_
