// The agent's Uplink against the REAL collector binary over TLS: delivery,
// acknowledgement, restart of the collector with unacknowledged events,
// unknown node key, untrusted CA, clean shutdown on SIGTERM.
#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/uplink/uplink.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/tls_collector.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using cleansweep::agent::Uplink;
using cleansweep::agent::UplinkOptions;
using cleansweep::v1::Event;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

Event MakeEvent(uint64_t seq) {
  Event e;
  e.set_sequence(seq);
  e.mutable_time()->set_seconds(1700000000 + static_cast<int64_t>(seq));
  e.mutable_time()->set_nanos(1000 * static_cast<int32_t>(seq % 1000));
  e.set_interface("eth0");
  auto* s = e.mutable_smtp();
  s->mutable_client()->set_ip("10.0.0.5");
  s->mutable_client()->set_port(static_cast<uint32_t>(1024 + seq % 60000));
  s->mutable_server()->set_ip("192.0.2.25");
  s->mutable_server()->set_port(25);
  s->set_outcome(cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
  auto* t = s->add_transactions();
  t->set_mail_from(absl::StrCat("user", seq, "@example.com"));
  t->add_rcpt_to("victim@example.net");
  return e;
}

class UplinkCollectorTest : public ::testing::Test {
 protected:
  std::string pki(const std::string& name) const { return env_.path(name); }
  std::string db() const { return env_.db(); }

  std::unique_ptr<CollectorProcess> StartCollector(const std::string& listen = "127.0.0.1:0") {
    return env_.StartCollector(listen);
  }

  UplinkOptions Options(const CollectorProcess& c) {
    UplinkOptions o = env_.EnrolledOptions(c, "uplink-test");
    o.hostname = "ws-test";
    o.max_batch_events = 100;
    return o;
  }

  std::vector<collector::StoredEvent> Stored() { return env_.StoredEvents(); }

  // Every sequence 1..n stored exactly once for the agent, each equal to what
  // was sent.
  void ExpectStoredExactly(uint64_t n) {
    std::vector<collector::StoredEvent> stored = Stored();
    ASSERT_EQ(stored.size(), n);
    for (uint64_t i = 0; i < n; ++i) {
      EXPECT_EQ(stored[i].agent_id, "uplink-test");
      EXPECT_EQ(stored[i].event.sequence(), i + 1);  // MakeEvent times increase with seq
      EXPECT_TRUE(MessageDifferencer::Equals(stored[i].event, MakeEvent(i + 1)))
          << stored[i].event.DebugString();
    }
  }

  TlsCollectorEnv env_;
};

TEST_F(UplinkCollectorTest, DeliversEveryEventOnceOverTlsAndShutsDownCleanly) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  std::atomic<int> configs{0};
  cleansweep::v1::CaptureConfig config;
  absl::Notification got_config;
  Uplink uplink(
      Options(*collector),
      [] {
        cleansweep::v1::Heartbeat hb;
        hb.set_packets(42);
        hb.add_interfaces()->set_received(40);
        return hb;
      },
      [&](const cleansweep::v1::CaptureConfig& c) {
        if (configs.fetch_add(1) == 0) {
          config = c;
          got_config.Notify();
        }
      });
  ASSERT_TRUE(uplink.Start().ok());
  constexpr uint64_t kEvents = 1234;
  for (uint64_t s = 1; s <= kEvents; ++s) uplink.Enqueue(MakeEvent(s));
  absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
  ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
  EXPECT_EQ(uplink.acked_sequence(), kEvents);
  ASSERT_TRUE(got_config.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_THAT(config.smtp_ports(), ::testing::ElementsAre(25, 465, 587, 2525));
  uplink.Stop();  // final heartbeat, then close

  EXPECT_EQ(collector->Terminate(), 0) << collector->stderr_text();
  EXPECT_THAT(collector->stderr_text(), HasSubstr("SIGTERM received"));
  ExpectStoredExactly(kEvents);

  // The agents view shows the agent, its progress and the final heartbeat.
  ProcessResult agents = RunProcess({CollectorBinary(), "agents", "--db", db(), "--json"});
  ASSERT_EQ(agents.exit_code, 0) << agents.stderr_text;
  google::protobuf::Struct agent;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(agents.stdout_text, &agent).ok())
      << agents.stdout_text;
  EXPECT_EQ(agent.fields().at("agentId").string_value(), "uplink-test");
  EXPECT_EQ(agent.fields().at("hostname").string_value(), "ws-test");
  EXPECT_EQ(agent.fields().at("events").number_value(), kEvents);
  EXPECT_EQ(agent.fields().at("ackedSequence").number_value(), kEvents);
  const auto& hb = agent.fields().at("lastHeartbeat").struct_value();
  EXPECT_EQ(hb.fields().at("packets").number_value(), 42);
  EXPECT_EQ(hb.fields().at("pcapReceived").number_value(), 40);

  // `events --json` prints what was stored, one event per line.
  ProcessResult events =
      RunProcess({CollectorBinary(), "events", "--db", db(), "--json", "--limit", "3"});
  ASSERT_EQ(events.exit_code, 0) << events.stderr_text;
  std::istringstream lines(events.stdout_text);
  std::string line;
  uint64_t seq = 0;
  while (std::getline(lines, line)) {
    google::protobuf::Struct obj;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &obj).ok()) << line;
    EXPECT_EQ(obj.fields().at("agentId").string_value(), "uplink-test");
    std::string event_json;
    ASSERT_TRUE(
        google::protobuf::util::MessageToJsonString(obj.fields().at("event"), &event_json).ok());
    Event e;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(event_json, &e).ok());
    ++seq;
    EXPECT_TRUE(MessageDifferencer::Equals(e, MakeEvent(seq))) << e.DebugString();
  }
  EXPECT_EQ(seq, 3u);
}

