// `cleansweep-collector audit`: answers a complaint for a time window with
// coverage, egress, findings (re-judged with the current rules), the
// complaint mails and DMARC reports given, and a verdict; `audit verify`
// checks a JSON report's digest and signature. Reads the store directly, so
// it works while `serve` is down.
//
// Exit codes (audit): 0 clean, 1 infected or suspicious hosts found,
// 2 inconclusive, 3 bad usage or unreadable input.
// Exit codes (verify): 0 intact (and signature valid when signed), 1 not,
// 3 bad usage or unreadable report.
#ifndef CLEANSWEEP_COLLECTOR_CLI_AUDIT_COMMAND_H_
#define CLEANSWEEP_COLLECTOR_CLI_AUDIT_COMMAND_H_

#include <string>
#include <vector>

namespace cleansweep::collector {

struct AuditConfig {
  std::string db_path;
  std::string rules_dir = "rules";
  std::string from;
  std::string to;  // default: now
  std::vector<std::string> complaints;
  std::vector<std::string> dmarc;
  std::vector<std::string> trusted;  // recipient relays: CIDR or host name
  std::string format = "text";       // text, json, html
  std::string audience = "internal";  // internal, external
  std::string out;                   // default: stdout
  std::string signing_key;           // Ed25519 private key (PEM); empty = unsigned
  std::string skew = "10m";          // clock-skew margin around a complaint's time
};
int RunAudit(const AuditConfig& config);

struct AuditVerifyConfig {
  std::string report;
  std::string public_key;  // optional: PEM public key the signature must match
};
int RunAuditVerify(const AuditVerifyConfig& config);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_AUDIT_COMMAND_H_
