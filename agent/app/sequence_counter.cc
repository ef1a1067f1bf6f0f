#include "agent/app/sequence_counter.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/logging.h"

namespace cleansweep::agent {

absl::StatusOr<SequenceCounter> SequenceCounter::WithStateFile(const std::string& path) {
  SequenceCounter c;
  c.path_ = path;
  std::ifstream in(path);
  if (!in) return c;  // first start
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &c.last_)) {
    return absl::DataLossError(absl::StrCat(
        "sequence state file ", path, " is corrupt ('", text.substr(0, 40),
        "'); move it away only if the collector has no events from this agent id"));
  }
  return c;
}

uint64_t SequenceCounter::Next() {
  ++last_;
  if (!path_.empty()) {
    // Write-then-rename: a crash leaves either the old or the new value.
    std::string tmp = path_ + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    bool ok = f != nullptr && std::fprintf(f, "%llu\n", static_cast<unsigned long long>(last_)) > 0;
    if (f != nullptr) ok = (std::fclose(f) == 0) && ok;
    if (!ok || std::rename(tmp.c_str(), path_.c_str()) != 0) {
      LOG_ERROR("cannot write sequence state %s", path_);
    }
  }
  return last_;
}

}  // namespace cleansweep::agent
