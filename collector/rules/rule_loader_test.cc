// The rules loader against hand-written good and bad files. Every expected
// position below was counted by hand from the texts in this file (1-based
// line:column of the offending field or token).
#include "collector/rules/rule_loader.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
namespace v1 = cleansweep::v1;

constexpr char kWorms[] = R"pb(# a comment
family {
  name: "Sasser.A"
  first_seen: "2004-04-30"
  ports { port: 445 transport: TRANSPORT_TCP role: PORT_ROLE_SCANNING }
  behaviour: "sweeps 445"
  sources { title: "F-Secure" url: "https://www.f-secure.com/weblog/archives/00000155.html" }
}
)pb";

constexpr char kDetection[] = R"pb(rule {
  name: "worm_port_fanout"
  signal: SIGNAL_WORM_PORT_FANOUT
  window { seconds: 300 }
  threshold: 25
  severity: SEVERITY_WORM_SCANNING
}
)pb";

constexpr char kSite[] = R"pb(name: "test"
internal_networks: "10.0.0.0/8"
approved_relays { name: "relay1" addresses: "10.0.0.25" }
mail_domains: "example.com"
clean_coverage: 0.9
)pb";

RuleSources Sources(std::string worms, std::string detection, std::string site) {
  return RuleSources{{"worms.textproto", std::move(worms)},
                     {"detection.textproto", std::move(detection)},
                     {"site.textproto", std::move(site)}};
}

std::vector<std::string> ErrorsOf(const RuleSources& s) {
  absl::StatusOr<RuleSet> r = ParseRuleSet(s);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return RuleErrors(r.status());
}

TEST(RuleLoaderTest, GoodFilesLoad) {
  absl::StatusOr<RuleSet> r = ParseRuleSet(Sources(kWorms, kDetection, kSite));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->worms.family_size(), 1);
  EXPECT_EQ(r->worms.family(0).ports(0).port(), 445u);
  EXPECT_EQ(r->detection.rule(0).window().seconds(), 300);
  EXPECT_EQ(r->site.name(), "test");
  EXPECT_EQ(r->site_path, "site.textproto");
  EXPECT_THAT(r->digest, ContainsRegex("^[0-9a-f]{64}$"));
}

TEST(RuleLoaderTest, DigestIgnoresLayoutButNotContent) {
  const std::string digest = ParseRuleSet(Sources(kWorms, kDetection, kSite))->digest;
  // Same content: different comments, whitespace, field order, list syntax.
  const std::string relaid =
      "# reordered\nclean_coverage: 0.9 mail_domains: [\"example.com\"]\n"
      "approved_relays { addresses: \"10.0.0.25\" name: \"relay1\" }\n"
      "internal_networks: \"10.0.0.0/8\" name: \"test\"";
  absl::StatusOr<RuleSet> same = ParseRuleSet(Sources(kWorms, kDetection, relaid));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->digest, digest);
  std::string changed = kDetection;
  changed.replace(changed.find("threshold: 25"), 13, "threshold: 26");
  EXPECT_NE(ParseRuleSet(Sources(kWorms, changed, kSite))->digest, digest);
}

TEST(RuleLoaderTest, UnknownFieldNamesFileLineColumn) {
  const std::string worms = "family {\n  name: \"A\"\n  nme: \"typo\"\n}\n";
  std::vector<std::string> errors = ErrorsOf(Sources(worms, kDetection, kSite));
  ASSERT_THAT(errors, SizeIs(1));
  // The parser reports the token after the unknown name (the ':').
  EXPECT_THAT(errors[0], HasSubstr("worms.textproto:3:6: "));
  EXPECT_THAT(errors[0], HasSubstr("nme"));
}

TEST(RuleLoaderTest, SyntaxErrorsNameFileLineColumn) {
  // Line 4: a string where a number belongs; missing closing brace.
  const std::string detection = "rule {\n  name: \"r\"\n  signal: SIGNAL_MX_LOOKUPS\n"
                                "  threshold: \"ten\"\n}\n";
  std::vector<std::string> errors = ErrorsOf(Sources(kWorms, detection, kSite));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0], HasSubstr("detection.textproto:4:14: "));

  errors = ErrorsOf(Sources("family {\n  name: \"A\"\n", kDetection, kSite));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0], ContainsRegex("^worms\\.textproto:[0-9]+:[0-9]+: "));

  // An enum name that does not exist is a syntax error, reported at the token
  // after it (the closing brace on line 4).
  const std::string bad_enum = "rule {\n  name: \"r\"\n  signal: SIGNAL_BOGUS\n}\n";
  errors = ErrorsOf(Sources(kWorms, bad_enum, kSite));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0], HasSubstr("detection.textproto:4:1: "));
  EXPECT_THAT(errors[0], HasSubstr("SIGNAL_BOGUS"));

  // A singular field given twice.
  errors = ErrorsOf(Sources(kWorms, kDetection, "name: \"a\"\nname: \"b\"\n"));
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors[0], HasSubstr("site.textproto:2:"));
}

