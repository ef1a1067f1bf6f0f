// The whole path with real processes: deploy/pki.sh → `cleansweep-collector
// serve` over TLS → `cleansweep-agent --read PCAP --collector ...` → SQLite.
// What the agent emits (its --json output for the same capture) must be
// stored exactly, each sequence 1..N once.
#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/collector_process.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using cleansweep::v1::Event;
using google::protobuf::util::MessageDifferencer;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

class CollectorAgentTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakePki(dir_.path());
    collector_ = CollectorProcess::Start(
        {"--db", db(), "--listen", "127.0.0.1:0", "--tls-cert", pki("server.pem"), "--tls-key",
         pki("server.key"), "--enroll-secret-file", pki("enroll-secret")},
        pki("collector.log"));
    ASSERT_NE(collector_, nullptr);
  }

  std::string pki(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string db() const { return dir_.path() + "/c.db"; }
  std::string pcap() const { return TestDataPath("pcap/zeek/smtp.pcap"); }

  ProcessResult RunAgent(const std::string& ca, const std::string& secret_file) {
    return RunProcess({AgentBinary(), "--read", pcap(), "--collector", collector_->address(),
                       "--ca", ca, "--enroll-secret-file", secret_file, "--agent-id",
                       "test-agent", "--state-dir", pki("agent-state")});
  }

  std::vector<collector::StoredEvent> Stored() {
    collector::SqliteOptions ro;
    ro.read_only = true;
    ro.create = false;
    auto store = collector::OpenSqliteEventStore(db(), ro);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return {};
    auto events = (*store)->ListEvents({});
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<collector::StoredEvent>{};
  }

  TempDir dir_;
  std::unique_ptr<CollectorProcess> collector_;
};

TEST_F(CollectorAgentTlsTest, EveryEmittedEventIsStoredIdenticallyWithSequencesOneToN) {
  std::vector<Event> emitted = ReadPcapEvents(pcap());
  ASSERT_FALSE(emitted.empty()) << "the agent emitted no events for " << pcap();
  std::sort(emitted.begin(), emitted.end(),
            [](const Event& a, const Event& b) { return a.sequence() < b.sequence(); });

  ProcessResult agent = RunAgent(pki("ca.pem"), pki("enroll-secret"));
  ASSERT_EQ(agent.exit_code, 0) << agent.stderr_text << "\ncollector:\n"
                                << collector_->stderr_text();
  EXPECT_EQ(collector_->Terminate(), 0) << collector_->stderr_text();

  std::vector<collector::StoredEvent> stored = Stored();
  std::sort(stored.begin(), stored.end(), [](const auto& a, const auto& b) {
    return a.event.sequence() < b.event.sequence();
  });
  ASSERT_EQ(stored.size(), emitted.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].agent_id, "test-agent");
    EXPECT_EQ(stored[i].event.sequence(), i + 1);
    std::string diff;
    MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differencer.Compare(emitted[i], stored[i].event))
        << "event " << i + 1 << " differs: " << diff;
  }
}

TEST_F(CollectorAgentTlsTest, WrongEnrollmentSecretMakesAgentFailClearlyAndStoresNothing) {
  std::string bad_secret = pki("bad-secret");
  {
    std::ofstream(bad_secret) << "this-is-not-the-enrollment-secret\n";
  }
  ProcessResult agent = RunAgent(pki("ca.pem"), bad_secret);
  EXPECT_NE(agent.exit_code, 0);
  EXPECT_THAT(agent.stderr_text, HasSubstr("enrollment secret"));
  EXPECT_EQ(collector_->Terminate(), 0);
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("refused enrollment"));
  EXPECT_TRUE(Stored().empty());
}

TEST_F(CollectorAgentTlsTest, CollectorCertificateFromUnknownCaIsRefused) {
  TempDir other;
  MakePki(other.path());
  ProcessResult agent = RunAgent(other.path() + "/ca.pem", pki("enroll-secret"));
  EXPECT_NE(agent.exit_code, 0);
  EXPECT_THAT(agent.stderr_text, AnyOf(HasSubstr("TLS"), HasSubstr("certificate")));
  EXPECT_EQ(collector_->Terminate(), 0);
  EXPECT_TRUE(Stored().empty());
}

TEST_F(CollectorAgentTlsTest, CollectorStopsCleanlyOnSigterm) {
  EXPECT_EQ(collector_->Terminate(), 0);
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("SIGTERM received"));
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("stopped"));
}

}  // namespace
}  // namespace cleansweep::testing
