// Uplink against a small in-process Collector service (plain gRPC on
// loopback): host facts in Hello and change reports, several collector
// addresses, the drain rate's token bucket on the wire, option checks.
// The real collector binary is exercised in tests/integration.
#include "agent/uplink/uplink.h"

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/hostinfo/host_facts.h"
#include "cleansweep/v1/agent_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using cleansweep::v1::AgentMessage;
using cleansweep::v1::CollectorMessage;
using cleansweep::v1::HostFacts;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

// What the fake collector received, in order, with its arrival time.
struct Received {
  absl::Time at;
  AgentMessage message;
};

// Acknowledges the highest contiguous sequence it has seen (0 on Hello, so
// the uplink starts sending), like the real collector minus storage.
class FakeCollector final : public cleansweep::v1::Collector::Service {
 public:
  grpc::Status Connect(grpc::ServerContext* /*context*/,
                       grpc::ServerReaderWriter<CollectorMessage, AgentMessage>* stream) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++streams_;
    }
    AgentMessage m;
    while (stream->Read(&m)) {
      uint64_t ack = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back({absl::Now(), m});
        for (const auto& e : m.events().events()) {
          if (e.sequence() == stored_through_ + 1) ++stored_through_;
        }
        ack = stored_through_;
      }
      if (m.has_hello() || m.has_events()) {
        CollectorMessage a;
        a.mutable_ack()->set_sequence(ack);
        if (!stream->Write(a)) break;
      }
      if (m.has_hello() && !sweep_id_on_hello_.empty()) {
        CollectorMessage sweep;
        sweep.mutable_sweep()->set_sweep_id(sweep_id_on_hello_);
        if (!stream->Write(sweep)) break;
      }
    }
    return grpc::Status::OK;
  }

  std::vector<Received> received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  int streams() const {
    std::lock_guard<std::mutex> lock(mu_);
    return streams_;
  }
  // Every stream's Hello is followed by a SweepRequest with this id.
  void SweepOnHello(std::string id) { sweep_id_on_hello_ = std::move(id); }

 private:
  mutable std::mutex mu_;
  std::vector<Received> received_;
  uint64_t stored_through_ = 0;
  int streams_ = 0;
  std::string sweep_id_on_hello_;  // set before the server is used
};

class FakeServer {
 public:
  FakeServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~FakeServer() { server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2)); }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  FakeCollector& service() { return service_; }

 private:
  FakeCollector service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// A loopback port on which nothing listens (bound, then released).
std::string RefusingAddress() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
}

cleansweep::v1::Event MakeEvent(uint64_t seq) {
  cleansweep::v1::Event e;
  e.set_sequence(seq);
  e.mutable_time()->set_seconds(1700000000 + static_cast<int64_t>(seq));
  e.set_interface("eth0");
  return e;
}

UplinkOptions Options(std::vector<std::string> addresses) {
  UplinkOptions o;
  o.collector_addresses = std::move(addresses);
  o.insecure = true;
  o.token = "t";
  o.agent_id = "ws-test";
  o.version = "0.1.0";
  o.max_batch_delay = absl::Milliseconds(20);
  return o;
}

HostFacts SampleFacts() {
  HostFacts f;
  f.set_hostname("ws-7.example.com");
  f.set_os("Debian GNU/Linux 12 (bookworm)");
  f.set_kernel("6.1.0-13-amd64");
  auto* itf = f.add_interfaces();
  itf->set_name("eth0");
  itf->set_mac("02:fc:00:00:00:01");
  itf->add_addresses("192.0.2.2");
  itf->set_up(true);
  return f;
}

