// Judging sweep answers: backdoor listeners and protected hosts entries are
// found (with readable, escaped reasons), other listeners and SMTP are not,
// failed checks make an otherwise clean answer incomplete; answer bounds.
#include "collector/sweep/sweep_judge.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::ElementsAre;

cleansweep::v1::SweepRequest Request() {
  cleansweep::v1::SweepRequest r;
  for (uint32_t p : {3127u, 3128u}) {
    auto* b = r.add_backdoor_ports();
    b->set_port(p);
    b->set_transport(cleansweep::v1::TRANSPORT_TCP);
  }
  auto* tftp = r.add_backdoor_ports();
  tftp->set_port(69);
  tftp->set_transport(cleansweep::v1::TRANSPORT_UDP);
  return r;
}

cleansweep::v1::ListeningSocket* Listener(cleansweep::v1::SweepResult* r, uint32_t port,
                                          cleansweep::v1::Transport t) {
  auto* l = r->add_listeners();
  l->set_transport(t);
  l->mutable_local()->set_ip("0.0.0.0");
  l->mutable_local()->set_port(port);
  return l;
}

TEST(SweepJudge, CleanWhenOnlyOrdinaryListenersAndSmtp) {
  cleansweep::v1::SweepResult r;
  Listener(&r, 445, cleansweep::v1::TRANSPORT_TCP);   // checked, watched, not a backdoor
  Listener(&r, 3127, cleansweep::v1::TRANSPORT_UDP);  // udp 3127 is not the tcp backdoor
  r.add_smtp_connections()->mutable_remote()->set_port(25);
  SweepJudgement j = JudgeSweep(Request(), r);
  EXPECT_EQ(j.verdict, cleansweep::v1::SWEEP_VERDICT_CLEAN);
  EXPECT_TRUE(j.reasons.empty());
}

TEST(SweepJudge, BackdoorListenersAndHostsRedirectsAreFound) {
  cleansweep::v1::SweepResult r;
  auto* l = Listener(&r, 3127, cleansweep::v1::TRANSPORT_TCP);
  auto* p = l->add_processes();
  p->set_pid(4242);
  p->set_name("wormy\x1b[31m");
  p->set_exe("/tmp/.x/wormy");
  Listener(&r, 69, cleansweep::v1::TRANSPORT_UDP);
  r.set_hosts_file("/etc/hosts");
  auto* e = r.add_hosts_redirects();
  e->set_line(2);
  e->set_address("127.0.0.1");
  e->set_name("www.symantec.com");
  e->set_domain("symantec.com");
  r.add_errors("cannot read /proc/net/udp6: Permission denied");  // found wins
  SweepJudgement j = JudgeSweep(Request(), r);
  EXPECT_EQ(j.verdict, cleansweep::v1::SWEEP_VERDICT_FOUND);
  EXPECT_THAT(j.reasons,
              ElementsAre("listening on backdoor port 3127/tcp (0.0.0.0): pid 4242 "
                          "wormy\\x1b[31m (/tmp/.x/wormy)",
                          "listening on backdoor port 69/udp (0.0.0.0): process unknown",
                          "hosts file /etc/hosts line 2 sends www.symantec.com to 127.0.0.1 "
                          "(protected domain symantec.com)"));
}

TEST(SweepJudge, FailedChecksMakeItIncomplete) {
  cleansweep::v1::SweepResult r;
  r.add_errors("cannot read /etc/hosts: Permission denied");
  SweepJudgement j = JudgeSweep(Request(), r);
  EXPECT_EQ(j.verdict, cleansweep::v1::SWEEP_VERDICT_INCOMPLETE);
  EXPECT_THAT(j.reasons, ElementsAre("not checked: cannot read /etc/hosts: Permission denied"));
}

TEST(SweepJudge, AnswersOutOfBoundsAreRefused) {
  cleansweep::v1::SweepResult r;
  EXPECT_TRUE(ValidateSweepResult(r).ok());
  for (int i = 0; i <= kMaxSweepListeners; ++i) Listener(&r, 1, cleansweep::v1::TRANSPORT_TCP);
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSweepResult(r)));
  cleansweep::v1::SweepResult long_name;
  Listener(&long_name, 1, cleansweep::v1::TRANSPORT_TCP)
      ->add_processes()
      ->set_exe(std::string(kMaxSweepString + 1, 'x'));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSweepResult(long_name)));
}

}  // namespace
}  // namespace cleansweep::collector
