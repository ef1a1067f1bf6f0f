// Runs the agent: opens the capture sources, feeds the pipeline, writes events
// to stdout and/or the uplink, and reports statistics. Returns the process exit
// code: 0 success, 1 runtime failure (unreadable capture, capture error,
// events not acknowledged by the collector).
#ifndef CLEANSWEEP_AGENT_APP_AGENT_RUNNER_H_
#define CLEANSWEEP_AGENT_APP_AGENT_RUNNER_H_

#include "agent/app/agent_config.h"

namespace cleansweep::agent {

int RunAgent(const AgentConfig& config);

// Asks a running RunAgent to stop (async-signal-safe).
void RequestAgentStop();

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_APP_AGENT_RUNNER_H_
