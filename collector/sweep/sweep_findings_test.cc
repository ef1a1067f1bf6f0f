// The sweep rules over hand-built answers: what an answer counts (asked
// backdoor ports only, distinct (transport, port), the rule's port filter,
// distinct hosts-file names), the threshold, episodes by the window, the
// evidence and its wording, and that sweep rules stay out of the event
// rules' windows.
#include "collector/sweep/sweep_findings.h"

#include <string>
#include <vector>

#include "collector/detect/detect_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Finding;
using test_util::SecondsOf;
using test_util::TestRules;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// bd: one backdoor listener, answers less than an hour apart are one
// finding; hosts: two redirected names, the same window.
constexpr char kSweepRules[] = R"pb(
  rule { name: "dest" signal: SIGNAL_SMTP_EXTERNAL_DESTINATIONS window { seconds: 600 }
         threshold: 3 severity: SEVERITY_MASS_MAILING }
  rule { name: "bd" signal: SIGNAL_SWEEP_BACKDOOR_LISTENER window { seconds: 3600 }
         threshold: 1 severity: SEVERITY_MASS_MAILING description: "backdoor" }
  rule { name: "hosts" signal: SIGNAL_SWEEP_HOSTS_REDIRECT window { seconds: 3600 }
         threshold: 2 severity: SEVERITY_SUSPICIOUS }
)pb";

absl::Time T(int64_t seconds) { return absl::FromUnixSeconds(1772442000 + seconds); }

cleansweep::v1::SweepRequest Request() {
  cleansweep::v1::SweepRequest r;
  for (uint32_t p : {3127u, 3128u}) {
    auto* spec = r.add_backdoor_ports();
    spec->set_port(p);
    spec->set_transport(cleansweep::v1::TRANSPORT_TCP);
  }
  auto* tftp = r.add_backdoor_ports();
  tftp->set_port(69);
  tftp->set_transport(cleansweep::v1::TRANSPORT_UDP);
  return r;
}

void AddListener(cleansweep::v1::SweepResult* r, const std::string& ip, uint32_t port,
                 cleansweep::v1::Transport t, uint32_t pid, const std::string& name,
                 const std::string& exe) {
  auto* l = r->add_listeners();
  l->set_transport(t);
  l->mutable_local()->set_ip(ip);
  l->mutable_local()->set_port(port);
  if (pid != 0) {
    auto* p = l->add_processes();
    p->set_pid(pid);
    p->set_name(name);
    p->set_exe(exe);
  }
}

SweepAnswerFacts Answer(const std::string& sweep, const std::string& agent,
                        const std::string& host, int64_t at) {
  SweepAnswerFacts a;
  a.sweep_id = sweep;
  a.agent_id = agent;
  a.host = host;
  a.answered_time = T(at);
  a.request = Request();
  a.result.set_sweep_id(sweep);
  return a;
}

// An answer with one listener on 3127/tcp held by pid 42.
SweepAnswerFacts Infected(const std::string& sweep, const std::string& host, int64_t at) {
  SweepAnswerFacts a = Answer(sweep, "ws7", host, at);
  AddListener(&a.result, "0.0.0.0", 3127, cleansweep::v1::TRANSPORT_TCP, 42, "wormy",
              "/tmp/wormy");
  return a;
}

std::vector<std::string> Summaries(const Finding& f) {
  std::vector<std::string> out;
  for (const auto& e : f.evidence()) out.push_back(e.summary());
  return out;
}

TEST(SweepFindingsTest, SweepRulesStayOutOfTheEventRules) {
  auto rules = TestRules(kSweepRules);
  ASSERT_EQ(rules->rules.size(), 1u);
  EXPECT_EQ(rules->rules[0].rule->name(), "dest");
  // The day-long sweep windows do not make re-judging read further back.
  EXPECT_EQ(rules->max_window_us, int64_t{600} * 1000000);
  ASSERT_EQ(rules->sweep_rules.size(), 2u);
  EXPECT_EQ(rules->sweep_rules[0].rule->name(), "bd");
  EXPECT_TRUE(rules->sweep_rules[0].ports.empty());
}

