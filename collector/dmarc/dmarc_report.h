// A DMARC aggregate report ("rua") as plain data: RFC 7489 appendix C and the
// RFC 9990 schema (urn:ietf:params:xml:ns:dmarc-2.0: np, testing,
// discovery_method, generator, human_result), plus the older draft forms
// reporters still send. Produced by ParseDmarcReport (dmarc_parser.h).
//
// Conventions, so that a reader does not have to guess:
// - Every string is UTF-8 with surrounding white space trimmed.
// - Enumerated values (adkim, aspf, p, sp, np, testing, discovery_method,
//   disposition, the policy_evaluated and auth_results results, scope, reason
//   type) are lowercased ("Pass" -> "pass") but otherwise kept as written, also
//   values no RFC lists ("sampled_out", "softfail", "temperror").
// - Names, addresses and free text (org_name, domains, selector, comments)
//   are kept exactly as written; compare domains case-insensitively.
// - std::optional marks an element the report may leave out: nullopt = the
//   element was absent, "" = present but empty. Plain strings are "" when absent.
#ifndef CLEANSWEEP_COLLECTOR_DMARC_DMARC_REPORT_H_
#define CLEANSWEEP_COLLECTOR_DMARC_DMARC_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cleansweep::collector::dmarc {

struct DateRange {
  int64_t begin = 0;  // seconds since the epoch, UTC, as the report states them
  int64_t end = 0;
};

struct ReportMetadata {
  std::string org_name;
  std::string email;
  std::optional<std::string> extra_contact_info;
  std::string report_id;
  DateRange date_range;
  std::vector<std::string> errors;       // <error> elements, in order
  std::optional<std::string> generator;  // RFC 9990
};

struct PolicyPublished {
  std::string domain;                // required: a report without it is refused
  std::optional<std::string> adkim;  // "r" / "s"; absent means relaxed
  std::optional<std::string> aspf;
  std::optional<std::string> p;
  std::optional<std::string> sp;
  std::optional<std::string> np;   // RFC 9990
  std::optional<std::string> pct;  // RFC 7489 only
  std::optional<std::string> fo;
  std::optional<std::string> testing;           // RFC 9990: "y" / "n"
  std::optional<std::string> discovery_method;  // RFC 9990: "psl" / "treewalk"
  std::optional<std::string> version_published;
};

struct PolicyOverrideReason {
  std::string type;  // "forwarded", "sampled_out", "trusted_forwarder", "mailing_list", ...
  std::optional<std::string> comment;
};

struct PolicyEvaluated {
  std::string disposition;  // "none", "quarantine", "reject" (RFC 9990 also "pass")
  std::string dkim;         // DMARC-aligned DKIM result: "pass" / "fail"
  std::string spf;          // DMARC-aligned SPF result: "pass" / "fail"
  std::vector<PolicyOverrideReason> reasons;
};

struct Row {
  std::string source_ip;  // as written; SummarizeBySource canonicalises it
  uint64_t count = 0;
  PolicyEvaluated policy_evaluated;
};

struct Identifiers {
  std::string header_from;
  std::optional<std::string> envelope_from;
  std::optional<std::string> envelope_to;
};

struct DkimAuthResult {
  std::string domain;
  std::optional<std::string> selector;
  std::string result;  // "none", "pass", "fail", "policy", "neutral", "temperror", "permerror"
  std::optional<std::string> human_result;
};

struct SpfAuthResult {
  std::string domain;
  std::optional<std::string> scope;  // "mfrom" / "helo"
  std::string result;  // "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"
  std::optional<std::string> human_result;
};

struct AuthResults {
  std::vector<DkimAuthResult> dkim;
  std::vector<SpfAuthResult> spf;
};

// <extension name="..." definition="...">; the content is not interpreted.
struct Extension {
  std::string name;
  std::string definition;
};

struct Record {
  Row row;
  Identifiers identifiers;
  AuthResults auth_results;
  std::vector<Extension> extensions;
  int line = 0;  // line of <record> in the XML document, for evidence
};

struct DmarcReport {
  // Where the report came from: the caller's source name, then each layer
  // unwrapped, e.g. "twilight.eml: attachment 'a.zip': zip entry 'a.xml'".
  std::string origin;
  std::optional<std::string> version;  // <version>
  std::string xml_namespace;           // namespace URI of <feedback>, "" if none
  ReportMetadata report_metadata;
  PolicyPublished policy_published;
  std::vector<Record> records;
  std::vector<Extension> extensions;
  // What was tolerated on the way: XML recovered after an error (with line
  // and column), bytes that were not UTF-8 dropped, records left out, other
  // archive entries or mail parts ignored. Empty for a clean report.
  std::vector<std::string> warnings;
};

// Caps applied while reading untrusted reports. A report that exceeds one is
// refused with an error naming the cap; nothing is truncated silently.
struct DmarcLimits {
  size_t max_input_bytes = size_t{64} << 20;     // the file as given
  size_t max_expanded_bytes = size_t{64} << 20;  // any decompressed document
  // Output/input ratio of a gzip stream or zip entry, checked once the output
  // passes ratio_floor_bytes (small reports legitimately compress well).
  uint64_t max_compression_ratio = 250;
  size_t ratio_floor_bytes = size_t{1} << 20;
  int max_zip_entries = 64;
  int max_mime_parts = 256;  // leaf parts looked at in a mail
  // Multipart / message/rfc822 nesting. GMime parses nesting recursively, so a
  // mail that names more than 8 times this many multipart/ or message/ types
  // is refused before GMime sees it.
  int max_mime_depth = 8;
  int max_xml_depth = 32;                     // element nesting; a real report needs 6
  size_t max_field_bytes = size_t{64} << 10;  // text of one element
  size_t max_records = 500000;
  size_t max_list_items = 2000000;  // auth results, reasons, errors, extensions
};

}  // namespace cleansweep::collector::dmarc

#endif  // CLEANSWEEP_COLLECTOR_DMARC_DMARC_REPORT_H_