TEST(RuleLoaderTest, ErrorsInEveryFileAreAllReported) {
  std::vector<std::string> errors =
      ErrorsOf(Sources("family { nme: 1 }\n", "rule { bogus: 1 }\n", "nope: 1\n"));
  ASSERT_THAT(errors, SizeIs(3));
  EXPECT_THAT(errors[0], HasSubstr("worms.textproto:1:13: "));
  EXPECT_THAT(errors[1], HasSubstr("detection.textproto:1:13: "));
  EXPECT_THAT(errors[2], HasSubstr("site.textproto:1:5: "));
}

TEST(RuleLoaderTest, RuleErrorsNameTheRuleAndPosition) {
  const std::string detection =
      "rule {\n"                                       // 1
      "  name: \"zero_window\"\n"                      // 2
      "  signal: SIGNAL_MX_LOOKUPS\n"                  // 3
      "  window { seconds: 0 }\n"                      // 4
      "  threshold: 3\n"                               // 5
      "  severity: SEVERITY_NOTICE\n"                  // 6
      "}\n"                                            // 7
      "rule {\n"                                       // 8
      "  name: \"low\"\n"                              // 9
      "  signal: SIGNAL_RCPT_COUNT\n"                  // 10
      "  window { seconds: -5 }\n"                     // 11
      "  threshold: 0\n"                               // 12
      "  severity: SEVERITY_UNSPECIFIED\n"             // 13
      "}\n"                                            // 14
      "rule {\n"                                       // 15
      "  name: \"low\"\n"                              // 16
      "  window { seconds: 60 }\n"                     // 17
      "  threshold: 1\n"                               // 18
      "  severity: SEVERITY_NOTICE\n"                  // 19
      "}\n"                                            // 20
      "rule {\n"                                       // 21
      "  name: \"huge\"\n"                             // 22
      "  signal: SIGNAL_FAILED_CONNECTION_RATIO\n"     // 23
      "  window { seconds: 31536000 }\n"               // 24
      "  threshold: 5000000000\n"                      // 25
      "  min_ratio: 1.5\n"                             // 26
      "  severity: SEVERITY_SUSPICIOUS\n"              // 27
      "  ports { port: 0 port_last: 3 }\n"             // 28 (port covers it)
      "}\n";                                           // 29
  std::vector<std::string> errors = ErrorsOf(Sources(kWorms, detection, kSite));
  EXPECT_THAT(errors,
              ElementsAre(
                  "detection.textproto:4:3: rule 'zero_window': window must be positive (got 0)",
                  "detection.textproto:13:3: rule 'low': unknown or unspecified severity 0",
                  "detection.textproto:11:3: rule 'low': window must be positive (got -5s)",
                  "detection.textproto:12:3: rule 'low': threshold 0 must be at least 1",
                  "detection.textproto:16:3: rule 'low': duplicate rule name",
                  "detection.textproto:15:1: rule 'low': unknown or unspecified signal 0",
                  "detection.textproto:24:3: rule 'huge': window 8760h refused: the limit is "
                  "168h",
                  "detection.textproto:25:3: rule 'huge': threshold 5000000000 refused: the "
                  "limit is 1000000000",
                  "detection.textproto:26:3: rule 'huge': min_ratio 1.5 must be in (0, 1] for "
                  "SIGNAL_FAILED_CONNECTION_RATIO",
                  "detection.textproto:28:11: rule 'huge': ports[0] port 0 is not in 1-65535",
                  "detection.textproto:28:3: rule 'huge': ports[0] transport must be "
                  "TRANSPORT_TCP or TRANSPORT_UDP"));
}

TEST(RuleLoaderTest, UnknownNumericSignalIsRefused) {
  // proto3 enums are open: the parser may accept 99, the checks must not.
  const std::string detection =
      "rule { name: \"n\" signal: 99 window { seconds: 1 } threshold: 1 "
      "severity: SEVERITY_NOTICE }\n";
  std::vector<std::string> errors = ErrorsOf(Sources(kWorms, detection, kSite));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0], ContainsRegex("^detection\\.textproto:1:[0-9]+: "));
}

