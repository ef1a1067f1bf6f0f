// Who may report, with real processes: the agent binary enrolls over TLS with
// the secret from deploy/pki.sh, keeps its node key in its state directory,
// and every refusal the issue lists is exercised against the real collector:
// no key, wrong key, revoked agent, unknown CA, impersonation. Each refusal
// must be logged by the collector with the peer's address.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "agent/app/agent_enrollment.h"
#include "agent/app/node_credential.h"
#include "agent/uplink/enroll_client.h"
#include "cleansweep/v1/agent_service.grpc.pb.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/tls_collector.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    collector_ = env_.StartCollector();
    ASSERT_NE(collector_, nullptr);
  }

  std::string path(const std::string& name) const { return env_.path(name); }
  std::string db() const { return env_.db(); }

  // The agent replays a small capture into the collector and exits once
  // everything is acknowledged (or fails).
  ProcessResult RunAgent(const std::string& agent_id, const std::string& state_dir,
                         bool with_secret, const std::string& ca = "") {
    std::vector<std::string> argv = {AgentBinary(), "--read", TestDataPath("pcap/zeek/smtp.pcap"),
                                     "--collector", collector_->address(), "--ca",
                                     ca.empty() ? path("ca.pem") : ca, "--state-dir",
                                     path(state_dir), "--agent-id", agent_id};
    if (with_secret) {
      argv.push_back("--enroll-secret-file");
      argv.push_back(path("enroll-secret"));
    }
    return RunProcess(argv);
  }

  size_t StoredFor(const std::string& agent_id) { return env_.StoredEvents(agent_id).size(); }

  TlsCollectorEnv env_;
  std::unique_ptr<CollectorProcess> collector_;
};

TEST_F(IdentityTest, EnrollsOnceKeepsAPrivateKeyAndTheCollectorOnlyItsHash) {
  ProcessResult first = RunAgent("ws-a", "a", /*with_secret=*/true);
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text << collector_->stderr_text();
  const size_t events = StoredFor("ws-a");
  EXPECT_GT(events, 0u);

  const std::string key_file = path("a/node_key");
  struct stat st;
  ASSERT_EQ(stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto credential = agent::ParseNodeCredential(ReadFileOrDie(key_file));
  ASSERT_TRUE(credential.ok()) << credential.status();
  EXPECT_EQ(credential->agent_id, "ws-a");

  // The collector keeps SHA-256(key), as sha256sum computes it.
  {
    std::ofstream(path("key.txt")) << credential->node_key;
  }
  ProcessResult sum = RunProcess({"/usr/bin/sha256sum", path("key.txt")});
  ASSERT_EQ(sum.exit_code, 0);
  const std::string expected_hash = sum.stdout_text.substr(0, 64);
  collector::SqliteOptions ro;
  ro.read_only = true;
  ro.create = false;
  auto store = collector::OpenSqliteEventStore(db(), ro);
  ASSERT_TRUE(store.ok());
  auto stored = (*store)->GetAgentCredential("ws-a");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->key_sha256, expected_hash);
  EXPECT_THAT(stored->enrolled_peer, HasSubstr("127.0.0.1"));

  // The second start needs no secret: the key in the state directory is enough.
  ProcessResult second = RunAgent("ws-a", "a", /*with_secret=*/false);
  EXPECT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_EQ(StoredFor("ws-a"), 2 * events);
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("enrolled agent ws-a from ipv4:127.0.0.1:"));
}

TEST_F(IdentityTest, AnEnrollmentInterruptedAfterTheCollectorAnsweredCompletesOnRetry) {
  // The agent had made its request id and sent Enroll; the collector enrolled
  // the id and answered, and the agent died before saving the key.
  const std::string request_id = "0123456789abcdef0123456789abcdef";
  ASSERT_EQ(mkdir(path("a").c_str(), 0700), 0);
  ASSERT_TRUE(agent::WritePrivateFile(path("a/enroll_request"), request_id + "\n").ok());
  auto secret = agent::ReadEnrollSecret(path("enroll-secret"));
  ASSERT_TRUE(secret.ok());
  agent::CollectorChannelOptions channel;
  channel.address = collector_->address();
  channel.ca_pem = env_.ca_pem();
  cleansweep::v1::EnrollRequest request;
  request.set_agent_id("ws-a");
  request.set_enroll_secret(*secret);
  request.set_request_id(request_id);
  auto lost = agent::EnrollWithCollector(channel, request, absl::Seconds(30));
  ASSERT_TRUE(lost.ok()) << lost.status();

  // Restarted, the agent repeats its request and gets a key it can keep.
  ProcessResult agent = RunAgent("ws-a", "a", /*with_secret=*/true);
  ASSERT_EQ(agent.exit_code, 0) << agent.stderr_text << collector_->stderr_text();
  EXPECT_GT(StoredFor("ws-a"), 0u);
  auto saved = agent::ParseNodeCredential(ReadFileOrDie(path("a/node_key")));
  ASSERT_TRUE(saved.ok());
  EXPECT_NE(saved->node_key, lost->node_key());
  struct stat st;
  EXPECT_NE(stat(path("a/enroll_request").c_str(), &st), 0) << "request kept after the key";
  // A different request for the same id is still refused.
  request.set_request_id(std::string(32, 'e'));
  EXPECT_EQ(agent::EnrollWithCollector(channel, request, absl::Seconds(30)).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(IdentityTest, NoKeyIsRefused) {
  // The agent itself will not connect without a key or a secret...
  ProcessResult agent = RunAgent("ws-a", "a", /*with_secret=*/false);
  EXPECT_NE(agent.exit_code, 0);
  EXPECT_THAT(agent.stderr_text, HasSubstr("not enrolled"));
  EXPECT_THAT(agent.stderr_text, HasSubstr("--enroll-secret-file"));

  // ...and a stream without one is refused by the collector, and logged.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFileOrDie(path("ca.pem"));
  auto stub = cleansweep::v1::Collector::NewStub(
      grpc::CreateChannel(collector_->address(), grpc::SslCredentials(ssl)));
  grpc::ClientContext context;
  auto stream = stub->Connect(&context);
  cleansweep::v1::AgentMessage hello;
  hello.mutable_hello()->set_agent_id("ws-a");
  stream->Write(hello);
  cleansweep::v1::CollectorMessage reply;
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(collector_->Terminate(), 0);
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("refused stream from ipv4:127.0.0.1:"));
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("no node key"));
  EXPECT_EQ(StoredFor("ws-a"), 0u);
}

