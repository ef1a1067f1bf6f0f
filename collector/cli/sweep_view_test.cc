// How sweeps are shown: exit codes from the counts, the text report with
// verdicts, reasons and facts (agent strings escaped), the list table.
#include "collector/cli/sweep_view.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

cleansweep::v1::SweepStatus Status(uint32_t asked, uint32_t answered, uint32_t found,
                                   uint32_t incomplete) {
  cleansweep::v1::SweepStatus s;
  s.set_asked(asked);
  s.set_answered(answered);
  s.set_found(found);
  s.set_incomplete(incomplete);
  s.mutable_request()->set_sweep_id("0123456789abcdef0123456789abcdef");
  s.mutable_request()->mutable_issued_time()->set_seconds(1700000000);
  s.mutable_request()->mutable_expires_time()->set_seconds(1700086400);
  return s;
}

TEST(SweepView, ExitCodes) {
  EXPECT_EQ(SweepExitCode(Status(2, 2, 0, 0)), kSweepClean);
  EXPECT_EQ(SweepExitCode(Status(2, 2, 1, 0)), kSweepFound);
  EXPECT_EQ(SweepExitCode(Status(2, 1, 1, 0)), kSweepFound);  // found beats unanswered
  EXPECT_EQ(SweepExitCode(Status(2, 1, 0, 0)), kSweepUnanswered);
  EXPECT_EQ(SweepExitCode(Status(2, 2, 0, 1)), kSweepUnanswered);
}

TEST(SweepView, ReportShowsVerdictsFactsAndMissingAnswers) {
  cleansweep::v1::SweepStatus s = Status(3, 2, 1, 0);
  s.set_delivered(2);
  auto* found = s.add_agents();
  found->set_agent_id("ws07");
  found->set_hostname("ws07.example-corp.test");
  found->set_verdict(cleansweep::v1::SWEEP_VERDICT_FOUND);
  found->mutable_answered_time()->set_seconds(1700000005);
  found->add_reasons("listening on backdoor port 3127/tcp (0.0.0.0): pid 4242 wormy");
  auto* r = found->mutable_result();
  auto* l = r->add_listeners();
  l->set_transport(cleansweep::v1::TRANSPORT_TCP);
  l->mutable_local()->set_ip("0.0.0.0");
  l->mutable_local()->set_port(3127);
  auto* p = l->add_processes();
  p->set_pid(4242);
  p->set_name("wormy");
  auto* c = r->add_smtp_connections();
  c->mutable_local()->set_ip("2001:db8::7");
  c->mutable_local()->set_port(50001);
  c->mutable_remote()->set_ip("192.0.2.25");
  c->mutable_remote()->set_port(25);
  c->set_state("ESTABLISHED");
  auto* q = c->add_processes();
  q->set_pid(99);
  q->set_name("evil\x1b]0;owned\x07");
  auto* i = r->mutable_capture()->add_interfaces();
  i->set_name("eth0");
  i->set_up(true);
  i->set_received(1000);
  i->set_dropped(3);
  auto* clean = s.add_agents();
  clean->set_agent_id("ws08");
  clean->set_hostname("ws08");
  clean->set_verdict(cleansweep::v1::SWEEP_VERDICT_CLEAN);
  clean->mutable_answered_time()->set_seconds(1700000006);
  auto* offline = s.add_agents();
  offline->set_agent_id("ws09");

  const std::string text = SweepReport(s);
  EXPECT_THAT(text, HasSubstr("answered 2/3: 1 found, 0 incomplete\n"));
  EXPECT_THAT(text, HasSubstr("ws07 (ws07.example-corp.test): FOUND at 2023-11-14T22:13:25Z\n"
                              "  listening on backdoor port 3127/tcp (0.0.0.0): pid 4242 wormy\n"
                              "    listening tcp 0.0.0.0:3127  pid 4242 wormy\n"
                              "    smtp [2001:db8::7]:50001 -> 192.0.2.25:25 ESTABLISHED  "
                              "pid 99 evil\\x1b]0;owned\\x07\n"));
  EXPECT_THAT(text, HasSubstr("capture: eth0 dropped 3 of 1000"));
  EXPECT_THAT(text, HasSubstr("ws08: clean at "));
  EXPECT_THAT(text, HasSubstr("ws09: no answer (not connected yet)\n"));
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
}

TEST(SweepView, ListTable) {
  const std::string t = SweepListTable({Status(3, 3, 0, 0), Status(3, 1, 0, 0)});
  EXPECT_THAT(t, HasSubstr("SWEEP"));
  EXPECT_THAT(t, HasSubstr("0123456789abcdef0123456789abcdef  2023-11-14T22:13:20Z  "
                           "2023-11-15T22:13:20Z      3         3      0  complete\n"));
  EXPECT_THAT(t, HasSubstr("      3         1      0  open\n"));
}

}  // namespace
}  // namespace cleansweep::collector