TEST(RuleLoaderTest, AHostsRedirectRuleNamesNoPorts) {
  const std::string detection =
      "rule { name: \"h\" signal: SIGNAL_SWEEP_HOSTS_REDIRECT window { seconds: 60 } "
      "threshold: 1 severity: SEVERITY_SUSPICIOUS "
      "ports { port: 53 transport: TRANSPORT_UDP } }\n"
      "rule { name: \"b\" signal: SIGNAL_SWEEP_BACKDOOR_LISTENER window { seconds: 60 } "
      "threshold: 1 severity: SEVERITY_MASS_MAILING "
      "ports { port: 3127 transport: TRANSPORT_TCP } }\n";
  std::vector<std::string> errors = ErrorsOf(Sources(kWorms, detection, kSite));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0], HasSubstr("rule 'h': SIGNAL_SWEEP_HOSTS_REDIRECT counts hosts-file"));
}

TEST(RuleLoaderTest, WormErrorsNameTheFamily) {
  const std::string worms =
      "family {\n"                                                  // 1
      "  name: \"W\"\n"                                             // 2
      "  first_seen: \"Jan 2004\"\n"                                // 3
      "  ports { port: 70000 transport: TRANSPORT_TCP }\n"          // 4
      "  sources { title: \"t\" url: \"ftp://x\" }\n"               // 5
      "}\n"                                                         // 6
      "family { name: \"W\" }\n";                                   // 7
  std::vector<std::string> errors = ErrorsOf(Sources(worms, kDetection, kSite));
  EXPECT_THAT(errors,
              ElementsAre("worms.textproto:3:3: family 'W': first_seen 'Jan 2004' is not "
                          "YYYY-MM-DD",
                          "worms.textproto:4:11: family 'W': ports[0] port 70000 is not in "
                          "1-65535",
                          "worms.textproto:4:3: family 'W': ports[0] role must be set",
                          "worms.textproto:5:24: family 'W': sources[0] url 'ftp://x' is not "
                          "an http(s) URL",
                          "worms.textproto:7:10: family 'W': duplicate family name",
                          "worms.textproto:7:10: family 'W': has no sources (every fact needs "
                          "one)"));
}

TEST(RuleLoaderTest, SiteErrorsNameTheItem) {
  const std::string site =
      "name: \"s\"\n"                                                   // 1
      "internal_networks: \"10.0.0.0/8\"\n"                             // 2
      "internal_networks: \"10.0.0.0/33\"\n"                            // 3
      "internal_networks: \"192.168.1.7/24\"\n"                         // 4
      "approved_relays { name: \"outside\" addresses: \"8.8.8.8\" }\n"  // 5
      "approved_relays { name: \"bad\" addresses: \"10.0.0.x\" }\n"     // 6
      "mail_servers { name: \"mx\" addresses: \"2001:db8::1\" }\n"      // 7
      "mail_domains: \"Example.COM\"\n"                                 // 8
      "clean_coverage: 0\n";                                            // 9
  std::vector<std::string> errors = ErrorsOf(Sources(kWorms, kDetection, site));
  EXPECT_THAT(
      errors,
      ElementsAre(
          "site.textproto:3:1: site: internal_networks[1] '10.0.0.0/33': prefix length '33' "
          "is not in 0-32",
          "site.textproto:4:1: site: internal_networks[2] '192.168.1.7/24' has host bits set "
          "beyond /24",
          "site.textproto:6:31: approved relay 'bad': '10.0.0.x' is not an IPv4 or IPv6 "
          "address or CIDR block",
          "site.textproto:5:35: approved relay 'outside': 8.8.8.8/32 is outside every "
          "internal network",
          "site.textproto:8:1: site: mail_domains[0] 'Example.COM' is not a lower-case "
          "domain name like 'example.com'",
          "site.textproto:9:1: site: clean_coverage 0 must be in (0, 1]"));
}

TEST(RuleLoaderTest, SiteWithoutNetworksIsRefused) {
  std::vector<std::string> errors =
      ErrorsOf(Sources(kWorms, kDetection, "name: \"s\"\nclean_coverage: 1\n"));
  EXPECT_THAT(errors, Contains(HasSubstr("no internal_networks")));
}

TEST(RuleLoaderTest, HostileSizesAreRefusedWithOneLine) {
  // 10^6 CIDRs fit in 4 MiB only partially; 10,001 is enough to trip the cap.
  std::string site = "name: \"s\"\nclean_coverage: 1\n";
  for (int i = 0; i <= kMaxSiteAddresses; ++i) {
    absl::StrAppend(&site, "internal_networks: \"10.", i / 256 % 256, ".", i % 256, ".0/24\"\n");
  }
  std::vector<std::string> errors = ErrorsOf(Sources(kWorms, kDetection, site));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0],
            "site.textproto: site: 10001 addresses/CIDR blocks; refused (the limit is 10000)");

  std::string big(kMaxRuleFileBytes + 1, ' ');
  errors = ErrorsOf(Sources(big, kDetection, kSite));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0], "worms.textproto: file is larger than 4194304 bytes (4 MiB); refused");

  // Deep nesting: refused by the parser's recursion limit, not a stack overflow.
  std::string deep = "rule { ";
  for (int i = 0; i < 100000; ++i) deep += "ports { ";
  errors = ErrorsOf(Sources(kWorms, deep, kSite));
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors[0], ContainsRegex("^detection\\.textproto:1:[0-9]+: "));
}

