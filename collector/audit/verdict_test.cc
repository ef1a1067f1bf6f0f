#include "collector/audit/verdict.h"

#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AuditReport;

AuditReport Covered(uint32_t expected, uint32_t whole, double required) {
  AuditReport r;
  r.set_site("example-gmbh");
  r.mutable_from()->set_seconds(1772442000);
  r.mutable_to()->set_seconds(1772528400);
  auto* c = r.mutable_coverage();
  c->set_expected(expected);
  c->set_watched_whole(whole);
  c->set_covered_fraction(expected ? static_cast<double>(whole) / expected : 0);
  c->set_required_fraction(required);
  for (uint32_t i = 0; i < expected; ++i) {
    auto* h = c->add_hosts();
    h->set_hostname("ws" + std::to_string(i + 1));
    h->set_agent_id("a" + std::to_string(i + 1));
    h->add_addresses("10.0.0." + std::to_string(i + 1));
  }
  return r;
}

void Flag(AuditReport* r, const std::string& host, const std::string& agent,
          cleansweep::v1::Severity severity) {
  auto* v = r->mutable_findings()->add_verdicts();
  v->set_host(host);
  v->set_agent_id(agent);
  v->set_severity(severity);
  v->set_findings(1);
  auto* f = r->mutable_findings()->add_findings();
  f->set_host(host);
  f->set_agent_id(agent);
  f->set_severity(severity);
  f->add_evidence()->set_summary("smtp 10.0.0.2:1 -> 203.0.113.1:25");
}

TEST(VerdictTest, FullCoverageAndNoFindingIsClean) {
  cleansweep::v1::Verdict v = DecideVerdict(Covered(10, 10, 0.95));
  EXPECT_EQ(v.kind(), "clean");
  EXPECT_EQ(v.exit_code(), 0);
  EXPECT_NE(v.sentence().find("all 10 expected hosts of example-gmbh were watched"),
            std::string::npos) << v.sentence();
}

TEST(VerdictTest, ANoticeAloneStaysClean) {
  AuditReport r = Covered(10, 10, 0.95);
  Flag(&r, "10.0.0.3", "a3", cleansweep::v1::SEVERITY_NOTICE);
  EXPECT_EQ(DecideVerdict(r).exit_code(), 0);
}

TEST(VerdictTest, CoverageBelowTheThresholdIsInconclusiveNeverClean) {
  // 9 of 10 = 90 % < 95 %.
  cleansweep::v1::Verdict v = DecideVerdict(Covered(10, 9, 0.95));
  EXPECT_EQ(v.kind(), "inconclusive");
  EXPECT_EQ(v.exit_code(), 2);
  EXPECT_NE(v.sentence().find("only 9 of 10"), std::string::npos) << v.sentence();
  // Exactly at the threshold is enough.
  EXPECT_EQ(DecideVerdict(Covered(20, 19, 0.95)).exit_code(), 0);
}

TEST(VerdictTest, CleanBelowFullCoverageSaysHowManyWereWatched) {
  // 3 of 4 = 75 %, which this site accepts: clean, but not "all 4".
  cleansweep::v1::Verdict v = DecideVerdict(Covered(4, 3, 0.75));
  EXPECT_EQ(v.kind(), "clean");
  EXPECT_EQ(v.sentence().find("all 4"), std::string::npos) << v.sentence();
  EXPECT_NE(v.sentence().find("3 of 4 expected hosts of example-gmbh were watched for the whole "
                              "window (75.0 %; 75.0 % required) and none showed"),
            std::string::npos)
      << v.sentence();
}

TEST(VerdictTest, ASuspiciousHostIsInfectedEvenWithLowCoverage) {
  AuditReport r = Covered(10, 5, 0.95);
  Flag(&r, "10.0.0.2", "a2", cleansweep::v1::SEVERITY_MASS_MAILING);
  cleansweep::v1::Verdict v = DecideVerdict(r);
  EXPECT_EQ(v.kind(), "infected");
  EXPECT_EQ(v.exit_code(), 1);
  EXPECT_NE(v.sentence().find("one host of example-gmbh showed worm or mass-mailing behaviour (ws2 (10.0.0.2): mass-mailing)"), std::string::npos) << v.sentence();
}

TEST(VerdictTest, AComplaintAtAnUnwatchedTimeIsInconclusive) {
  AuditReport r = Covered(10, 10, 0.95);
  auto* c = r.add_complaints();
  c->set_source("bounce.eml");
  c->set_origin_ip("192.0.2.7");
  c->set_decision("the message entered the recipient's system from 192.0.2.7, which is not ours");
  EXPECT_EQ(DecideVerdict(r).exit_code(), 0);
  EXPECT_NE(DecideVerdict(r).sentence().find("from 192.0.2.7, which is not ours"),
            std::string::npos);
  c->set_coverage_gap_at_time(true);
  EXPECT_EQ(DecideVerdict(r).exit_code(), 2);
}