TEST_F(UplinkCollectorTest, ResendsUnackedEventsAfterCollectorRestartAndStoresThemOnce) {
  auto first = StartCollector();
  ASSERT_NE(first, nullptr);
  const int port = first->port();
  UplinkOptions options = Options(*first);
  Uplink uplink(options, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  for (uint64_t s = 1; s <= 150; ++s) uplink.Enqueue(MakeEvent(s));
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(60)).ok());
  ASSERT_EQ(first->Terminate(), 0) << first->stderr_text();

  // Collector down: these cannot be acknowledged now and must survive in the uplink.
  for (uint64_t s = 151; s <= 300; ++s) uplink.Enqueue(MakeEvent(s));
  absl::Status early = uplink.WaitAllAcked(absl::Now() + absl::Milliseconds(300));
  EXPECT_EQ(early.code(), absl::StatusCode::kDeadlineExceeded) << early;
  EXPECT_THAT(early.message(), HasSubstr("150 of 300 events not acknowledged"));

  auto second = StartCollector(absl::StrCat("127.0.0.1:", port));
  ASSERT_NE(second, nullptr);
  absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(90));
  ASSERT_TRUE(acked.ok()) << acked << "\n" << second->stderr_text();
  EXPECT_EQ(uplink.acked_sequence(), 300u);
  uplink.Stop();

  // An agent that lost its state and sends everything again changes nothing:
  // the collector's Hello ack already covers it, and duplicates are ignored.
  Uplink again(options, nullptr, nullptr);
  ASSERT_TRUE(again.Start().ok());
  for (uint64_t s = 1; s <= 300; ++s) again.Enqueue(MakeEvent(s));
  ASSERT_TRUE(again.WaitAllAcked(absl::Now() + absl::Seconds(60)).ok());
  again.Stop();

  EXPECT_EQ(second->Terminate(), 0);
  ExpectStoredExactly(300);
}