// Polls `condition` until it holds or 30 s pass (a bound for a hung test,
// not a way of waiting).
template <typename F>
bool Eventually(F condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

// Host facts the test changes; every call is counted and stamped with a new
// time, so "unchanged" really means "equal except for time".
class FactsSource {
 public:
  HostFacts Get() {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_;
    HostFacts f = facts_;
    f.mutable_time()->set_seconds(1700000000 + calls_);
    return f;
  }
  // Changes the facts; returns the call count at the change: every later
  // call sees the new facts.
  int Set(HostFacts f) {
    std::lock_guard<std::mutex> lock(mu_);
    facts_ = std::move(f);
    return calls_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  HostFacts facts_ = SampleFacts();
  int calls_ = 0;
};

std::vector<HostFacts> HostMessages(const std::vector<Received>& received) {
  std::vector<HostFacts> out;
  for (const Received& r : received) {
    if (r.message.has_host()) out.push_back(r.message.host());
  }
  return out;
}

TEST(UplinkTest, SweepRequestsReachTheAgentAndItsAnswerReachesTheCollector) {
  FakeServer server;
  server.service().SweepOnHello("5eed5eed5eed5eed5eed5eed5eed5eed");
  std::mutex mu;
  std::vector<std::string> requested;
  UplinkOptions o = Options({server.address()});
  o.on_sweep_request = [&](const cleansweep::v1::SweepRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    requested.push_back(r.sweep_id());
  };
  Uplink uplink(o, nullptr, nullptr);
  // Answers given before any stream is live wait for one.
  cleansweep::v1::SweepResult early;
  early.set_sweep_id("early");
  uplink.SendSweepResult(early);
  ASSERT_TRUE(uplink.Start().ok());
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !requested.empty();
  }));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(requested[0], "5eed5eed5eed5eed5eed5eed5eed5eed");
  }
  cleansweep::v1::SweepResult answer;
  answer.set_sweep_id("5eed5eed5eed5eed5eed5eed5eed5eed");
  answer.add_listeners()->mutable_local()->set_port(3127);
  uplink.SendSweepResult(answer);
  auto answers = [&] {
    std::vector<cleansweep::v1::SweepResult> out;
    for (const Received& r : server.service().received()) {
      if (r.message.has_sweep_result()) out.push_back(r.message.sweep_result());
    }
    return out;
  };
  ASSERT_TRUE(Eventually([&] { return answers().size() == 2; }));
  EXPECT_EQ(answers()[0].sweep_id(), "early");
  EXPECT_TRUE(MessageDifferencer::Equals(answers()[1], answer));
  uplink.Stop();
}

TEST(UplinkTest, HelloCarriesHostFactsAndOnlyChangesAreReported) {
  FakeServer server;
  FactsSource source;
  UplinkOptions o = Options({server.address()});
  o.host_facts_provider = [&source] { return source.Get(); };
  o.host_facts_interval = absl::Milliseconds(10);
  Uplink uplink(o, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());

  // Several collections of unchanged facts (only their time differs) ...
  ASSERT_TRUE(Eventually([&] { return source.calls() >= 6; }));
  // ... then an event: the stream is ordered, so once it is acknowledged
  // everything the uplink wrote before it has arrived.
  uplink.Enqueue(MakeEvent(1));
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(30)).ok());
  std::vector<Received> received = server.service().received();
  ASSERT_FALSE(received.empty());
  ASSERT_TRUE(received[0].message.has_hello());
  const auto& hello = received[0].message.hello();
  EXPECT_TRUE(SameHostFacts(hello.host(), SampleFacts())) << hello.host().DebugString();
  EXPECT_TRUE(hello.host().has_time());
  EXPECT_EQ(hello.hostname(), "ws-7.example.com");  // no hostname option: the facts' one
  EXPECT_TRUE(HostMessages(received).empty());

  // An address comes: reported once, however often the facts are collected.
  HostFacts changed = SampleFacts();
  changed.mutable_interfaces(0)->add_addresses("2001:db8::7");
  const int at_change = source.Set(changed);
  ASSERT_TRUE(Eventually([&] { return source.calls() >= at_change + 6; }));
  uplink.Enqueue(MakeEvent(2));
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(30)).ok());
  std::vector<HostFacts> reports = HostMessages(server.service().received());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_TRUE(SameHostFacts(reports[0], changed)) << reports[0].DebugString();
  EXPECT_GT(reports[0].time().seconds(), 1700000000 + at_change);  // collected after the change
  uplink.Stop();
}

TEST(UplinkTest, WithoutProviderHelloHasNoHostFactsAndKeepsHostnameOption) {
  FakeServer server;
  UplinkOptions o = Options({server.address()});
  o.hostname = "configured-name";
  Uplink uplink(o, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  uplink.Enqueue(MakeEvent(1));
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(30)).ok());
  uplink.Stop();
  std::vector<Received> received = server.service().received();
  ASSERT_FALSE(received.empty());
  EXPECT_FALSE(received[0].message.hello().has_host());
  EXPECT_EQ(received[0].message.hello().hostname(), "configured-name");
  EXPECT_TRUE(HostMessages(received).empty());
}

TEST(UplinkTest, UsesTheNextAddressWhenTheFirstRefuses) {
  FakeServer server;
  Uplink uplink(Options({RefusingAddress(), server.address()}), nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  for (uint64_t s = 1; s <= 50; ++s) uplink.Enqueue(MakeEvent(s));
  absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(30));
  ASSERT_TRUE(acked.ok()) << acked;
  EXPECT_EQ(uplink.acked_sequence(), 50u);
  EXPECT_EQ(server.service().streams(), 1);
  uplink.Stop();
}

