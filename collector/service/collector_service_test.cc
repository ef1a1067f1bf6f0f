// The gRPC adapter end to end, in process: a real grpc::Server on a loopback
// port chosen by the kernel, a real SQLite store, a synchronous client.
#include "collector/service/collector_service.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collector/service/capture_config.h"
#include "collector/store/sqlite_event_store.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AgentMessage;
using cleansweep::v1::CollectorMessage;

constexpr char kSecret[] = "test-enroll-secret-0123456789";

class CollectorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_service_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = OpenSqliteEventStore(dir_ + "/c.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    service_ = std::make_unique<CollectorService>(
        store_.get(), CollectorServiceOptions{{kSecret}, DefaultCaptureConfig()});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    stub_ = cleansweep::v1::Collector::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    auto enrolled = Enroll("agent-x", kSecret);
    ASSERT_TRUE(enrolled.ok()) << enrolled.error_message();
    key_ = enrolled_.node_key();
  }

  grpc::Status Enroll(const std::string& id, const std::string& secret) {
    cleansweep::v1::EnrollRequest request;
    request.set_agent_id(id);
    request.set_enroll_secret(secret);
    grpc::ClientContext ctx;
    enrolled_.Clear();
    return stub_->Enroll(&ctx, request, &enrolled_);
  }
  void TearDown() override {
    server_->Shutdown();
    server_.reset();
    store_.reset();
    std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  static AgentMessage Hello() {
    AgentMessage m;
    m.mutable_hello()->set_agent_id("agent-x");
    m.mutable_hello()->set_hostname("ws");
    return m;
  }
  static AgentMessage Batch(uint64_t first, uint64_t last) {
    AgentMessage m;
    for (uint64_t s = first; s <= last; ++s) {
      auto* e = m.mutable_events()->add_events();
      e->set_sequence(s);
      e->mutable_smtp()->mutable_server()->set_port(25);
    }
    return m;
  }

  std::string dir_;
  EventStorePtr store_;
  std::unique_ptr<CollectorService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<cleansweep::v1::Collector::Stub> stub_;
  cleansweep::v1::EnrollResponse enrolled_;
  std::string key_;  // agent-x's node key
};

TEST_F(CollectorServiceTest, EnrollRefusesAWrongSecretAndATakenId) {
  EXPECT_EQ(Enroll("agent-y", "test-enroll-secret-012345678X").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Enroll("agent-x", kSecret).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  grpc::Status ok = Enroll("agent-y", kSecret);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_NE(enrolled_.node_key(), key_);
  EXPECT_EQ(store_->ListAgentCredentials()->size(), 2u);
}

TEST_F(CollectorServiceTest, RefusesMissingOrWrongKeyWithUnauthenticated) {
  std::string wrong = key_;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  for (const std::string& auth : {std::string(), std::string("Bearer wrong"),
                                  std::string("Bearer ") + wrong, std::string("Basic ") + key_}) {
    grpc::ClientContext ctx;
    if (!auth.empty()) ctx.AddMetadata("authorization", auth);
    auto stream = stub_->Connect(&ctx);
    stream->Write(Hello());
    stream->Write(Batch(1, 2));
    CollectorMessage reply;
    EXPECT_FALSE(stream->Read(&reply));
    grpc::Status status = stream->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << auth;
  }
  EXPECT_TRUE(store_->ListEvents({})->empty());
  EXPECT_TRUE(store_->ListAgents()->empty());
}

TEST_F(CollectorServiceTest, AKeyCannotSpeakForAnotherAgent) {
  ASSERT_TRUE(Enroll("agent-y", kSecret).ok());
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", enrolled_.node_key()));
  auto stream = stub_->Connect(&ctx);
  stream->Write(Hello());  // claims agent-x with agent-y's key
  stream->Write(Batch(1, 2));
  CollectorMessage reply;
  EXPECT_FALSE(stream->Read(&reply));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find("agent-y"), std::string::npos);
  EXPECT_TRUE(store_->ListEvents({})->empty());
  EXPECT_TRUE(store_->ListAgents()->empty());
}

