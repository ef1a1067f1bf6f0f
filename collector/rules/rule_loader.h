// Loads and validates a rules directory: the worm knowledge base, the
// detection rules and the site's facts (proto/cleansweep/v1/rules.proto), all
// in protobuf text format.
//
//   DIR/worms.textproto       WormKnowledgeBase
//   DIR/detection.textproto   DetectionRules
//   DIR/site.textproto        SiteFacts (DIR/site.example.textproto if absent)
//
// All or nothing: a RuleSet is returned only when every file parses and every
// semantic check passes; otherwise the Status (InvalidArgument; NotFound for a
// missing file) lists EVERY error found, one per line, each naming where:
//   - syntax errors and unknown fields: "PATH:LINE:COLUMN: message" (1-based);
//   - semantic errors: "PATH:LINE:COLUMN: rule 'NAME': message" (the position
//     of the offending field when the parser recorded it), likewise
//     "family 'NAME'", "approved relay 'NAME'", "internal_networks[i]".
// Hostile input is refused, not processed: files over kMaxRuleFileBytes,
// more than kMaxSiteAddresses addresses/CIDRs, more than kMaxRules rules or
// kMaxFamilies families, windows over kMaxRuleWindow, nesting deeper than the
// schema needs. At most kMaxReportedErrors errors are listed (then a count).
//
// Pure functions apart from LoadRuleSet's file reads; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_RULES_RULE_LOADER_H_
#define CLEANSWEEP_COLLECTOR_RULES_RULE_LOADER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cleansweep/v1/rules.pb.h"

namespace cleansweep::collector {

inline constexpr size_t kMaxRuleFileBytes = 4 << 20;  // 4 MiB
inline constexpr int kMaxSiteAddresses = 10000;
inline constexpr int kMaxRules = 1000;
inline constexpr int kMaxFamilies = 1000;
inline constexpr int kMaxReportedErrors = 100;
inline constexpr absl::Duration kMaxRuleWindow = absl::Hours(24 * 7);
inline constexpr int64_t kMaxThreshold = 1000000000;

// A validated rule set. `digest` (64 lower-case hex digits) is the SHA-256 of
// the canonical (deterministic) serialization of the three messages: the
// rules' version, stable across comments, whitespace and field order.
struct RuleSet {
  cleansweep::v1::WormKnowledgeBase worms;
  cleansweep::v1::DetectionRules detection;
  cleansweep::v1::SiteFacts site;
  std::string site_path;  // the site file that was loaded
  std::string digest;
};

// One file's text and the path used in messages.
struct RuleFile {
  std::string path;
  std::string text;
};
struct RuleSources {
  RuleFile worms;
  RuleFile detection;
  RuleFile site;
};

// Parses and validates already-read texts (what LoadRuleSet does after reading).
absl::StatusOr<RuleSet> ParseRuleSet(const RuleSources& sources);

// Reads DIR's files (each capped at kMaxRuleFileBytes) and calls ParseRuleSet.
absl::StatusOr<RuleSet> LoadRuleSet(const std::string& dir);

// The individual error lines of a Status returned above.
std::vector<std::string> RuleErrors(const absl::Status& status);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_RULES_RULE_LOADER_H_