TEST(UplinkTest, SingleAddressShorthandStillWorks) {
  FakeServer server;
  UplinkOptions o = Options({});
  o.collector_address = server.address();
  Uplink uplink(o, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  uplink.Enqueue(MakeEvent(1));
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(30)).ok());
  uplink.Stop();
}

TEST(UplinkTest, AllAddressesDownReportsThemAll) {
  const std::string a = RefusingAddress(), b = RefusingAddress();
  Uplink uplink(Options({a, b}), nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  uplink.Enqueue(MakeEvent(1));
  absl::Status st = uplink.WaitAllAcked(absl::Now() + absl::Milliseconds(300));
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(st.message(), HasSubstr(absl::StrCat(a, " or ", b)));
  uplink.Stop();
}

// Events per batch and their arrival times, from what the fake received.
struct Batches {
  std::vector<absl::Time> at;
  std::vector<int> size;
  int total = 0;
};
Batches EventBatches(const std::vector<Received>& received) {
  Batches b;
  for (const Received& r : received) {
    if (!r.message.has_events()) continue;
    b.at.push_back(r.at);
    b.size.push_back(r.message.events().events_size());
    b.total += r.message.events().events_size();
  }
  return b;
}

TEST(UplinkTest, DrainRateLimitsEventsOnTheWire) {
  constexpr double kRate = 2000;
  constexpr int kBatch = 100, kEvents = 1000;
  FakeServer server;
  UplinkOptions o = Options({server.address()});
  o.max_batch_events = kBatch;
  o.max_events_per_second = kRate;
  Uplink uplink(o, nullptr, nullptr);
  // The backlog is there before the first stream, as after an outage.
  for (uint64_t s = 1; s <= kEvents; ++s) uplink.Enqueue(MakeEvent(s));
  ASSERT_TRUE(uplink.Start().ok());
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(60)).ok());
  uplink.Stop();

  const Batches b = EventBatches(server.service().received());
  ASSERT_EQ(b.total, kEvents);
  for (int size : b.size) EXPECT_LE(size, kBatch);
  // Token bucket: by the time a batch arrives, at most one burst plus
  // rate × elapsed have been sent. One more batch of slack covers the first
  // batch arriving later than it was sent.
  int cumulative = 0;
  for (size_t i = 0; i < b.at.size(); ++i) {
    cumulative += b.size[i];
    const double allowed = 2 * kBatch + kRate * absl::ToDoubleSeconds(b.at[i] - b.at[0]);
    EXPECT_LE(cumulative, allowed) << "batch " << i;
  }
  const double span = absl::ToDoubleSeconds(b.at.back() - b.at.front());
  EXPECT_GE(span, (kEvents - kBatch) / kRate - 0.02) << "span " << span << " s";
}

TEST(UplinkTest, RateBelowBatchSizeCutsBatches) {
  FakeServer server;
  UplinkOptions o = Options({server.address()});
  o.max_batch_events = 500;
  o.max_events_per_second = 40;  // burst: one second's worth
  Uplink uplink(o, nullptr, nullptr);
  for (uint64_t s = 1; s <= 100; ++s) uplink.Enqueue(MakeEvent(s));
  ASSERT_TRUE(uplink.Start().ok());
  ASSERT_TRUE(uplink.WaitAllAcked(absl::Now() + absl::Seconds(60)).ok());
  uplink.Stop();
  const Batches b = EventBatches(server.service().received());
  ASSERT_EQ(b.total, 100);
  for (int size : b.size) EXPECT_LE(size, 40);
  EXPECT_GE(absl::ToDoubleSeconds(b.at.back() - b.at.front()), (100 - 40) / 40.0 - 0.02);
}

TEST(UplinkTest, StartRejectsBadOptions) {
  {
    Uplink u(Options({}), nullptr, nullptr);
    EXPECT_EQ(u.Start().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    Uplink u(Options({"127.0.0.1:1", ""}), nullptr, nullptr);
    EXPECT_EQ(u.Start().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    UplinkOptions o = Options({"127.0.0.1:1"});
    o.max_events_per_second = -1;
    Uplink u(o, nullptr, nullptr);
    EXPECT_EQ(u.Start().code(), absl::StatusCode::kInvalidArgument);
  }
  {
    UplinkOptions o = Options({"127.0.0.1:1"});
    o.host_facts_provider = [] { return HostFacts(); };
    o.host_facts_interval = absl::ZeroDuration();
    Uplink u(o, nullptr, nullptr);
    EXPECT_EQ(u.Start().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace cleansweep::agent