TEST(SweepFindingsTest, CountsDistinctAskedBackdoorPortsWithTheirProcesses) {
  SweepAnswerFacts a = Answer("s1", "ws7", "10.0.0.7", 100);
  AddListener(&a.result, "0.0.0.0", 3127, cleansweep::v1::TRANSPORT_TCP, 42, "wormy",
              "/tmp/wormy");
  AddListener(&a.result, "::", 3127, cleansweep::v1::TRANSPORT_TCP, 42, "wormy", "/tmp/wormy");
  // Reported (a watched worm port) but not a backdoor the sweep asked about.
  AddListener(&a.result, "0.0.0.0", 445, cleansweep::v1::TRANSPORT_TCP, 4, "smbd", "");
  AddListener(&a.result, "0.0.0.0", 69, cleansweep::v1::TRANSPORT_UDP, 0, "", "");
  // 3128 over UDP was not asked about (only TCP).
  AddListener(&a.result, "0.0.0.0", 3128, cleansweep::v1::TRANSPORT_UDP, 5, "dns", "");

  std::vector<Finding> found = JudgeSweepAnswers(*TestRules(kSweepRules), {a});
  ASSERT_EQ(found.size(), 1u);
  const Finding& f = found[0];
  EXPECT_EQ(f.host(), "10.0.0.7");
  EXPECT_EQ(f.agent_id(), "ws7");
  EXPECT_EQ(f.rule(), "bd");
  EXPECT_EQ(f.signal(), cleansweep::v1::SIGNAL_SWEEP_BACKDOOR_LISTENER);
  EXPECT_EQ(f.severity(), cleansweep::v1::SEVERITY_MASS_MAILING);
  EXPECT_EQ(f.description(), "backdoor");
  EXPECT_EQ(f.peak(), 2);   // 3127/tcp (twice) and 69/udp
  EXPECT_EQ(f.total(), 1);  // one answer
  EXPECT_EQ(SecondsOf(f.first_time()), 100);
  EXPECT_EQ(SecondsOf(f.fired_time()), 100);
  EXPECT_EQ(SecondsOf(f.last_time()), 100);
  EXPECT_EQ(f.rules_digest(), TestRules(kSweepRules)->digest());
  EXPECT_THAT(
      Summaries(f),
      ElementsAre("sweep s1: listening on backdoor port 3127/tcp (0.0.0.0): pid 42 wormy "
                  "(/tmp/wormy)",
                  "sweep s1: listening on backdoor port 3127/tcp (::): pid 42 wormy (/tmp/wormy)",
                  "sweep s1: listening on backdoor port 69/udp (0.0.0.0): process unknown"));
  const auto& e = f.evidence(0);
  EXPECT_EQ(e.sweep_id(), "s1");
  EXPECT_EQ(e.agent_id(), "ws7");
  EXPECT_EQ(e.sequence(), 0u);
  EXPECT_EQ(SecondsOf(e.time()), 100);
  EXPECT_EQ(e.listener().local().port(), 3127u);
  ASSERT_EQ(e.listener().processes_size(), 1);
  EXPECT_EQ(e.listener().processes(0).pid(), 42u);
  EXPECT_FALSE(e.has_hosts_entry());
}

TEST(SweepFindingsTest, TheRulesPortsNarrowTheAskedOnes) {
  const std::string narrow = R"pb(
    rule { name: "bd_high" signal: SIGNAL_SWEEP_BACKDOOR_LISTENER window { seconds: 3600 }
           threshold: 1 severity: SEVERITY_MASS_MAILING
           ports { port: 3128 port_last: 3198 transport: TRANSPORT_TCP } }
  )pb";
  SweepAnswerFacts low = Infected("s1", "10.0.0.7", 0);  // 3127: outside the filter
  EXPECT_THAT(JudgeSweepAnswers(*TestRules(narrow), {low}), IsEmpty());
  SweepAnswerFacts high = Answer("s2", "ws7", "10.0.0.7", 10);
  AddListener(&high.result, "0.0.0.0", 3128, cleansweep::v1::TRANSPORT_TCP, 42, "wormy", "");
  EXPECT_EQ(JudgeSweepAnswers(*TestRules(narrow), {high}).size(), 1u);
}

