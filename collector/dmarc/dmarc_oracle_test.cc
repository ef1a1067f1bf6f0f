// ParseDmarcReport against other projects' expectations (tests/testdata/dmarc):
//   - stalwart: mail-auth's *.expected.json, the exact parse of each .xml/.eml,
//     compared field by field (the JSON is read with protobuf's JSON parser
//     into a google.protobuf.Value);
//   - parsedmarc: every aggregate sample parses except EMPTY__empty.xml, plus
//     the field values parsedmarc's own tests assert;
//   - parsedmarc's failure (forensic) reports: refused as not aggregate reports.
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector/detect/ip_address.h"
#include "collector/dmarc/dmarc_parser.h"
#include "collector/dmarc/source_summary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/testdata.h"

namespace cleansweep::collector::dmarc {
namespace {

using ::cleansweep::testing::ReadFileOrDie;
using ::cleansweep::testing::TestDataPath;
using ::google::protobuf::Value;
using ::testing::HasSubstr;

// ---- stalwart's vocabulary --------------------------------------------------
// mail-auth parses enumerated values into Rust enums and prints the enum
// names. These apply its FromStr rules (src/report/dmarc/parse.rs) to our
// lowercased raw values, so the comparison is with what it printed.

std::string StalwartAlignment(const std::optional<std::string>& v) {
  if (v && !v->empty() && (*v)[0] == 'r') return "Relaxed";
  if (v && !v->empty() && (*v)[0] == 's') return "Strict";
  return "Unspecified";
}

std::string StalwartDisposition(const std::optional<std::string>& v) {  // p, sp, np
  if (v == "none") return "None";
  if (v == "quarantine") return "Quarantine";
  if (v == "reject") return "Reject";
  return "Unspecified";
}

std::string StalwartActionDisposition(const std::string& v) {  // policy_evaluated
  if (v == "pass") return "Pass";
  return StalwartDisposition(v);
}

std::string StalwartDmarcResult(const std::string& v) {
  if (v == "pass") return "Pass";
  if (v == "fail") return "Fail";
  return "Unspecified";
}

std::string StalwartAuthResult(const std::string& v) {  // DKIM and SPF results
  static const std::pair<const char*, const char*> kNames[] = {
      {"none", "None"},           {"pass", "Pass"},          {"fail", "Fail"},
      {"softfail", "SoftFail"},   {"policy", "Policy"},      {"neutral", "Neutral"},
      {"temperror", "TempError"}, {"permerror", "PermError"}};
  for (const auto& [raw, name] : kNames) {
    if (v == raw) return name;
  }
  return "None";
}

std::string StalwartScope(const std::optional<std::string>& v) {
  if (v == "helo") return "Helo";
  if (v == "mfrom") return "MailFrom";
  return "Unspecified";
}

std::string StalwartDiscovery(const std::optional<std::string>& v) {
  if (v == "psl") return "Psl";
  if (v == "treewalk") return "Treewalk";
  return "Unspecified";
}

// The expectations were written by a mail-auth that knows RFC 9990's override
// types; any other type (RFC 7489's sampled_out, say) is folded into Other.
std::string StalwartOverride(const std::string& v) {
  if (v == "forwarded") return "Forwarded";
  if (v == "trusted_forwarder") return "TrustedForwarder";
  if (v == "mailing_list") return "MailingList";
  if (v == "local_policy") return "LocalPolicy";
  if (v == "policy_test_mode") return "PolicyTestMode";
  return "Other";
}

// ---- field-by-field comparison ---------------------------------------------

const Value* Field(const Value& object, const std::string& key) {
  if (object.kind_case() != Value::kStructValue) return nullptr;
  const auto& fields = object.struct_value().fields();
  auto it = fields.find(key);
  return it == fields.end() ? nullptr : &it->second;
}

// Compares one expected field with our value; keys the expectation does not
// have are not compared. Counts what it compared.
class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  void Str(const Value& parent, const std::string& key, const std::string& path,
           const std::string& actual) {
    const Value* v = Field(parent, key);
    if (v == nullptr) return;
    ++compared_;
    ASSERT_EQ(v->kind_case(), Value::kStringValue) << file_ << " " << path;
    EXPECT_EQ(actual, v->string_value()) << file_ << " " << path;
  }
  // null in the expectation = absent.
  void OptStr(const Value& parent, const std::string& key, const std::string& path,
              const std::optional<std::string>& actual) {
    const Value* v = Field(parent, key);
    if (v == nullptr) return;
    ++compared_;
    if (v->kind_case() == Value::kNullValue) {
      EXPECT_FALSE(actual.has_value())
          << file_ << " " << path << " = '" << actual.value_or("") << "', expected absent";
    } else {
      ASSERT_EQ(v->kind_case(), Value::kStringValue) << file_ << " " << path;
      EXPECT_EQ(actual.value_or("<absent>"), v->string_value()) << file_ << " " << path;
    }
  }
  void Num(const Value& parent, const std::string& key, const std::string& path, double actual) {
    const Value* v = Field(parent, key);
    if (v == nullptr) return;
    ++compared_;
    ASSERT_EQ(v->kind_case(), Value::kNumberValue) << file_ << " " << path;
    EXPECT_NEAR(actual, v->number_value(), 1e-6) << file_ << " " << path;
  }
  void Bool(const Value& parent, const std::string& key, const std::string& path, bool actual) {
    const Value* v = Field(parent, key);
    if (v == nullptr) return;
    ++compared_;
    ASSERT_EQ(v->kind_case(), Value::kBoolValue) << file_ << " " << path;
    EXPECT_EQ(actual, v->bool_value()) << file_ << " " << path;
  }
  // The expected list (empty if the key is missing) after checking its length.
  const ::google::protobuf::ListValue* List(const Value& parent, const std::string& key,
                                            const std::string& path, size_t actual_size) {
    const Value* v = Field(parent, key);
    if (v == nullptr) return nullptr;
    ++compared_;
    EXPECT_EQ(v->kind_case(), Value::kListValue) << file_ << " " << path;
    if (v->kind_case() != Value::kListValue) return nullptr;
    EXPECT_EQ(actual_size, static_cast<size_t>(v->list_value().values_size()))
        << file_ << " " << path << " length";
    if (actual_size != static_cast<size_t>(v->list_value().values_size())) return nullptr;
    return &v->list_value();
  }

