// Which address names an answering host (hand-built address periods), and
// stored answers read back for the sweep rules: only FOUND ones, in the time
// range, with the address the host held when it answered.
#include "collector/sweep/sweep_answers.h"

#include <string>
#include <vector>

#include "collector/detect/detect_test_util.h"
#include "collector/store/temp_store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using test_util::TestRules;
using ::testing::ElementsAre;

constexpr char kRules[] = R"pb(
  rule { name: "bd" signal: SIGNAL_SWEEP_BACKDOOR_LISTENER window { seconds: 3600 }
         threshold: 1 severity: SEVERITY_MASS_MAILING }
)pb";

const absl::Time kT0 = absl::FromUnixSeconds(1772442000);

AddressRecord Period(const std::string& agent, const std::string& iface, const std::string& ip,
                     absl::Time from, std::optional<absl::Time> to = std::nullopt) {
  AddressRecord r;
  r.agent_id = agent;
  r.interface = iface;
  r.address = ip;
  r.first_seen = from;
  r.last_seen = to.value_or(from);
  r.valid_to = to;
  return r;
}

TEST(HostAddressAtTest, PrefersInternalThenOrdinaryThenIpv4) {
  auto rules = TestRules(kRules);  // internal: 10.0.0.0/8, 2001:db8:1::/48
  const absl::Time t1 = kT0 + absl::Hours(2);
  const std::vector<AddressRecord> periods = {
      Period("ws7", "lo", "127.0.0.1", kT0),
      Period("ws7", "lo", "::1", kT0),
      Period("ws7", "eth0", "192.168.1.5", kT0),   // not internal
      Period("ws7", "eth1", "2001:db8:1::7", kT0),  // internal, IPv6
      Period("ws7", "eth1", "10.1.2.3", kT0, t1),   // internal, IPv4, until t1
      Period("ws7", "eth2", "10.9.9.9", t1),
      Period("ws8", "eth0", "10.0.0.8", kT0),       // another agent's
  };
  EXPECT_EQ(HostAddressAt(periods, *rules, "ws7", kT0 + absl::Minutes(1)), "10.1.2.3");
  // All of them, in that order.
  EXPECT_THAT(HostAddressesAt(periods, *rules, "ws7", kT0 + absl::Minutes(1)),
              ElementsAre("10.1.2.3", "2001:db8:1::7", "192.168.1.5", "127.0.0.1", "::1"));
  EXPECT_TRUE(HostAddressesAt(periods, *rules, "nobody", kT0).empty());
  // From t1 on 10.1.2.3 is gone; 10.9.9.9 (eth2) and 2001:db8:1::7 (eth1)
  // are both internal: IPv4 first.
  EXPECT_EQ(HostAddressAt(periods, *rules, "ws7", t1), "10.9.9.9");
  EXPECT_EQ(HostAddressAt(periods, *rules, "ws8", t1), "10.0.0.8");
  // Before any period: the closest ones (those of kT0).
  EXPECT_EQ(HostAddressAt(periods, *rules, "ws7", kT0 - absl::Hours(1)), "10.1.2.3");
  // Only loopback and an outside address: the outside one; only loopback:
  // IPv4 loopback. Never reported: the agent id.
  const std::vector<AddressRecord> home = {Period("pc", "lo", "127.0.0.1", kT0),
                                           Period("pc", "wlan0", "192.168.1.9", kT0)};
  EXPECT_EQ(HostAddressAt(home, *rules, "pc", kT0), "192.168.1.9");
  const std::vector<AddressRecord> lo = {Period("pc", "lo", "::1", kT0),
                                         Period("pc", "lo", "127.0.0.1", kT0)};
  EXPECT_EQ(HostAddressAt(lo, *rules, "pc", kT0), "127.0.0.1");
  EXPECT_EQ(HostAddressAt(periods, *rules, "nobody", kT0), "nobody");
}

cleansweep::v1::HostFacts Facts(const std::vector<std::string>& eth0) {
  cleansweep::v1::HostFacts f;
  f.set_hostname("ws7");
  auto* lo = f.add_interfaces();
  lo->set_name("lo");
  lo->add_addresses("127.0.0.1");
  auto* eth = f.add_interfaces();
  eth->set_name("eth0");
  for (const auto& a : eth0) eth->add_addresses(a);
  return f;
}