TEST(SweepFindingsTest, AnswersLessThanAWindowApartAreOneFinding) {
  // Firing at 0 s, 1800 s (one episode: 30 min < 1 h), then 9000 s (a lull
  // of 2 h: a new finding); the clean answer at 3600 s changes nothing.
  SweepAnswerFacts a = Infected("s1", "10.0.0.7", 0);
  SweepAnswerFacts b = Infected("s2", "10.0.0.7", 1800);
  AddListener(&b.result, "0.0.0.0", 3128, cleansweep::v1::TRANSPORT_TCP, 43, "proxy", "");
  SweepAnswerFacts clean = Answer("s3", "ws7", "10.0.0.7", 3600);
  SweepAnswerFacts c = Infected("s4", "10.0.0.7", 9000);
  // Another host of the same agent (its address changed): its own finding.
  SweepAnswerFacts moved = Infected("s4", "10.0.0.8", 9000);

  std::vector<Finding> found =
      JudgeSweepAnswers(*TestRules(kSweepRules), {c, clean, b, moved, a});  // any order
  ASSERT_EQ(found.size(), 3u);
  // Sorted by (host address, first time, rule).
  EXPECT_EQ(found[0].host(), "10.0.0.7");
  EXPECT_EQ(SecondsOf(found[0].first_time()), 0);
  EXPECT_EQ(SecondsOf(found[0].last_time()), 1800);
  EXPECT_EQ(found[0].peak(), 2);   // s2: 3127 and 3128
  EXPECT_EQ(found[0].total(), 2);  // s1 and s2
  // The first answer's listener, then the last answer's first one.
  EXPECT_THAT(Summaries(found[0]),
              ElementsAre("sweep s1: listening on backdoor port 3127/tcp (0.0.0.0): pid 42 "
                          "wormy (/tmp/wormy)",
                          "sweep s2: listening on backdoor port 3127/tcp (0.0.0.0): pid 42 "
                          "wormy (/tmp/wormy)"));
  EXPECT_EQ(SecondsOf(found[0].evidence(1).time()), 1800);
  EXPECT_EQ(found[1].host(), "10.0.0.7");
  EXPECT_EQ(SecondsOf(found[1].first_time()), 9000);
  EXPECT_EQ(found[1].total(), 1);
  EXPECT_EQ(found[2].host(), "10.0.0.8");
  EXPECT_EQ(found[2].evidence(0).sweep_id(), "s4");
}

TEST(SweepFindingsTest, HostsRedirectsCountDistinctNames) {
  SweepAnswerFacts a = Answer("s1", "ws7", "10.0.0.7", 60);
  a.result.set_hosts_file("/etc/hosts");
  auto entry = [&](uint32_t line, const std::string& name, const std::string& domain) {
    auto* e = a.result.add_hosts_redirects();
    e->set_line(line);
    e->set_address("0.0.0.0");
    e->set_name(name);
    e->set_domain(domain);
  };
  entry(2, "www.symantec.com", "symantec.com");
  entry(3, "www.symantec.com", "symantec.com");  // the same name again
  // One name: below the threshold of 2.
  EXPECT_THAT(JudgeSweepAnswers(*TestRules(kSweepRules), {a}), IsEmpty());
  entry(4, "update.microsoft.com", "microsoft.com");
  std::vector<Finding> found = JudgeSweepAnswers(*TestRules(kSweepRules), {a});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].rule(), "hosts");
  EXPECT_EQ(found[0].severity(), cleansweep::v1::SEVERITY_SUSPICIOUS);
  EXPECT_EQ(found[0].peak(), 2);
  ASSERT_EQ(found[0].evidence_size(), 3);
  EXPECT_EQ(found[0].evidence(0).summary(),
            "sweep s1: hosts file /etc/hosts line 2 sends www.symantec.com to 0.0.0.0 "
            "(protected domain symantec.com)");
  EXPECT_EQ(found[0].evidence(2).hosts_entry().line(), 4u);
  EXPECT_EQ(found[0].evidence(2).hosts_entry().name(), "update.microsoft.com");
}

TEST(SweepFindingsTest, AgentTextIsEscapedAndEvidenceCapped) {
  SweepAnswerFacts a = Answer("s1", "ws7", "10.0.0.7", 0);
  AddListener(&a.result, "0.0.0.0", 3127, cleansweep::v1::TRANSPORT_TCP, 7, "evil\x1b[2J",
              "/tmp/\x07x");
  for (int i = 0; i < 9; ++i) {
    AddListener(&a.result, "127.0.0." + std::to_string(i + 1), 3127,
                cleansweep::v1::TRANSPORT_TCP, 7, "w", "");
  }
  std::vector<Finding> found = JudgeSweepAnswers(*TestRules(kSweepRules), {a});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].evidence(0).summary(),
            "sweep s1: listening on backdoor port 3127/tcp (0.0.0.0): pid 7 evil\\x1b[2J "
            "(/tmp/\\x07x)");
  // kEvidenceFirst (5) + 1 of the ten sockets.
  EXPECT_EQ(found[0].evidence_size(), 6);
  EXPECT_EQ(found[0].peak(), 1);  // ten sockets, one port
}

TEST(SweepFindingsTest, NoSweepRulesNoFindings) {
  EXPECT_THAT(JudgeSweepAnswers(*TestRules(), {Infected("s1", "10.0.0.7", 0)}), IsEmpty());
}

}  // namespace
}  // namespace cleansweep::collector