TEST_F(IdentityTest, WrongKeyIsRefused) {
  ASSERT_EQ(RunAgent("ws-a", "a", true).exit_code, 0);
  const size_t before = StoredFor("ws-a");
  // A well-formed key the collector never issued.
  ASSERT_TRUE(agent::SaveNodeCredential(path("a/node_key"), {"ws-a", std::string(64, 'f')}).ok());
  ProcessResult agent = RunAgent("ws-a", "a", false);
  EXPECT_NE(agent.exit_code, 0);
  EXPECT_THAT(agent.stderr_text, HasSubstr("node key"));
  EXPECT_EQ(StoredFor("ws-a"), before);
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("refused stream from ipv4:127.0.0.1:"));
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("unknown node key"));
}

TEST_F(IdentityTest, RevokedAgentIsRefusedAndCannotEnrollAgain) {
  ASSERT_EQ(RunAgent("ws-a", "a", true).exit_code, 0);
  const size_t before = StoredFor("ws-a");
  ProcessResult revoke =
      RunProcess({CollectorBinary(), "agents", "revoke", "--db", db(), "ws-a"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.stderr_text;
  EXPECT_THAT(revoke.stdout_text, HasSubstr("agent ws-a revoked"));

  ProcessResult agent = RunAgent("ws-a", "a", true);
  EXPECT_NE(agent.exit_code, 0);
  EXPECT_THAT(agent.stderr_text, HasSubstr("revoked"));
  // A fresh state directory with the secret does not bring the id back.
  ProcessResult again = RunAgent("ws-a", "a2", true);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.stderr_text, HasSubstr("already enrolled"));
  EXPECT_EQ(StoredFor("ws-a"), before);
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("refused stream from ipv4:127.0.0.1:"));
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("was revoked"));
  EXPECT_THAT(collector_->stderr_text(), HasSubstr("refused enrollment of agent id 'ws-a' from ipv4:127.0.0.1:"));

  // Revoking an id that never enrolled is an error that says so.
  ProcessResult unknown =
      RunProcess({CollectorBinary(), "agents", "revoke", "--db", db(), "ws-zz"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.stderr_text, HasSubstr("never enrolled"));
}

TEST_F(IdentityTest, CollectorFromAnUnknownCaIsRefusedBeforeAnySecretIsSent) {
  TempDir other;
  MakePki(other.path());
  ProcessResult agent = RunAgent("ws-a", "a", true, other.path() + "/ca.pem");
  EXPECT_NE(agent.exit_code, 0);
  EXPECT_THAT(agent.stderr_text, AnyOf(HasSubstr("TLS"), HasSubstr("certificate")));
  EXPECT_THAT(collector_->stderr_text(), ::testing::Not(HasSubstr("enrolled agent")));
  // The collector's TLS endpoint saw the agent abort the handshake, and says
  // from where. (An agent served afterwards shows that the endpoint has
  // handled everything that reached it before: it serves in arrival order.)
  ASSERT_EQ(RunAgent("ws-b", "b", true).exit_code, 0);
  EXPECT_THAT(collector_->stderr_text(),
              ::testing::ContainsRegex("refused connection from ipv4:127\\.0\\.0\\.1:[0-9]+: "
                                       "TLS handshake failed"));
  struct stat st;
  EXPECT_NE(stat(path("a/node_key").c_str(), &st), 0);
  EXPECT_EQ(StoredFor("ws-a"), 0u);
}

TEST_F(IdentityTest, AKeyCannotSpeakForAnotherAgent) {
  ASSERT_EQ(RunAgent("ws-a", "a", true).exit_code, 0);
  ASSERT_EQ(RunAgent("ws-b", "b", true).exit_code, 0);
  const size_t a_before = StoredFor("ws-a"), b_before = StoredFor("ws-b");
  // ws-b's state directory now holds ws-a's key, claiming to be ws-b.
  auto a_key = agent::ParseNodeCredential(ReadFileOrDie(path("a/node_key")));
  ASSERT_TRUE(a_key.ok());
  ASSERT_TRUE(agent::SaveNodeCredential(path("b/node_key"), {"ws-b", a_key->node_key}).ok());
  ProcessResult agent = RunAgent("ws-b", "b", false);
  EXPECT_NE(agent.exit_code, 0);
  EXPECT_THAT(agent.stderr_text, HasSubstr("belongs to agent ws-a"));
  EXPECT_EQ(StoredFor("ws-a"), a_before);
  EXPECT_EQ(StoredFor("ws-b"), b_before);
  EXPECT_THAT(collector_->stderr_text(),
              ::testing::ContainsRegex("refused stream from ipv4:127\\.0\\.0\\.1:[0-9]+: "
                                       "PERMISSION_DENIED: the node key belongs to agent ws-a, "
                                       "but Hello claims agent ws-b"));
}

}  // namespace
}  // namespace cleansweep::testing
