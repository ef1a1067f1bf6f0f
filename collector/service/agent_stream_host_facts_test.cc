// AgentStreamHandler with host facts: Hello.host and AgentMessage.host reach
// the store's address history; the host's own hostname names the agent.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/service/agent_stream_handler.h"
#include "collector/service/capture_config.h"
#include "collector/store/sqlite_event_store.h"
#include "collector/store/temp_store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AgentMessage;
using cleansweep::v1::CollectorMessage;
using cleansweep::v1::HostFacts;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);  // 2027-01-15T08:00:00Z

class AgentStreamHostFactsTest : public test_util::TempStoreTest {
 protected:
  AgentStreamHandler MakeHandler() {
    return AgentStreamHandler(store_.get(), &config_, "ipv4:127.0.0.1:5000",
                              [this] { return now_; });
  }

  static HostFacts Facts(const std::string& hostname, const std::string& address) {
    HostFacts f;
    f.set_hostname(hostname);
    f.set_os("Debian GNU/Linux 12 (bookworm)");
    auto* i = f.add_interfaces();
    i->set_name("eth0");
    i->set_mac("00:11:22:33:44:55");
    i->set_up(true);
    i->add_addresses(address);
    return f;
  }
  static AgentMessage Hello(const std::string& id, const HostFacts* host) {
    AgentMessage m;
    m.mutable_hello()->set_agent_id(id);
    m.mutable_hello()->set_hostname("configured-name");
    m.mutable_hello()->set_version("0.1.0");
    if (host != nullptr) *m.mutable_hello()->mutable_host() = *host;
    return m;
  }
  static AgentMessage HostMessage(const HostFacts& facts) {
    AgentMessage m;
    *m.mutable_host() = facts;
    return m;
  }
  std::string AgentHostname() {
    auto agents = store_->ListAgents();
    EXPECT_TRUE(agents.ok() && agents->size() == 1u);
    return agents.ok() && agents->size() == 1u ? (*agents)[0].identity.hostname : "";
  }
  std::vector<AddressRecord> History(const std::string& ip) {
    AddressHistoryFilter f;
    f.ip = ip;
    auto rows = store_->ListAddressHistory(f);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : std::vector<AddressRecord>{};
  }

  absl::Time now_ = kT0;
  cleansweep::v1::CaptureConfig config_ = DefaultCaptureConfig();
};

TEST_F(AgentStreamHostFactsTest, HelloWithHostStoresFactsAndTheirHostnameNamesTheAgent) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  const HostFacts facts = Facts("ws1.corp.example", "10.0.0.7");
  ASSERT_TRUE(h.Handle(Hello("a1", &facts), &replies).ok());
  ASSERT_EQ(replies.size(), 2u);  // config and ack, as without facts
  EXPECT_TRUE(replies[0].has_config());
  EXPECT_TRUE(replies[1].has_ack());
  EXPECT_EQ(AgentHostname(), "ws1.corp.example");
  auto stored = store_->ListHostFacts();
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].agent_id, "a1");
  EXPECT_EQ((*stored)[0].facts.os(), "Debian GNU/Linux 12 (bookworm)");
  auto rows = History("10.0.0.7");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].agent_id, "a1");
  EXPECT_EQ(rows[0].hostname, "ws1.corp.example");
  EXPECT_EQ(rows[0].first_seen, kT0);
  EXPECT_FALSE(rows[0].valid_to.has_value());
}

TEST_F(AgentStreamHostFactsTest, HelloWithoutHostOrHostnameKeepsTheHelloHostname) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  ASSERT_TRUE(h.Handle(Hello("a1", nullptr), &replies).ok());
  EXPECT_EQ(AgentHostname(), "configured-name");
  EXPECT_TRUE(store_->ListHostFacts()->empty());

  AgentStreamHandler again = MakeHandler();
  const HostFacts nameless = Facts("", "10.0.0.7");
  ASSERT_TRUE(again.Handle(Hello("a1", &nameless), &replies).ok());
  EXPECT_EQ(AgentHostname(), "configured-name");
  EXPECT_EQ(History("10.0.0.7").size(), 1u);
}

TEST_F(AgentStreamHostFactsTest, ChangedFactsUpdateTheHistoryWithoutReply) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  const HostFacts first = Facts("ws1", "10.0.0.7");
  ASSERT_TRUE(h.Handle(Hello("a1", &first), &replies).ok());
  replies.clear();
  now_ = kT0 + absl::Minutes(90);
  ASSERT_TRUE(h.Handle(HostMessage(Facts("ws1-renamed", "10.0.0.8")), &replies).ok());
  EXPECT_TRUE(replies.empty());
  auto old_rows = History("10.0.0.7");
  ASSERT_EQ(old_rows.size(), 1u);
  ASSERT_TRUE(old_rows[0].valid_to.has_value());
  EXPECT_EQ(*old_rows[0].valid_to, kT0 + absl::Minutes(90));
  auto new_rows = History("10.0.0.8");
  ASSERT_EQ(new_rows.size(), 1u);
  EXPECT_EQ(new_rows[0].first_seen, kT0 + absl::Minutes(90));
  EXPECT_EQ(AgentHostname(), "ws1-renamed");
}

TEST_F(AgentStreamHostFactsTest, InvalidFactsInHelloStoreNothing) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  const HostFacts bad = Facts("ws1", "10.0.0.300");
  absl::Status s = h.Handle(Hello("a1", &bad), &replies);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("Hello.host: HostFacts.interfaces[0].addresses[0]"));
  EXPECT_TRUE(replies.empty());
  EXPECT_TRUE(store_->ListAgents()->empty());
  EXPECT_TRUE(store_->ListHostFacts()->empty());
  EXPECT_TRUE(h.agent_id().empty() || store_->ListAgents()->empty());
}

TEST_F(AgentStreamHostFactsTest, InvalidFactsMessageIsRefusedAndKeepsThePrevious) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  const HostFacts first = Facts("ws1", "10.0.0.7");
  ASSERT_TRUE(h.Handle(Hello("a1", &first), &replies).ok());
  replies.clear();
  HostFacts bad = Facts("ws2", "10.0.0.8");
  bad.mutable_interfaces(0)->set_mac("00:11:22:33:44");
  absl::Status s = h.Handle(HostMessage(bad), &replies);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("HostFacts.interfaces[0].mac"));
  EXPECT_TRUE(replies.empty());
  EXPECT_EQ(AgentHostname(), "ws1");
  auto rows = History("10.0.0.7");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].valid_to.has_value());
  EXPECT_TRUE(History("10.0.0.8").empty());
}

TEST_F(AgentStreamHostFactsTest, FactsBeforeHelloAreRefused) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  EXPECT_EQ(h.Handle(HostMessage(Facts("ws1", "10.0.0.7")), &replies).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->ListHostFacts()->empty());
}

}  // namespace
}  // namespace cleansweep::collector