cleansweep::v1::SweepRequest Request(const std::string& id, absl::Time issued) {
  cleansweep::v1::SweepRequest r;
  r.set_sweep_id(id);
  r.mutable_issued_time()->set_seconds(absl::ToUnixSeconds(issued));
  r.mutable_expires_time()->set_seconds(absl::ToUnixSeconds(issued + absl::Hours(24)));
  auto* p = r.add_backdoor_ports();
  p->set_port(3127);
  p->set_transport(cleansweep::v1::TRANSPORT_TCP);
  return r;
}

cleansweep::v1::SweepAgentStatus Answer(cleansweep::v1::SweepVerdict verdict, uint32_t port) {
  cleansweep::v1::SweepAgentStatus a;
  a.set_verdict(verdict);
  auto* l = a.mutable_result()->add_listeners();
  l->set_transport(cleansweep::v1::TRANSPORT_TCP);
  l->mutable_local()->set_ip("0.0.0.0");
  l->mutable_local()->set_port(port);
  return a;
}

class SweepAnswersStoreTest : public test_util::TempStoreTest {};

TEST_F(SweepAnswersStoreTest, FoundAnswersInRangeWithTheAddressOfTheirTime) {
  // ws7 holds 10.0.0.7 from kT0, 10.0.0.70 from kT0 + 2 h.
  ASSERT_TRUE(store_->RecordHostFacts("ws7", Facts({"10.0.0.7"}), kT0).ok());
  ASSERT_TRUE(store_->RecordHostFacts("ws7", Facts({"10.0.0.70"}), kT0 + absl::Hours(2)).ok());
  ASSERT_TRUE(store_->CreateSweep(Request("s1", kT0), {"ws7", "ws8"}).ok());
  ASSERT_TRUE(store_->CreateSweep(Request("s2", kT0 + absl::Hours(3)), {"ws7"}).ok());
  // s1: ws7 found (at +1 h), ws8 clean though it listed a listener on a
  // port that was not asked about; s2: ws7 found again (at +3 h).
  ASSERT_TRUE(store_
                  ->RecordSweepAnswer("s1", "ws7",
                                      Answer(cleansweep::v1::SWEEP_VERDICT_FOUND, 3127),
                                      kT0 + absl::Hours(1))
                  .ok());
  ASSERT_TRUE(store_
                  ->RecordSweepAnswer("s1", "ws8",
                                      Answer(cleansweep::v1::SWEEP_VERDICT_CLEAN, 445),
                                      kT0 + absl::Hours(1))
                  .ok());
  ASSERT_TRUE(store_
                  ->RecordSweepAnswer("s2", "ws7",
                                      Answer(cleansweep::v1::SWEEP_VERDICT_FOUND, 3127),
                                      kT0 + absl::Hours(3))
                  .ok());
  auto rules = TestRules(kRules);

  absl::StatusOr<std::vector<SweepAnswerFacts>> all =
      LoadFoundSweepAnswers(*store_, *rules, "", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].sweep_id, "s1");
  EXPECT_EQ((*all)[0].agent_id, "ws7");
  EXPECT_EQ((*all)[0].host, "10.0.0.7");
  EXPECT_EQ((*all)[0].answered_time, kT0 + absl::Hours(1));
  EXPECT_EQ((*all)[0].request.backdoor_ports_size(), 1);
  EXPECT_EQ((*all)[0].result.listeners(0).local().port(), 3127u);
  EXPECT_EQ((*all)[1].sweep_id, "s2");
  EXPECT_EQ((*all)[1].host, "10.0.0.70");

  // The range is the answer's time, both ends included.
  absl::StatusOr<std::vector<SweepAnswerFacts>> later = LoadFoundSweepAnswers(
      *store_, *rules, "ws7", kT0 + absl::Hours(3), kT0 + absl::Hours(3));
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].sweep_id, "s2");
  EXPECT_TRUE(
      LoadFoundSweepAnswers(*store_, *rules, "ws8", absl::InfinitePast(), absl::InfiniteFuture())
          ->empty());

  // Judged: two findings (two addresses), each of one answer.
  uint64_t read = 0;
  absl::StatusOr<std::vector<cleansweep::v1::Finding>> found = JudgeStoredSweepAnswers(
      *store_, *rules, "", absl::InfinitePast(), absl::InfiniteFuture(), &read);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(read, 2u);
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].host(), "10.0.0.7");
  EXPECT_EQ((*found)[1].host(), "10.0.0.70");
  EXPECT_EQ((*found)[1].evidence(0).sweep_id(), "s2");
}

}  // namespace
}  // namespace cleansweep::collector