TEST(VerdictTest, TheExternalAudienceSeesNoInternalNameOrAddress) {
  AuditReport r = Covered(3, 3, 0.95);
  Flag(&r, "10.0.0.2", "a2", cleansweep::v1::SEVERITY_MASS_MAILING);
  auto* e = r.add_egress();
  e->set_host("10.0.0.2");
  e->set_agent_id("a2");
  RedactForExternal(&r);
  *r.mutable_verdict() = DecideVerdict(r);
  const std::string all = r.DebugString();
  for (const char* secret : {"ws1", "ws2", "ws3", "a2\"", "10.0.0."}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in\n" << all;
  }
  EXPECT_EQ(r.audience(), "external");
  EXPECT_EQ(r.findings().verdicts(0).host(), "host 2");  // the same label everywhere
  EXPECT_EQ(r.egress(0).host(), "host 2");
  EXPECT_NE(r.verdict().sentence().find("(host 2: mass-mailing)"), std::string::npos)
      << r.verdict().sentence();
}

}  // namespace
}  // namespace cleansweep::collector

namespace cleansweep::collector {
namespace {

TEST(VerdictTest, AHostFlaggedByRulesAndByAComplaintIsOneHost) {
  AuditReport r = Covered(3, 3, 0.95);
  Flag(&r, "10.0.0.2", "a2", cleansweep::v1::SEVERITY_WORM_SCANNING);
  auto* c = r.add_complaints();
  c->set_source("bounce.eml");
  c->set_origin_ip("198.51.100.10");
  c->set_origin_is_ours(true);
  c->add_suspects()->set_host("10.0.0.2");
  cleansweep::v1::Verdict v = DecideVerdict(r);
  EXPECT_EQ(v.exit_code(), 1);
  EXPECT_NE(v.sentence().find("one host of example-gmbh"), std::string::npos) << v.sentence();
  EXPECT_NE(v.sentence().find("ws2 (10.0.0.2): worm-scanning, sent SMTP when the reported "
                              "message left"),
            std::string::npos)
      << v.sentence();
}

TEST(VerdictTest, OurOriginWithoutANameableHostIsInconclusive) {
  AuditReport r = Covered(3, 3, 0.95);
  auto* c = r.add_complaints();
  c->set_source("bounce.eml");
  c->set_origin_ip("198.51.100.10");
  c->set_origin_is_ours(true);
  EXPECT_EQ(DecideVerdict(r).exit_code(), 2);
}

TEST(VerdictTest, ABackdoorFoundByASweepIsInfectedAndSaidSo) {
  AuditReport r = Covered(4, 4, 1.0);
  Flag(&r, "10.0.0.2", "a2", cleansweep::v1::SEVERITY_MASS_MAILING);
  auto* f = r.mutable_findings()->mutable_findings(0);
  f->set_signal(cleansweep::v1::SIGNAL_SWEEP_BACKDOOR_LISTENER);
  f->set_rule("backdoor_listener");
  auto* e = f->mutable_evidence(0);
  e->set_sweep_id("s1");
  e->mutable_listener()->mutable_local()->set_ip("10.0.0.2");
  e->mutable_listener()->mutable_local()->set_port(3127);
  e->mutable_listener()->add_processes()->set_exe("/home/bob/x");
  auto* s = r.mutable_sweeps()->add_sweeps();
  s->set_sweep_id("s1");
  s->mutable_issued_time()->set_seconds(1772445600);  // 2026-03-02T10:00:00Z
  s->set_asked(4);
  s->set_answered(3);
  s->set_found(1);
  cleansweep::v1::Verdict v = DecideVerdict(r);
  EXPECT_EQ(v.kind(), "infected");
  EXPECT_EQ(v.exit_code(), 1);
  EXPECT_NE(v.sentence().find("ws2 (10.0.0.2): mass-mailing, a backdoor listener found by a "
                              "sweep"),
            std::string::npos)
      << v.sentence();
  bool listed = false;
  for (const auto& reason : v.reasons()) {
    listed |= reason == "sweep s1 (issued 2026-03-02T10:00:00Z): 3 of 4 asked hosts answered, "
                        "1 found something";
  }
  EXPECT_TRUE(listed) << v.DebugString();

  // External: the socket's address and the executable's path go; an event's
  // evidence gets no sweep fields.
  Flag(&r, "10.0.0.3", "a3", cleansweep::v1::SEVERITY_MASS_MAILING);
  RedactForExternal(&r);
  const auto& ev = r.findings().findings(0).evidence(0);
  EXPECT_TRUE(ev.listener().local().ip().empty());
  EXPECT_EQ(ev.listener().local().port(), 3127u);
  EXPECT_TRUE(ev.listener().processes(0).exe().empty());
  EXPECT_FALSE(r.findings().findings(1).evidence(0).has_listener());
  EXPECT_FALSE(r.findings().findings(1).evidence(0).has_hosts_entry());
}

}  // namespace
}  // namespace cleansweep::collector
