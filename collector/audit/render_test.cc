// The sweep section as people read it: text and HTML of a hand-built report
// (found hosts with what they found, hosts that did not answer, clean ones
// counted), agent text escaped in the HTML, and an external report (reasons
// removed) still saying what was found.
#include "collector/audit/render.h"

#include <string>

#include "collector/audit/verdict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

cleansweep::v1::AuditReport Report() {
  cleansweep::v1::AuditReport r;
  r.mutable_from()->set_seconds(1772442000);     // 2026-03-02T09:00:00Z
  r.mutable_to()->set_seconds(1772442000 + 3600);
  auto* cov = r.mutable_coverage()->add_hosts();
  cov->set_hostname("ws07");
  cov->set_agent_id("ws07");
  cov->add_addresses("10.20.1.7");
  auto* s = r.mutable_sweeps()->add_sweeps();
  s->set_sweep_id("78c5581b367b19527bc942d6aa633bde");
  s->mutable_issued_time()->set_seconds(1772442000 + 600);
  s->mutable_expires_time()->set_seconds(1772442000 + 600 + 86400);
  s->set_asked(4);
  s->set_delivered(3);
  s->set_answered(3);
  s->set_found(1);
  auto* found = s->add_hosts();
  found->set_hostname("ws07");
  found->set_agent_id("ws07");
  found->add_addresses("10.20.1.7");
  found->mutable_answered_time()->set_seconds(1772442000 + 605);
  found->set_verdict(cleansweep::v1::SWEEP_VERDICT_FOUND);
  found->add_reasons("listening on backdoor port 3127/tcp (0.0.0.0): pid 42 <b>x</b> (/home/al/x)");
  auto* l = found->add_backdoor_listeners();
  l->set_transport(cleansweep::v1::TRANSPORT_TCP);
  l->mutable_local()->set_ip("0.0.0.0");
  l->mutable_local()->set_port(3127);
  auto* p = l->add_processes();
  p->set_pid(42);
  p->set_name("<b>x</b>");
  p->set_exe("/home/al/x");
  auto* silent = s->add_hosts();
  silent->set_hostname("ws12");
  silent->set_agent_id("ws12");
  silent->mutable_delivered_time()->set_seconds(1772442000 + 600);
  for (const char* name : {"ws08", "ws09"}) {
    auto* clean = s->add_hosts();
    clean->set_hostname(name);
    clean->set_agent_id(name);
    clean->mutable_answered_time()->set_seconds(1772442000 + 606);
    clean->set_verdict(cleansweep::v1::SWEEP_VERDICT_CLEAN);
  }
  return r;
}

TEST(AuditRenderTest, TextListsWhatEachSweepFoundAndWhoDidNotAnswer) {
  const std::string text = AuditText(Report());
  EXPECT_THAT(text, HasSubstr("4. Sweeps"));
  EXPECT_THAT(text, HasSubstr("sweep 78c5581b367b19527bc942d6aa633bde issued 2026-03-02T09:10:00Z, "
                              "expires 2026-03-03T09:10:00Z\n"));
  EXPECT_THAT(text, HasSubstr("4 host(s) asked, 3 reached, 3 answered: 1 found something, "
                              "0 incomplete; 1 did not answer\n"));
  EXPECT_THAT(text, HasSubstr("      ws07 (10.20.1.7): FOUND at 2026-03-02T09:10:05Z\n"
                              "         listening on backdoor port 3127/tcp (0.0.0.0): pid 42 "
                              "<b>x</b> (/home/al/x)\n"));
  EXPECT_THAT(text, HasSubstr("      ws12: no answer asked at 2026-03-02T09:10:00Z\n"));
  EXPECT_THAT(text, HasSubstr("      2 host(s) answered clean\n"));
}

TEST(AuditRenderTest, ASweepFindingSaysItCameFromAnAnswer) {
  cleansweep::v1::AuditReport r = Report();
  auto* f = r.mutable_findings()->add_findings();
  f->set_host("10.20.1.7");
  f->set_rule("backdoor_listener");
  f->set_signal(cleansweep::v1::SIGNAL_SWEEP_BACKDOOR_LISTENER);
  f->set_severity(cleansweep::v1::SEVERITY_MASS_MAILING);
  f->set_peak(2);
  f->set_threshold(1);
  EXPECT_THAT(AuditText(r), HasSubstr("10.20.1.7  mass-mailing  backdoor_listener: 2 found by one "
                                      "sweep answer (threshold 1)"));
}

TEST(AuditRenderTest, HtmlEscapesWhatAgentsReported) {
  const std::string html = AuditHtml(Report());
  EXPECT_THAT(html, HasSubstr("<h2>4. Sweeps</h2>"));
  EXPECT_THAT(html, HasSubstr("pid 42 &lt;b&gt;x&lt;/b&gt; (/home/al/x)"));
  EXPECT_THAT(html, Not(HasSubstr("<b>x</b>")));
  EXPECT_THAT(html, HasSubstr("Answered clean: ws08, ws09"));
}

TEST(AuditRenderTest, AnExternalReportStillSaysWhatWasFound) {
  cleansweep::v1::AuditReport r = Report();
  RedactForExternal(&r);
  const auto& h = r.sweeps().sweeps(0).hosts(0);
  EXPECT_EQ(h.hostname(), "host 1");  // the coverage section's label for ws07
  EXPECT_TRUE(h.agent_id().empty());
  EXPECT_TRUE(h.addresses().empty());
  EXPECT_TRUE(h.reasons().empty());
  EXPECT_TRUE(h.backdoor_listeners(0).local().ip().empty());
  EXPECT_TRUE(h.backdoor_listeners(0).processes(0).exe().empty());
  const std::string text = AuditText(r);
  EXPECT_THAT(text, HasSubstr("      host 1: FOUND at 2026-03-02T09:10:05Z\n"
                              "         listening on backdoor port 3127/tcp, pid 42 <b>x</b>\n"));
  EXPECT_THAT(text, Not(HasSubstr("ws07")));
  EXPECT_THAT(text, Not(HasSubstr("10.20.1.7")));
  EXPECT_THAT(text, Not(HasSubstr("/home/al")));
}

}  // namespace
}  // namespace cleansweep::collector