TEST_F(CollectorServiceTest, RevokedAgentIsRefusedAndAnOpenStreamEndsAtItsNextHeartbeat) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  CollectorMessage reply;
  ASSERT_TRUE(stream->Read(&reply));  // config
  ASSERT_TRUE(stream->Read(&reply));  // ack
  ASSERT_TRUE(store_->RevokeAgent("agent-x", absl::Now()).ok());
  AgentMessage hb;
  hb.mutable_heartbeat()->set_events(0);
  stream->Write(hb);
  stream->Write(Batch(1, 2));
  while (stream->Read(&reply)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(store_->ListEvents({})->empty());

  grpc::ClientContext again;
  again.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto refused = stub_->Connect(&again);
  refused->Write(Hello());
  EXPECT_FALSE(refused->Read(&reply));
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(CollectorServiceTest, HelloThenBatchesAreStoredAndAcked) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  CollectorMessage reply;
  ASSERT_TRUE(stream->Read(&reply));
  ASSERT_TRUE(reply.has_config());
  EXPECT_EQ(reply.config().dns_qtypes(0), 15u);
  ASSERT_TRUE(stream->Read(&reply));
  ASSERT_TRUE(reply.has_ack());
  EXPECT_EQ(reply.ack().sequence(), 0u);

  ASSERT_TRUE(stream->Write(Batch(1, 3)));
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.ack().sequence(), 3u);
  ASSERT_TRUE(stream->Write(Batch(2, 3)));  // a resend after a reconnect, say
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.ack().sequence(), 3u);
  AgentMessage hb;
  hb.mutable_heartbeat()->set_events(3);
  ASSERT_TRUE(stream->Write(hb));
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&reply));
  grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(store_->ListEvents({})->size(), 3u);
  auto agents = store_->ListAgents();
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].acked_sequence, 3u);
  EXPECT_NE((*agents)[0].identity.peer.find("127.0.0.1"), std::string::npos);
  ASSERT_TRUE((*agents)[0].last_heartbeat.has_value());
}

TEST_F(CollectorServiceTest, PipelinedBatchesGetOrderedAcksAndAllAreFlushedBeforeClose) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  constexpr int kBatches = 50;
  for (int b = 0; b < kBatches; ++b) ASSERT_TRUE(stream->Write(Batch(b * 10 + 1, b * 10 + 10)));
  ASSERT_TRUE(stream->WritesDone());
  CollectorMessage reply;
  std::vector<uint64_t> acks;
  while (stream->Read(&reply)) {
    if (reply.has_ack()) acks.push_back(reply.ack().sequence());
  }
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_EQ(acks.size(), static_cast<size_t>(kBatches + 1));  // Hello's ack + one per batch
  for (int b = 0; b < kBatches; ++b) EXPECT_EQ(acks[b + 1], static_cast<uint64_t>(b * 10 + 10));
  EXPECT_EQ(store_->ListEvents({})->size(), static_cast<size_t>(kBatches * 10));
}

// Batches are parsed and queued while earlier ones are being stored; a loss
// record or heartbeat sent between batches is still handled in its place
// (after the batches before it are stored, before those after it), so each
// ack is the one the agent expects and the gap holds exactly the lost events.
TEST_F(CollectorServiceTest, LossRecordsAndHeartbeatsBetweenPipelinedBatchesKeepTheirPlace) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  // Per round: two batches of kBatch, a heartbeat, 10 sequences lost (spool
  // full), one batch of kBatch. Batches large enough that the next messages
  // arrive while they are stored. Expected acks written out per message.
  constexpr uint64_t kBatch = 400, kLost = 10, kRound = 3 * kBatch + kLost;
  constexpr int kRounds = 12;
  std::vector<uint64_t> expected = {0};  // the Hello's ack
  for (int r = 0; r < kRounds; ++r) {
    const uint64_t base = static_cast<uint64_t>(r) * kRound;
    ASSERT_TRUE(stream->Write(Batch(base + 1, base + kBatch)));
    expected.push_back(base + kBatch);
    ASSERT_TRUE(stream->Write(Batch(base + kBatch + 1, base + 2 * kBatch)));
    expected.push_back(base + 2 * kBatch);
    AgentMessage hb;
    hb.mutable_heartbeat()->set_events(base + 2 * kBatch);
    ASSERT_TRUE(stream->Write(hb));
    AgentMessage lost;
    lost.mutable_lost()->set_first_sequence(base + 2 * kBatch + 1);
    lost.mutable_lost()->set_last_sequence(base + 2 * kBatch + kLost);
    lost.mutable_lost()->set_count(kLost);
    lost.mutable_lost()->set_reason("spool_full");
    ASSERT_TRUE(stream->Write(lost));
    expected.push_back(base + 2 * kBatch + kLost);
    ASSERT_TRUE(stream->Write(Batch(base + 2 * kBatch + kLost + 1, base + kRound)));
    expected.push_back(base + kRound);
  }
  ASSERT_TRUE(stream->WritesDone());
  CollectorMessage reply;
  std::vector<uint64_t> acks;
  while (stream->Read(&reply)) {
    if (reply.has_ack()) acks.push_back(reply.ack().sequence());
  }
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(acks, expected);
  EXPECT_EQ(store_->ListEvents({})->size(), static_cast<size_t>(kRounds * 3 * kBatch));
  auto gaps = store_->CountLostEventGaps("agent-x", absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(gaps.ok()) << gaps.status();
  EXPECT_EQ(gaps->gaps, static_cast<uint64_t>(kRounds));
  EXPECT_EQ(gaps->missing, static_cast<uint64_t>(kRounds) * kLost);
}

