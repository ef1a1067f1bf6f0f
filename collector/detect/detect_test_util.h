// Test helpers for the detector: a small rule set with hand-picked windows
// and thresholds, and event builders.
#ifndef CLEANSWEEP_COLLECTOR_DETECT_DETECT_TEST_UTIL_H_
#define CLEANSWEEP_COLLECTOR_DETECT_DETECT_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cleansweep/v1/event.pb.h"
#include "collector/detect/compiled_rules.h"
#include "collector/rules/rule_loader.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::test_util {

inline constexpr char kTestWorms[] = R"pb(
  family {
    name: "Sasser.A" first_seen: "2004-04-30"
    ports { port: 445 transport: TRANSPORT_TCP role: PORT_ROLE_SCANNING }
    ports { port: 135 transport: TRANSPORT_TCP role: PORT_ROLE_SCANNING }
    behaviour: "test" sources { title: "t" url: "https://example.org/" }
  }
)pb";

// dest: 3 distinct external SMTP destinations in 600 s; attempts: 4 in 600 s;
// mx: 3 names in 300 s; rcpt: 10 in 600 s; forged: 2 in 600 s; ratio: >= 4
// attempts, >= 75 % failed, in 300 s; fanout: 3 addresses on one port in 300 s.
inline constexpr char kTestDetection[] = R"pb(
  rule { name: "dest" signal: SIGNAL_SMTP_EXTERNAL_DESTINATIONS window { seconds: 600 }
         threshold: 3 severity: SEVERITY_MASS_MAILING }
  rule { name: "attempts" signal: SIGNAL_SMTP_EXTERNAL_ATTEMPTS window { seconds: 600 }
         threshold: 4 severity: SEVERITY_SUSPICIOUS }
  rule { name: "mx" signal: SIGNAL_MX_LOOKUPS window { seconds: 300 }
         threshold: 3 severity: SEVERITY_SUSPICIOUS }
  rule { name: "rcpt" signal: SIGNAL_RCPT_COUNT window { seconds: 600 }
         threshold: 10 severity: SEVERITY_MASS_MAILING }
  rule { name: "forged" signal: SIGNAL_FORGED_OWN_DOMAIN_SENDER window { seconds: 600 }
         threshold: 2 severity: SEVERITY_MASS_MAILING }
  rule { name: "ratio" signal: SIGNAL_FAILED_CONNECTION_RATIO window { seconds: 300 }
         threshold: 4 min_ratio: 0.75 severity: SEVERITY_SUSPICIOUS }
  rule { name: "fanout" signal: SIGNAL_WORM_PORT_FANOUT window { seconds: 300 }
         threshold: 3 severity: SEVERITY_WORM_SCANNING }
)pb";

inline constexpr char kTestSite[] = R"pb(
  name: "test"
  internal_networks: "10.0.0.0/8"
  internal_networks: "2001:db8:1::/48"
  approved_relays { name: "relay" addresses: "10.0.0.25" }
  mail_servers { name: "mx" addresses: "10.0.0.26" }
  mail_domains: "example.com"
  clean_coverage: 0.9
)pb";

inline std::shared_ptr<const CompiledRules> TestRules(const std::string& detection = kTestDetection) {
  absl::StatusOr<RuleSet> set = ParseRuleSet(RuleSources{{"worms.textproto", kTestWorms},
                                                        {"detection.textproto", detection},
                                                        {"site.textproto", kTestSite}});
  EXPECT_TRUE(set.ok()) << set.status();
  auto compiled = CompileRules(std::make_shared<const RuleSet>(std::move(*set)));
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

// Seconds after a fixed origin.
inline google::protobuf::Timestamp At(int64_t seconds) {
  return google::protobuf::util::TimeUtil::SecondsToTimestamp(1772442000 + seconds);
}
inline int64_t SecondsOf(const google::protobuf::Timestamp& t) { return t.seconds() - 1772442000; }

inline cleansweep::v1::Event Smtp(uint64_t seq, int64_t t, const std::string& src,
                                  const std::string& dst, uint32_t port = 25,
                                  cleansweep::v1::ConnectionOutcome outcome =
                                      cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED) {
  cleansweep::v1::Event e;
  e.set_sequence(seq);
  *e.mutable_time() = At(t);
  auto* s = e.mutable_smtp();
  s->mutable_client()->set_ip(src);
  s->mutable_client()->set_port(40000);
  s->mutable_server()->set_ip(dst);
  s->mutable_server()->set_port(port);
  s->set_outcome(outcome);
  return e;
}

inline cleansweep::v1::Event Mail(uint64_t seq, int64_t t, const std::string& src,
                                  const std::string& dst, const std::string& from, int rcpts) {
  cleansweep::v1::Event e = Smtp(seq, t, src, dst);
  auto* tx = e.mutable_smtp()->add_transactions();
  tx->set_mail_from(from);
  for (int i = 0; i < rcpts; ++i) tx->add_rcpt_to(absl::StrCat("r", i, "@dest.example"));
  return e;
}

inline cleansweep::v1::Event Mx(uint64_t seq, int64_t t, const std::string& src,
                                const std::string& name) {
  cleansweep::v1::Event e;
  e.set_sequence(seq);
  *e.mutable_time() = At(t);
  auto* d = e.mutable_dns();
  d->mutable_client()->set_ip(src);
  d->mutable_server()->set_ip("10.0.0.53");
  d->mutable_server()->set_port(53);
  d->set_transport(cleansweep::v1::TRANSPORT_UDP);
  d->set_qtype(15);
  d->set_name(name);
  return e;
}

inline cleansweep::v1::Event Worm(uint64_t seq, int64_t t, const std::string& src,
                                  const std::string& dst, uint32_t port,
                                  cleansweep::v1::ConnectionOutcome outcome =
                                      cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER) {
  cleansweep::v1::Event e;
  e.set_sequence(seq);
  *e.mutable_time() = At(t);
  auto* w = e.mutable_worm_port();
  w->mutable_client()->set_ip(src);
  w->mutable_server()->set_ip(dst);
  w->mutable_server()->set_port(port);
  w->set_transport(cleansweep::v1::TRANSPORT_TCP);
  w->set_outcome(outcome);
  w->set_attempts(1);
  return e;
}

}  // namespace cleansweep::collector::test_util

#endif  // CLEANSWEEP_COLLECTOR_DETECT_DETECT_TEST_UTIL_H_