TEST(RuleLoaderTest, ErrorListIsCapped) {
  std::string detection;
  for (int i = 0; i < 300; ++i) absl::StrAppend(&detection, "rule { name: \"r", i, "\" }\n");
  absl::StatusOr<RuleSet> r = ParseRuleSet(Sources(kWorms, detection, kSite));
  ASSERT_FALSE(r.ok());
  std::vector<std::string> errors = RuleErrors(r.status());
  ASSERT_THAT(errors, SizeIs(kMaxReportedErrors + 1));
  EXPECT_THAT(errors.back(), ContainsRegex("^\\.\\.\\. and [0-9]+ more errors$"));
}

class RuleDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(RuleDirTest, PrefersSiteOverExample) {
  Write("worms.textproto", kWorms);
  Write("detection.textproto", kDetection);
  Write("site.example.textproto", kSite);
  absl::StatusOr<RuleSet> r = LoadRuleSet(dir_.string());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->site_path, (dir_ / "site.example.textproto").string());
  std::string mine = kSite;
  mine.replace(mine.find("\"test\""), 6, "\"mine\"");
  Write("site.textproto", mine);
  r = LoadRuleSet(dir_.string());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->site.name(), "mine");
  EXPECT_EQ(r->site_path, (dir_ / "site.textproto").string());
}

TEST_F(RuleDirTest, MissingFilesAreNamed) {
  Write("worms.textproto", kWorms);
  absl::StatusOr<RuleSet> r = LoadRuleSet(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(RuleErrors(r.status()),
              ElementsAre((dir_ / "detection.textproto").string() + ": cannot open",
                          (dir_ / "site.example.textproto").string() + ": cannot open"));
}

// The shipped rules/ directory: loads cleanly, and its worm ports are exactly
// the worm ports of DESIGN.md ("What counts as mass-mailing"), which are also
// the agent's watch defaults (agent/observers/watch_config.cc).
TEST(ShippedRulesTest, LoadsCleanlyAndMatchesDesignPorts) {
  const char* src = std::getenv("CLEANSWEEP_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  absl::StatusOr<RuleSet> r = LoadRuleSet(std::string(src) + "/rules");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->site_path, HasSubstr("site"));

  std::set<std::string> names;
  std::set<std::pair<int, int>> ports;  // (transport, port)
  for (const v1::WormFamily& f : r->worms.family()) {
    names.insert(f.name());
    for (const v1::WormPort& p : f.ports()) {
      const uint32_t last = p.port_last() == 0 ? p.port() : p.port_last();
      for (uint32_t port = p.port(); port <= last; ++port) {
        ports.insert({p.transport(), static_cast<int>(port)});
      }
    }
  }
  for (const char* family : {"Mydoom.A", "Mydoom.B", "Mydoom.M", "Doomjuice.A", "Mimail.A",
                             "Netsky.X", "Netsky.Z", "Bagle.A", "Bagle.B", "Bagle.C", "Sasser.A",
                             "Blaster"}) {
    EXPECT_TRUE(names.count(family)) << family;
  }
  std::set<std::pair<int, int>> design;
  for (int p = 3127; p <= 3198; ++p) design.insert({v1::TRANSPORT_TCP, p});
  for (int p : {1080, 10080, 1034, 445, 5554, 9996, 135, 4444, 2745, 6777, 8866, 665, 82}) {
    design.insert({v1::TRANSPORT_TCP, p});
  }
  design.insert({v1::TRANSPORT_UDP, 69});
  EXPECT_EQ(ports, design);

  std::set<int> signals;
  for (const v1::DetectionRule& rule : r->detection.rule()) {
    signals.insert(rule.signal());
    EXPECT_FALSE(rule.rationale().empty()) << rule.name();
    EXPECT_FALSE(rule.description().empty()) << rule.name();
  }
  for (int s = v1::Signal_MIN + 1; s <= v1::Signal_MAX; ++s) {
    EXPECT_TRUE(signals.count(s)) << "no rule for " << v1::Signal_Name(s);
  }
}

}  // namespace
}  // namespace cleansweep::collector