TEST_F(CollectorServiceTest, FirstMessageNotHelloEndsStreamWithFailedPrecondition) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub_->Connect(&ctx);
  stream->Write(Batch(1, 1));
  CollectorMessage reply;
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(store_->ListEvents({})->empty());
}

TEST_F(CollectorServiceTest, InvalidBatchEndsStreamWithInvalidArgumentAfterEarlierAcks) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  ASSERT_TRUE(stream->Write(Batch(1, 2)));
  ASSERT_TRUE(stream->Write(Batch(0, 0)));
  CollectorMessage reply;
  uint64_t last_ack = 0;
  while (stream->Read(&reply)) {
    if (reply.has_ack()) last_ack = reply.ack().sequence();
  }
  EXPECT_EQ(last_ack, 2u);
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("sequence"), std::string::npos);
}

// A configuration published while streams are connected reaches each of
// them; a stream that has not said Hello yet gets it right after the Hello
// reply.
TEST_F(CollectorServiceTest, PublishedCaptureConfigReachesEveryLiveStream) {
  CaptureConfigBroadcast broadcast(DefaultCaptureConfig());
  auto service = std::make_unique<CollectorService>(
      store_.get(), CollectorServiceOptions{{kSecret}, {}, &broadcast});
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = cleansweep::v1::Collector::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));

  // Deadlines: a message that never comes fails the test instead of hanging it.
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  CollectorMessage reply;
  ASSERT_TRUE(stream->Read(&reply));
  ASSERT_TRUE(reply.has_config());
  EXPECT_EQ(reply.config().smtp_ports_size(), 4);
  ASSERT_TRUE(stream->Read(&reply));
  ASSERT_TRUE(reply.has_ack());

  // A second stream, connected (and subscribed) but silent so far.
  grpc::ClientContext ctx2;
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  ctx2.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto early = stub->Connect(&ctx2);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (broadcast.listeners() < 2 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_EQ(broadcast.listeners(), 2u);

  cleansweep::v1::CaptureConfig next;
  next.add_smtp_ports(2600);
  next.add_worm_ports()->set_port(31337);
  EXPECT_EQ(broadcast.Publish(next), 2u);
  ASSERT_TRUE(stream->Read(&reply));
  ASSERT_TRUE(reply.has_config());
  EXPECT_EQ(reply.config().SerializeAsString(), next.SerializeAsString());

  ASSERT_TRUE(early->Write(Hello()));
  ASSERT_TRUE(early->Read(&reply));
  ASSERT_TRUE(reply.has_config());  // the configuration it subscribed with
  EXPECT_EQ(reply.config().smtp_ports_size(), 4);
  ASSERT_TRUE(early->Read(&reply));
  ASSERT_TRUE(reply.has_ack());
  ASSERT_TRUE(early->Read(&reply));
  ASSERT_TRUE(reply.has_config());
  EXPECT_EQ(reply.config().SerializeAsString(), next.SerializeAsString());

  for (auto* s : {stream.get(), early.get()}) {
    ASSERT_TRUE(s->WritesDone());
    EXPECT_FALSE(s->Read(&reply));
    EXPECT_TRUE(s->Finish().ok());
  }
  server->Shutdown();
  server->Wait();
  // Finished streams have left the broadcast.
  EXPECT_EQ(broadcast.listeners(), 0u);
}

}  // namespace
}  // namespace cleansweep::collector