TEST_F(UplinkCollectorTest, RestartedAgentWithoutItsEventsGetsGapRecordedInsteadOfStalling) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  // This agent's sequences 1-100 were assigned by an earlier run and never
  // delivered; its persisted counter says the next one is 101.
  UplinkOptions options = Options(*collector);
  options.first_sequence = 101;
  Uplink uplink(options, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  for (uint64_t s = 101; s <= 150; ++s) uplink.Enqueue(MakeEvent(s));
  absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
  ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
  EXPECT_EQ(uplink.acked_sequence(), 150u);
  uplink.Stop();
  EXPECT_EQ(collector->Terminate(), 0);
  EXPECT_THAT(collector->stderr_text(), HasSubstr("sequences 1-100 lost"));

  std::vector<collector::StoredEvent> stored = Stored();
  ASSERT_EQ(stored.size(), 50u);
  EXPECT_EQ(stored.front().event.sequence(), 101u);
  ProcessResult agents = RunProcess({CollectorBinary(), "agents", "--db", db(), "--json"});
  ASSERT_EQ(agents.exit_code, 0) << agents.stderr_text;
  EXPECT_THAT(agents.stdout_text, HasSubstr("\"lostEvents\":100"));
}

TEST_F(UplinkCollectorTest, SendsHeartbeatsEveryIntervalWhileConnected) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  UplinkOptions options = Options(*collector);
  options.heartbeat_interval = absl::Milliseconds(100);
  std::atomic<int> calls{0};
  absl::Notification third;
  Uplink uplink(
      options,
      [&] {
        cleansweep::v1::Heartbeat hb;
        int n = calls.fetch_add(1) + 1;
        hb.set_packets(static_cast<uint64_t>(n));
        if (n == 3) third.Notify();
        return hb;
      },
      nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  EXPECT_TRUE(third.WaitForNotificationWithTimeout(absl::Seconds(30)));
  uplink.Stop();
  const int sent = calls.load();  // periodic ones plus the final one from Stop
  EXPECT_EQ(collector->Terminate(), 0);
  ProcessResult agents = RunProcess({CollectorBinary(), "agents", "--db", db(), "--json"});
  ASSERT_EQ(agents.exit_code, 0) << agents.stderr_text;
  google::protobuf::Struct agent;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(agents.stdout_text, &agent).ok());
  // The newest stored heartbeat is the last one the provider produced.
  EXPECT_EQ(agent.fields().at("lastHeartbeat").struct_value().fields().at("packets").number_value(),
            sent);
}

TEST_F(UplinkCollectorTest, UnknownNodeKeyFailsFastWithClearErrorAndStoresNothing) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  UplinkOptions options = Options(*collector);
  options.token = std::string(64, '0');  // well-formed, but not the enrolled key
  Uplink uplink(options, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  uplink.Enqueue(MakeEvent(1));
  absl::Status s = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_THAT(s.message(), HasSubstr("node key"));
  uplink.Stop();
  EXPECT_EQ(collector->Terminate(), 0);
  EXPECT_THAT(collector->stderr_text(), HasSubstr("refused stream from ipv4:127.0.0.1:"));
  EXPECT_TRUE(Stored().empty());
}

TEST_F(UplinkCollectorTest, CollectorCertificateFromAnotherCaIsRefused) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  TempDir other;
  MakePki(other.path());
  UplinkOptions options = Options(*collector);
  options.ca_pem = ReadFileOrDie(other.path() + "/ca.pem");
  Uplink uplink(options, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  uplink.Enqueue(MakeEvent(1));
  absl::Status s = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("TLS"));
  uplink.Stop();
  EXPECT_EQ(collector->Terminate(), 0);
  EXPECT_TRUE(Stored().empty());
}

TEST_F(UplinkCollectorTest, PlainTextClientIsNotServedByTlsCollector) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  UplinkOptions options = Options(*collector);
  options.insecure = true;
  options.ca_pem.clear();
  Uplink uplink(options, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  uplink.Enqueue(MakeEvent(1));
  absl::Status s = uplink.WaitAllAcked(absl::Now() + absl::Seconds(2));
  EXPECT_FALSE(s.ok());
  uplink.Stop();
  EXPECT_EQ(collector->Terminate(), 0);
  EXPECT_TRUE(Stored().empty());
}

}  // namespace
}  // namespace cleansweep::testing
