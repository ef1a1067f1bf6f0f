// Sender-authentication results a receiving system recorded in a message's
// header: Authentication-Results (RFC 8601), ARC-Authentication-Results and
// ARC-Seal (RFC 8617), Received-SPF (RFC 7208 9.1).
//
// Each function is pure, thread-safe, linear in the input, and never fails:
// what it cannot read is left out. A method is kept only when its result is
// one of the RFC result words (pass, fail, softfail, neutral, none,
// temperror, permerror, policy, and the obsolete hardfail, unknown, error),
// so non-standard decorations such as Yahoo's "from=example.com;" segments
// are dropped.
//
// Which results to believe is the caller's decision: a result is only as
// trustworthy as the server that wrote it, and a sender can forge these
// headers below the receiving system's first hop. `received_above` lets the
// caller place the header relative to the Received hops.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_AUTH_RESULTS_H_
#define CLEANSWEEP_COLLECTOR_MAIL_AUTH_RESULTS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace cleansweep::collector::mail {

struct AuthResult {
  std::string header;       // the header it came from, e.g. "Authentication-Results"
  std::string authserv_id;  // who evaluated it (Received-SPF: receiver=); may be empty
  int arc_instance = 0;     // i= of ARC headers, 0 otherwise
  std::string method;       // lower case: "spf", "dkim", "dmarc", "arc", "iprev", ...
  std::string result;       // lower case: "pass", "fail", ...
  // The domain the result speaks for: spf smtp.mailfrom (its domain part),
  // else smtp.helo; dkim/domainkeys header.d, else the domain of header.i;
  // dmarc header.from; arc (ARC-Seal) d=. When the properties are missing,
  // the usual comment "domain of X designates IP as permitted sender" fills
  // domain and ip for SPF.
  std::string domain;
  std::string ip;      // SPF client address, iprev policy.iprev; as written
  std::string reason;  // reason="..." or the comment after the result
  std::vector<std::pair<std::string, std::string>> properties;  // "header.d" -> "example.com"
  int received_above = 0;  // Received headers above this header (filled by the caller)
};

// One Authentication-Results or ARC-Authentication-Results value; `header`
// is copied into each result. An ARC value starts with "i=N;".
std::vector<AuthResult> ParseAuthenticationResults(absl::string_view value,
                                                   absl::string_view header);

// One Received-SPF value: at most one result.
std::vector<AuthResult> ParseReceivedSpf(absl::string_view value);

// One ARC-Seal value: its chain-validation status cv= as method "arc".
std::vector<AuthResult> ParseArcSeal(absl::string_view value);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_AUTH_RESULTS_H_