  int compared() const { return compared_; }

 private:
  std::string file_;
  int compared_ = 0;
};

void CheckExtensions(Checker& c, const Value& parent, const std::string& path,
                     const std::vector<Extension>& actual) {
  const auto* list = c.List(parent, "extensions", path + ".extensions", actual.size());
  if (list == nullptr) return;
  for (size_t i = 0; i < actual.size(); ++i) {
    const Value& e = list->values(static_cast<int>(i));
    const std::string p = absl::StrCat(path, ".extensions[", i, "]");
    c.Str(e, "name", p + ".name", actual[i].name);
    c.Str(e, "definition", p + ".definition", actual[i].definition);
  }
}

// Returns the number of fields compared.
int CompareWithStalwart(const std::string& file, const DmarcReport& r, const Value& expected) {
  Checker c(file);
  // Version is a float there, 0.0 when the element is absent.
  double version = 0;
  if (r.version.has_value()) {
    EXPECT_TRUE(absl::SimpleAtod(*r.version, &version)) << file;
  }
  c.Num(expected, "version", "version", version);

  const Value* meta = Field(expected, "report_metadata");
  EXPECT_NE(meta, nullptr) << file;
  if (meta != nullptr) {
    const ReportMetadata& m = r.report_metadata;
    c.Str(*meta, "org_name", "org_name", m.org_name);
    c.Str(*meta, "email", "email", m.email);
    c.OptStr(*meta, "extra_contact_info", "extra_contact_info", m.extra_contact_info);
    c.Str(*meta, "report_id", "report_id", m.report_id);
    c.OptStr(*meta, "generator", "generator", m.generator);
    if (const Value* dr = Field(*meta, "date_range"); dr != nullptr) {
      c.Num(*dr, "begin", "date_range.begin", static_cast<double>(m.date_range.begin));
      c.Num(*dr, "end", "date_range.end", static_cast<double>(m.date_range.end));
    }
    if (const auto* errors = c.List(*meta, "error", "error", m.errors.size())) {
      for (size_t i = 0; i < m.errors.size(); ++i) {
        EXPECT_EQ(m.errors[i], errors->values(static_cast<int>(i)).string_value()) << file;
      }
    }
  }

  const Value* pp = Field(expected, "policy_published");
  EXPECT_NE(pp, nullptr) << file;
  if (pp != nullptr) {
    const PolicyPublished& p = r.policy_published;
    c.Str(*pp, "domain", "domain", p.domain);
    c.OptStr(*pp, "version_published", "version_published", p.version_published);
    c.Str(*pp, "adkim", "adkim", StalwartAlignment(p.adkim));
    c.Str(*pp, "aspf", "aspf", StalwartAlignment(p.aspf));
    c.Str(*pp, "p", "p", StalwartDisposition(p.p));
    c.Str(*pp, "sp", "sp", StalwartDisposition(p.sp));
    c.Str(*pp, "np", "np", StalwartDisposition(p.np));
    c.Bool(*pp, "testing", "testing", p.testing == "y");
    c.Str(*pp, "discovery_method", "discovery_method", StalwartDiscovery(p.discovery_method));
    c.OptStr(*pp, "fo", "fo", p.fo);
  }

  const auto* records = c.List(expected, "record", "record", r.records.size());
  if (records != nullptr) {
    for (size_t i = 0; i < r.records.size(); ++i) {
      const Record& rec = r.records[i];
      const Value& e = records->values(static_cast<int>(i));
      const std::string at = absl::StrCat("record[", i, "]");
      if (const Value* row = Field(e, "row"); row != nullptr) {
        // mail-auth prints a parsed IpAddr; compare in canonical form.
        std::optional<IpAddress> ip = ParseIpAddress(rec.row.source_ip);
        EXPECT_TRUE(ip.has_value()) << file << " " << at << " " << rec.row.source_ip;
        c.Str(*row, "source_ip", at + ".source_ip", ip ? ip->ToString() : rec.row.source_ip);
        c.Num(*row, "count", at + ".count", static_cast<double>(rec.row.count));
        if (const Value* pe = Field(*row, "policy_evaluated"); pe != nullptr) {
          const PolicyEvaluated& ev = rec.row.policy_evaluated;
          c.Str(*pe, "disposition", at + ".disposition", StalwartActionDisposition(ev.disposition));
          c.Str(*pe, "dkim", at + ".policy_evaluated.dkim", StalwartDmarcResult(ev.dkim));
          c.Str(*pe, "spf", at + ".policy_evaluated.spf", StalwartDmarcResult(ev.spf));
          if (const auto* reasons = c.List(*pe, "reason", at + ".reason", ev.reasons.size())) {
            for (size_t k = 0; k < ev.reasons.size(); ++k) {
              const Value& er = reasons->values(static_cast<int>(k));
              const std::string rp = absl::StrCat(at, ".reason[", k, "]");
              c.Str(er, "type_", rp + ".type", StalwartOverride(ev.reasons[k].type));
              c.OptStr(er, "comment", rp + ".comment", ev.reasons[k].comment);
            }
          }
        }
      }
      if (const Value* ids = Field(e, "identifiers"); ids != nullptr) {
        c.OptStr(*ids, "envelope_to", at + ".envelope_to", rec.identifiers.envelope_to);
        // A String there: "" when the element is absent.
        c.Str(*ids, "envelope_from", at + ".envelope_from",
              rec.identifiers.envelope_from.value_or(""));
        c.Str(*ids, "header_from", at + ".header_from", rec.identifiers.header_from);
      }
      if (const Value* ar = Field(e, "auth_results"); ar != nullptr) {
        const AuthResults& a = rec.auth_results;
        if (const auto* dkim = c.List(*ar, "dkim", at + ".dkim", a.dkim.size())) {
          for (size_t k = 0; k < a.dkim.size(); ++k) {
            const Value& ed = dkim->values(static_cast<int>(k));
            const std::string dp = absl::StrCat(at, ".dkim[", k, "]");
            c.Str(ed, "domain", dp + ".domain", a.dkim[k].domain);
            c.Str(ed, "selector", dp + ".selector", a.dkim[k].selector.value_or(""));
            c.Str(ed, "result", dp + ".result", StalwartAuthResult(a.dkim[k].result));
            c.OptStr(ed, "human_result", dp + ".human_result", a.dkim[k].human_result);
          }
        }
        if (const auto* spf = c.List(*ar, "spf", at + ".spf", a.spf.size())) {
          for (size_t k = 0; k < a.spf.size(); ++k) {
            const Value& es = spf->values(static_cast<int>(k));
            const std::string sp = absl::StrCat(at, ".spf[", k, "]");
            c.Str(es, "domain", sp + ".domain", a.spf[k].domain);
            c.Str(es, "scope", sp + ".scope", StalwartScope(a.spf[k].scope));
            c.Str(es, "result", sp + ".result", StalwartAuthResult(a.spf[k].result));
            c.OptStr(es, "human_result", sp + ".human_result", a.spf[k].human_result);
          }
        }
      }
      CheckExtensions(c, e, at, rec.extensions);
    }
  }
  CheckExtensions(c, expected, "feedback", r.extensions);
  return c.compared();
}

std::vector<std::filesystem::path> FilesIn(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(StalwartOracleTest, EveryFieldAsExpected) {
  const std::string dir = TestDataPath("dmarc/stalwart");
  int reports = 0;
  int fields = 0;
  for (const auto& path : FilesIn(dir)) {
    const std::string ext = path.extension().string();
    if (ext != ".xml" && ext != ".eml") continue;
    const std::string name = path.filename().string();
    SCOPED_TRACE(name);
    std::filesystem::path json_path = path;
    json_path.replace_extension(".expected.json");
    Value expected;
    ASSERT_TRUE(
        ::google::protobuf::util::JsonStringToMessage(ReadFileOrDie(json_path.string()), &expected)
            .ok());
    absl::StatusOr<DmarcReport> report = ParseDmarcReport(ReadFileOrDie(path.string()), name);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(absl::StartsWith(report->origin, name)) << report->origin;
    EXPECT_THAT(report->warnings, ::testing::IsEmpty());
    const int compared = CompareWithStalwart(name, *report, expected);
    EXPECT_GE(compared, 20) << "too few fields compared; is the expectation readable?";
    fields += compared;
    ++reports;
  }
  EXPECT_EQ(reports, 10);  // 001-005.xml, 100-104.eml
  std::cout << "stalwart: " << reports << " reports, " << fields << " fields compared\n";
}

// RFC 9990 appendix B's example (stalwart's 004.xml) declares the namespace.
TEST(StalwartOracleTest, Rfc9990NamespaceKept) {
  absl::StatusOr<DmarcReport> r = ParseDmarcReportFile(TestDataPath("dmarc/stalwart/004.xml"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->xml_namespace, "urn:ietf:params:xml:ns:dmarc-2.0");
}

// ---- parsedmarc --------------------------------------------------------------

std::string Aggregate(const std::string& name) {
  return TestDataPath("dmarc/parsedmarc/aggregate/" + name);
}

TEST(ParsedmarcOracleTest, EveryAggregateSampleParsesExceptTheEmptyOne) {
  int parsed = 0;
  for (const auto& path : FilesIn(TestDataPath("dmarc/parsedmarc/aggregate"))) {
    const std::string name = path.filename().string();
    SCOPED_TRACE(name);
    absl::StatusOr<DmarcReport> r = ParseDmarcReportFile(path.string());
    if (name == "EMPTY__empty.xml") {
      ASSERT_FALSE(r.ok());
      EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
      EXPECT_THAT(std::string(r.status().message()), HasSubstr(name));
      EXPECT_THAT(std::string(r.status().message()), HasSubstr("empty file"));
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->policy_published.domain.empty());
    EXPECT_FALSE(r->records.empty());
    for (const Record& rec : r->records) {
      EXPECT_TRUE(ParseIpAddress(rec.row.source_ip).has_value()) << rec.row.source_ip;
      EXPECT_GT(rec.row.count, 0u);
    }
    ++parsed;
  }
  EXPECT_EQ(parsed, 18);
  std::cout << "parsedmarc: " << parsed << " aggregate samples parsed, 1 refused\n";
}

// Each format reaches the same kind of report; the origin names the layers.
TEST(ParsedmarcOracleTest, ContainersAreUnwrapped) {
  struct Case {
    const char* file;
    const char* origin_part;
    const char* org_name;
    const char* source_ip;
  };
  const Case cases[] = {
      {"estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip",
       ": zip entry 'estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml'",
       "XYZ Corporation", "148.243.137.254"},
      {"fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz", ": gzip content",
       "FastMail Pty Ltd", "104.195.80.20"},
      {"twilight.eml",
       ": attachment 'google.com!twlnet.com!1549756800!1549843199.zip': zip entry "
       "'google.com!twlnet.com!1549756800!1549843199.xml'",
       "google.com", "87.106.127.28"},
      {"mimecast-weird-gzip.eml", ".xml.gz': gzip content", "Mimecast", "40.93.199.22"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    absl::StatusOr<DmarcReport> r = ParseDmarcReportFile(Aggregate(c.file));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_THAT(r->origin, HasSubstr(c.origin_part));
    EXPECT_EQ(r->report_metadata.org_name, c.org_name);
    ASSERT_EQ(r->records.size(), 1u);
    EXPECT_EQ(r->records[0].row.source_ip, c.source_ip);
  }
}

// parsedmarc's testParseReportFileAcceptsPathForXML / ...ForEmail. parsedmarc
// reduces org_name to a lowercased base domain; we keep it as written.
TEST(ParsedmarcOracleTest, OrgNames) {
  absl::StatusOr<DmarcReport> outlook = ParseDmarcReportFile(
      Aggregate("protection.outlook.com!example.com!1711756800!1711843200.xml"));
  ASSERT_TRUE(outlook.ok()) << outlook.status();
  EXPECT_EQ(absl::AsciiStrToLower(outlook->report_metadata.org_name), "outlook.com");
  ASSERT_EQ(outlook->records.size(), 1u);
  EXPECT_EQ(outlook->records[0].identifiers.envelope_to, "hotmail.com");

  absl::StatusOr<DmarcReport> google = ParseDmarcReportFile(Aggregate(
      "Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml"));
  ASSERT_TRUE(google.ok()) << google.status();
  EXPECT_EQ(google->report_metadata.org_name, "google.com");
  EXPECT_EQ(google->policy_published.domain, "borschow.com");
}

// parsedmarc's testRFC9990WithExplicitFields.
TEST(ParsedmarcOracleTest, Rfc9990Fields) {
  absl::StatusOr<DmarcReport> r =
      ParseDmarcReportFile(Aggregate("rfc9990-example.net!example.com!1700000000!1700086399.xml"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->policy_published.np, "reject");
  EXPECT_EQ(r->policy_published.testing, "y");
  EXPECT_EQ(r->policy_published.discovery_method, "treewalk");
  EXPECT_FALSE(r->policy_published.pct.has_value());
  ASSERT_EQ(r->records.size(), 2u);
  ASSERT_EQ(r->records[1].row.policy_evaluated.reasons.size(), 1u);
  EXPECT_EQ(r->records[1].row.policy_evaluated.reasons[0].type, "other");
  EXPECT_EQ(r->records[1].row.policy_evaluated.reasons[0].comment, "sender not authorized");
}

// parsedmarc's testRFC9990FieldsAbsentFromRFC7489Report and
// testRFC9990NamespaceAbsentOnRFC7489Report.
TEST(ParsedmarcOracleTest, Rfc7489ReportHasNoRfc9990Fields) {
  absl::StatusOr<DmarcReport> r =
      ParseDmarcReportFile(Aggregate("example.net!example.com!1529366400!1529452799.xml"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->policy_published.pct, "100");
  EXPECT_EQ(r->policy_published.fo, "0");
  EXPECT_FALSE(r->policy_published.np.has_value());
  EXPECT_FALSE(r->policy_published.testing.has_value());
  EXPECT_FALSE(r->policy_published.discovery_method.has_value());
  EXPECT_FALSE(r->report_metadata.generator.has_value());
  EXPECT_EQ(r->xml_namespace, "");
}

// parsedmarc's testAggregateResultWordsAreLowercase.
TEST(ParsedmarcOracleTest, ResultWordsAreLowercased) {
  absl::StatusOr<DmarcReport> r =
      ParseDmarcReportFile(Aggregate("INVALID__report_with_upper_cased_pass.xml"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->records.size(), 1u);
  const Record& rec = r->records[0];
  EXPECT_EQ(rec.row.policy_evaluated.disposition, "none");
  EXPECT_EQ(rec.row.policy_evaluated.dkim, "pass");
  EXPECT_EQ(rec.row.policy_evaluated.spf, "pass");
  ASSERT_EQ(rec.auth_results.dkim.size(), 1u);
  EXPECT_EQ(rec.auth_results.dkim[0].result, "pass");
  ASSERT_EQ(rec.auth_results.spf.size(), 1u);
  EXPECT_EQ(rec.auth_results.spf[0].result, "pass");
  EXPECT_EQ(r->report_metadata.org_name, "example.com");  // "example.com " trimmed
}

// The damaged samples parsedmarc recovers: recovered here too, and said so.
TEST(ParsedmarcOracleTest, RecoveredSamplesCarryWarnings) {
  absl::StatusOr<DmarcReport> bad_xml = ParseDmarcReportFile(Aggregate("invalid_xml.xml"));
  ASSERT_TRUE(bad_xml.ok()) << bad_xml.status();
  ASSERT_FALSE(bad_xml->warnings.empty());
  // libxml2 (xmllint --recover) places the first error on line 5, column 18.
  EXPECT_THAT(bad_xml->warnings[0], HasSubstr("line 5, column 18"));
  EXPECT_EQ(bad_xml->report_metadata.report_id, "sonexushealth.com:1530233361");
  ASSERT_EQ(bad_xml->records.size(), 1u);
  EXPECT_EQ(bad_xml->records[0].row.source_ip, "199.230.200.36");
  // "<header_from>bad<xml.net</header_from>": the text before the broken tag.
  EXPECT_EQ(bad_xml->records[0].identifiers.header_from, "bad");

  // parsedmarc decodes with errors="ignore": the 0x91 byte disappears.
  absl::StatusOr<DmarcReport> bad_utf8 = ParseDmarcReportFile(Aggregate("invalid_utf_8.xml"));
  ASSERT_TRUE(bad_utf8.ok()) << bad_utf8.status();
  ASSERT_EQ(bad_utf8->records.size(), 1u);
  EXPECT_EQ(bad_utf8->records[0].identifiers.header_from, "bad_byte");
  EXPECT_THAT(bad_utf8->warnings,
              ::testing::Contains(HasSubstr("not UTF-8, the first on line 31")));

  // An <xs:schema> opened before <feedback> and never closed.
  absl::StatusOr<DmarcReport> ikea =
      ParseDmarcReportFile(Aggregate("ikea.com!example.de!1538690400!1538776800.xml"));
  ASSERT_TRUE(ikea.ok()) << ikea.status();
  EXPECT_EQ(ikea->policy_published.domain, "example.de");
  EXPECT_THAT(ikea->warnings, ::testing::Contains(HasSubstr("wrapped in <schema>")));

  // Mimecast's gzip has two bytes after its end.
  absl::StatusOr<DmarcReport> mimecast = ParseDmarcReportFile(Aggregate("mimecast-weird-gzip.eml"));
  ASSERT_TRUE(mimecast.ok()) << mimecast.status();
  EXPECT_THAT(mimecast->warnings,
              ::testing::Contains(HasSubstr("2 bytes after the end of the gzip data ignored")));
}

TEST(ParsedmarcOracleTest, FailureReportsAreNotAggregateReports) {
  int refused = 0;
  for (const auto& path : FilesIn(TestDataPath("dmarc/parsedmarc/failure"))) {
    SCOPED_TRACE(path.filename().string());
    absl::StatusOr<DmarcReport> r = ParseDmarcReportFile(path.string());
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
    EXPECT_THAT(std::string(r.status().message()),
                HasSubstr("mail holds no DMARC aggregate report"));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(path.string()));
    ++refused;
  }
  EXPECT_EQ(refused, 5);
}

// ---- the per-source summary on real reports ----------------------------------

// stalwart's 003.xml, summed by hand: Fastmail saw four sources for stalw.art.
TEST(SummaryOnOracleTest, FastmailReport) {
  absl::StatusOr<DmarcReport> r = ParseDmarcReportFile(TestDataPath("dmarc/stalwart/003.xml"));
  ASSERT_TRUE(r.ok()) << r.status();
  const IpAddress ours = *ParseIpAddress("54.240.8.13");
  const DmarcSummary s =
      SummarizeBySource(absl::MakeConstSpan(&*r, 1), [&](const IpAddress& a) { return a == ours; });
  EXPECT_EQ(s.reports, 1u);
  EXPECT_EQ(s.messages, 9u);  // 3 + 4 + 1 + 1
  EXPECT_EQ(s.messages_from_ours, 1u);
  ASSERT_EQ(s.sources.size(), 4u);
  // Most messages first, ties by address text.
  EXPECT_EQ(s.sources[0].source, "173.228.157.66");  // 4 messages
  EXPECT_EQ(s.sources[1].source, "64.147.108.117");  // 3
  EXPECT_EQ(s.sources[2].source, "54.240.8.13");     // 1
  EXPECT_EQ(s.sources[3].source, "64.147.108.173");  // 1
  // Forwarded through topicbox: DKIM and SPF passed for topicbox's domains,
  // neither aligned with stalw.art, so DMARC failed (the reporter says so too).
  const SourceSummary& topicbox = s.sources[1];
  EXPECT_FALSE(topicbox.ours);
  EXPECT_EQ(topicbox.messages, 3u);
  EXPECT_EQ(topicbox.dkim_auth_pass, 3u);
  EXPECT_EQ(topicbox.spf_auth_pass, 3u);
  EXPECT_EQ(topicbox.dkim_aligned_computed, 0u);
  EXPECT_EQ(topicbox.spf_aligned_computed, 0u);
  EXPECT_EQ(topicbox.dmarc_pass, 0u);
  EXPECT_EQ(topicbox.dispositions.at("none"), 3u);
  // Amazon SES signing as stalw.art: DKIM aligned, DMARC passed.
  const SourceSummary& ses = s.sources[2];
  EXPECT_TRUE(ses.ours);
  EXPECT_EQ(ses.dmarc_pass, 1u);
  EXPECT_EQ(ses.dkim_aligned_computed, 1u);
  EXPECT_EQ(ses.spf_aligned_computed, 0u);  // amazonses.com
  EXPECT_THAT(ses.header_from, ::testing::ElementsAre("stalw.art"));
  EXPECT_THAT(ses.reporters, ::testing::ElementsAre("Fastmail Pty Ltd"));
}

// A property over every oracle report: our DKIM alignment recomputed from
// auth_results agrees with the reporter's policy_evaluated verdict (none of
// these reporters relies on sibling subdomains). One sample contradicts
// itself: ikea's record says DKIM example.de passed for header_from
// example.de, and policy_evaluated dkim=fail.
TEST(SummaryOnOracleTest, ComputedAlignmentAgreesWithReporters) {
  int records = 0;
  int agreed = 0;
  for (const std::string dir : {"dmarc/stalwart", "dmarc/parsedmarc/aggregate"}) {
    for (const auto& path : FilesIn(TestDataPath(dir))) {
      absl::StatusOr<DmarcReport> r = ParseDmarcReportFile(path.string());
      if (!r.ok()) continue;
      if (absl::StartsWith(path.filename().string(), "ikea.com!")) continue;
      const bool dkim_strict = r->policy_published.adkim == "s";
      for (const Record& rec : r->records) {
        bool dkim = false;
        for (const DkimAuthResult& d : rec.auth_results.dkim) {
          dkim = dkim || (d.result == "pass" &&
                          DomainsAligned(rec.identifiers.header_from, d.domain, dkim_strict));
        }
        ++records;
        if (rec.row.policy_evaluated.dkim != "pass" && rec.row.policy_evaluated.dkim != "fail") {
          continue;
        }
        EXPECT_EQ(dkim, rec.row.policy_evaluated.dkim == "pass")
            << path.filename() << " record at line " << rec.line;
        ++agreed;
      }
    }
  }
  EXPECT_GE(agreed, 25);
  std::cout << "alignment: " << agreed << " of " << records
            << " records compared with the reporter's DKIM verdict\n";
}

}  // namespace
}  // namespace cleansweep::collector::dmarc
