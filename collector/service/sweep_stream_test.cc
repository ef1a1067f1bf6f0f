// Sweeps through the gRPC adapters, in process: the admin service on a real
// Unix socket (mode 0600) and the agent stream on a loopback port, over a
// real SQLite store. A sweep reaches a connected agent at once and one that
// connects later right after the Hello reply; the answer is judged and
// stored; the admin endpoint guards its socket path.
#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cleansweep/v1/admin.grpc.pb.h"
#include "collector/service/admin_service.h"
#include "collector/service/capture_config.h"
#include "collector/service/collector_service.h"
#include "collector/store/sqlite_event_store.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AgentMessage;
using cleansweep::v1::CollectorMessage;

constexpr char kSecret[] = "test-enroll-secret-0123456789";

class SweepStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_sweep_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = OpenSqliteEventStore(dir_ + "/c.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    sweeps_ = std::make_unique<SweepCoordinator>(store_.get());
    CollectorServiceOptions options{{kSecret}, DefaultCaptureConfig()};
    options.sweeps = sweeps_.get();
    service_ = std::make_unique<CollectorService>(store_.get(), options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = cleansweep::v1::Collector::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
    admin_service_ = std::make_unique<AdminService>(sweeps_.get());
    socket_ = dir_ + "/admin.sock";
    auto endpoint = AdminEndpoint::Start(socket_, admin_service_.get());
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = *std::move(endpoint);
    admin_ = cleansweep::v1::Admin::NewStub(
        grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials()));
    cleansweep::v1::EnrollRequest request;
    request.set_agent_id("agent-x");
    request.set_enroll_secret(kSecret);
    cleansweep::v1::EnrollResponse enrolled;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->Enroll(&ctx, request, &enrolled).ok());
    key_ = enrolled.node_key();
  }
  void TearDown() override {
    endpoint_.reset();
    server_->Shutdown();
    server_.reset();
    store_.reset();
    std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  cleansweep::v1::SweepStatus StartSweep() {
    cleansweep::v1::StartSweepRequest request;
    cleansweep::v1::SweepStatus status;
    grpc::ClientContext ctx;
    grpc::Status s = admin_->StartSweep(&ctx, request, &status);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return status;
  }
  cleansweep::v1::SweepStatus WaitForAnswer(const std::string& id) {
    cleansweep::v1::GetSweepRequest request;
    request.set_sweep_id(id);
    request.mutable_wait()->set_seconds(10);
    request.set_with_results(true);
    cleansweep::v1::SweepStatus status;
    grpc::ClientContext ctx;
    grpc::Status s = admin_->GetSweep(&ctx, request, &status);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return status;
  }
  static AgentMessage Hello() {
    AgentMessage m;
    m.mutable_hello()->set_agent_id("agent-x");
    m.mutable_hello()->set_hostname("ws-x");
    return m;
  }
  static AgentMessage Answer(const std::string& id) {
    AgentMessage m;
    m.mutable_sweep_result()->set_sweep_id(id);
    auto* l = m.mutable_sweep_result()->add_listeners();
    l->set_transport(cleansweep::v1::TRANSPORT_TCP);
    l->mutable_local()->set_ip("0.0.0.0");
    l->mutable_local()->set_port(3127);
    return m;
  }

  std::string dir_, socket_, key_;
  EventStorePtr store_;
  std::unique_ptr<SweepCoordinator> sweeps_;
  std::unique_ptr<CollectorService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<cleansweep::v1::Collector::Stub> stub_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<AdminEndpoint> endpoint_;
  std::unique_ptr<cleansweep::v1::Admin::Stub> admin_;
};

TEST_F(SweepStreamTest, TheAdminSocketIsPrivate) {
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SweepStreamTest, AConnectedAgentIsAskedAtOnceAndItsAnswerIsStored) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  CollectorMessage m;
  ASSERT_TRUE(stream->Read(&m));
  EXPECT_TRUE(m.has_config());
  ASSERT_TRUE(stream->Read(&m));
  EXPECT_TRUE(m.has_ack());

  cleansweep::v1::SweepStatus started = StartSweep();
  EXPECT_EQ(started.asked(), 1u);
  EXPECT_EQ(started.delivered(), 1u);
  ASSERT_TRUE(stream->Read(&m));
  ASSERT_TRUE(m.has_sweep());
  EXPECT_EQ(m.sweep().sweep_id(), started.request().sweep_id());
  EXPECT_FALSE(m.sweep().protected_domains().empty());

  ASSERT_TRUE(stream->Write(Answer(m.sweep().sweep_id())));
  cleansweep::v1::SweepStatus answered = WaitForAnswer(m.sweep().sweep_id());
  EXPECT_EQ(answered.answered(), 1u);
  EXPECT_EQ(answered.found(), 1u);
  ASSERT_EQ(answered.agents_size(), 1);
  EXPECT_EQ(answered.agents(0).hostname(), "ws-x");
  EXPECT_EQ(answered.agents(0).verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
  EXPECT_EQ(answered.agents(0).result().listeners(0).local().port(), 3127u);

  // An answer to a sweep nobody issued is ignored; the stream goes on.
  ASSERT_TRUE(stream->Write(Answer("00000000000000000000000000000000")));
  AgentMessage batch;
  batch.mutable_events()->add_events()->set_sequence(1);
  ASSERT_TRUE(stream->Write(batch));
  ASSERT_TRUE(stream->Read(&m));
  EXPECT_EQ(m.ack().sequence(), 1u);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(SweepStreamTest, AnAgentThatConnectsLaterIsAskedRightAfterTheHelloReply) {
  cleansweep::v1::SweepStatus started = StartSweep();
  EXPECT_EQ(started.delivered(), 0u);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_));
  auto stream = stub_->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  CollectorMessage m;
  ASSERT_TRUE(stream->Read(&m));
  EXPECT_TRUE(m.has_config());
  ASSERT_TRUE(stream->Read(&m));
  EXPECT_TRUE(m.has_ack());
  ASSERT_TRUE(stream->Read(&m));
  ASSERT_TRUE(m.has_sweep());
  EXPECT_EQ(m.sweep().sweep_id(), started.request().sweep_id());
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(SweepStreamTest, TheEndpointGuardsItsPath) {
  // Held by a live endpoint: refused.
  auto twice = AdminEndpoint::Start(socket_, admin_service_.get());
  EXPECT_TRUE(absl::IsFailedPrecondition(twice.status())) << twice.status();
  // Not a socket: never replaced.
  const std::string file = dir_ + "/plain";
  std::ofstream(file) << "x";
  auto plain = AdminEndpoint::Start(file, admin_service_.get());
  EXPECT_TRUE(absl::IsFailedPrecondition(plain.status())) << plain.status();
  // A stale socket (nobody listening) is replaced.
  const std::string stale = dir_ + "/stale.sock";
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  stale.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);  // bound, never listened: connecting is refused
  auto replaced = AdminEndpoint::Start(stale, admin_service_.get());
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  (*replaced)->Stop();
  struct stat st;
  EXPECT_NE(stat(stale.c_str(), &st), 0) << "Stop() removes the socket";
  // Too long for sun_path.
  EXPECT_TRUE(absl::IsInvalidArgument(
      AdminEndpoint::Start(dir_ + "/" + std::string(120, 's'), admin_service_.get()).status()));
}

}  // namespace
}  // namespace cleansweep::collector
