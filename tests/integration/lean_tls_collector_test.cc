// The collector's TLS modes with the real binary. "relay" (the default,
// serve --tls-termination relay, collector/service/tls_terminator.h): the
// collector's own TLS endpoint decrypts and relays to gRPC through a
// socketpair, holding back what gRPC cannot take yet. gRPC's own TLS
// (--tls-termination grpc) with --tls-buffers lean (collector/service/
// tls_buffers.h): gRPC's BIO pairs hold 1 KiB and OpenSSL frees idle record
// buffers, so every agent batch (records of up to 16 KiB) crosses the pair in
// pieces and a capture configuration larger than the 1 KiB records the
// collector writes goes out in several; --tls-buffers default: gRPC's and
// OpenSSL's sizes. Each way every event must arrive once and intact, and the
// configuration whole. A server certificate of several KiB makes the
// handshake's first flight larger than the lean pair too.
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/uplink/uplink.h"
#include "collector/store/event_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/collector_process.h"
#include "tests/integration/tls_collector.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using cleansweep::agent::Uplink;
using cleansweep::agent::UplinkOptions;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

class LeanTlsCollectorTest : public ::testing::TestWithParam<const char*> {
 protected:
  // serve's flags for the mode under test.
  static std::vector<std::string> ModeArgs(const std::string& mode) {
    if (mode == "relay") return {"--tls-termination", "relay"};
    return {"--tls-termination", "grpc", "--tls-buffers", mode};
  }
  // What serve logs when the mode is in effect, not only requested (the
  // interposition needs the executable's exported symbols).
  static std::string ModeLog(const std::string& mode) {
    if (mode == "relay") return "TLS: the collector's relay";
    return mode == "lean" ? "TLS buffers: lean (" : "TLS buffers: default (";
  }
};

TEST_P(LeanTlsCollectorTest, LargeBatchesAndALargeConfigurationArriveWhole) {
  const std::string mode = GetParam();
  TlsCollectorEnv env;
  // 1,000 worm ports: a configuration message of several KiB.
  std::vector<std::string> args = ModeArgs(mode);
  args.insert(args.end(), {"--worm-ports", "tcp:20000-20999"});
  auto collector = env.StartCollector("127.0.0.1:0", args);
  ASSERT_NE(collector, nullptr);
  EXPECT_THAT(collector->stderr_text(), HasSubstr(ModeLog(mode)));

  UplinkOptions o = env.EnrolledOptions(*collector, "ws-lean");
  ASSERT_FALSE(o.token.empty());
  o.hostname = "ws-lean";
  o.max_batch_events = 10000;  // the largest batch the collector accepts
  cleansweep::v1::CaptureConfig config;
  absl::Notification got_config;
  Uplink uplink(o, nullptr, [&](const cleansweep::v1::CaptureConfig& c) {
    if (!got_config.HasBeenNotified()) {
      config = c;
      got_config.Notify();
    }
  });
  ASSERT_TRUE(uplink.Start().ok());
  constexpr uint64_t kEvents = 25000;
  for (uint64_t s = 1; s <= kEvents; ++s) uplink.Enqueue(SimpleSmtpEvent(s));
  absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(120));
  ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
  EXPECT_EQ(uplink.acked_sequence(), kEvents);
  ASSERT_TRUE(got_config.WaitForNotificationWithTimeout(absl::Seconds(30)));
  uplink.Stop();
  ASSERT_EQ(collector->Terminate(), 0) << collector->stderr_text();

  std::set<uint32_t> worm_ports;
  for (const auto& spec : config.worm_ports()) {
    EXPECT_EQ(spec.transport(), cleansweep::v1::TRANSPORT_TCP);
    worm_ports.insert(spec.port());
  }
  ASSERT_EQ(worm_ports.size(), 1000u);
  EXPECT_EQ(*worm_ports.begin(), 20000u);
  EXPECT_EQ(*worm_ports.rbegin(), 20999u);

  const std::vector<collector::StoredEvent> events = env.StoredEvents("ws-lean");
  std::map<uint64_t, int> count;
  int differing = 0;
  for (const auto& e : events) {
    const uint64_t seq = e.event.sequence();
    ++count[seq];
    if (!MessageDifferencer::Equals(e.event, SimpleSmtpEvent(seq)) && ++differing <= 3) {
      ADD_FAILURE() << "stored event differs from the one sent: " << e.event.DebugString();
    }
  }
  EXPECT_EQ(differing, 0);
  ASSERT_EQ(count.size(), kEvents);
  EXPECT_EQ(count.begin()->first, 1u);
  EXPECT_EQ(count.rbegin()->first, kEvents);
  for (const auto& [seq, n] : count) {
    if (n != 1) ADD_FAILURE() << "sequence " << seq << " stored " << n << " times";
  }
}

TEST_P(LeanTlsCollectorTest, AgentsConnectWhenTheCertificateIsLargerThanTheBuffers) {
  const std::string mode = GetParam();
  TlsCollectorEnv env;
  // The same CA, a server certificate with 200 more names (deploy/pki.sh
  // makes a new one when server.key is missing): several KiB on the wire.
  ASSERT_EQ(unlink(env.path("server.key").c_str()), 0);
  std::vector<std::string> pki = {"/bin/bash", SourceDir() + "/deploy/pki.sh", env.path("")};
  for (int i = 0; i < 200; ++i) pki.push_back(absl::StrCat("collector-", i, ".site.example"));
  ProcessResult made = RunProcess(pki);
  ASSERT_EQ(made.exit_code, 0) << made.stderr_text;
  ASSERT_GT(ReadFileOrDie(env.path("server.pem")).size(), 8000u);

  auto collector = env.StartCollector("127.0.0.1:0", ModeArgs(mode));
  ASSERT_NE(collector, nullptr);
  // Enrollment and the stream: two handshakes with the large certificate.
  UplinkOptions o = env.EnrolledOptions(*collector, "ws-big-cert");
  ASSERT_FALSE(o.token.empty());
  o.hostname = "ws-big-cert";
  Uplink uplink(o, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  constexpr uint64_t kEvents = 100;
  for (uint64_t s = 1; s <= kEvents; ++s) uplink.Enqueue(SimpleSmtpEvent(s));
  absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
  ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
  uplink.Stop();
  ASSERT_EQ(collector->Terminate(), 0) << collector->stderr_text();
  EXPECT_EQ(env.StoredEvents("ws-big-cert").size(), kEvents);
}

INSTANTIATE_TEST_SUITE_P(Modes, LeanTlsCollectorTest, ::testing::Values("relay", "lean", "default"));

}  // namespace
}  // namespace cleansweep::testing
