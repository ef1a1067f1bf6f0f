// Hands out per-agent event sequence numbers, contiguous from 1. With a state
// file the counter survives restarts, so a restarted agent never reuses a
// number the collector has already stored. Thread-compatible.
#ifndef CLEANSWEEP_AGENT_APP_SEQUENCE_COUNTER_H_
#define CLEANSWEEP_AGENT_APP_SEQUENCE_COUNTER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace cleansweep::agent {

class SequenceCounter {
 public:
  // In memory only, starting at 1.
  SequenceCounter() = default;
  // Loads `path` (missing = start at 1). Error if the file is unreadable or corrupt.
  static absl::StatusOr<SequenceCounter> WithStateFile(const std::string& path);

  // The next sequence number; persisted before it is returned.
  uint64_t Next();
  uint64_t last() const { return last_; }

 private:
  std::string path_;
  uint64_t last_ = 0;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_APP_SEQUENCE_COUNTER_H_
