#include "collector/service/agent_enrollment.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr char kSecret[] = "correct-horse-battery-staple";

TEST(ParseEnrollSecretsTest, ReadsOnePerLineSkippingCommentsAndBlanks) {
  auto secrets = ParseEnrollSecrets("# rotated 2026-11\n\n  first-secret-0123456  \nsecond-secret-abcdefg\n");
  ASSERT_TRUE(secrets.ok()) << secrets.status();
  EXPECT_THAT(*secrets, ::testing::ElementsAre("first-secret-0123456", "second-secret-abcdefg"));
}

TEST(ParseEnrollSecretsTest, NamesTheLineOfAShortSecret) {
  auto secrets = ParseEnrollSecrets("long-enough-secret-1\n# c\nshort\n");
  ASSERT_FALSE(secrets.ok());
  EXPECT_THAT(secrets.status().message(), HasSubstr("line 3"));
  EXPECT_THAT(secrets.status().message(), HasSubstr("at least 16"));
}

TEST(ParseEnrollSecretsTest, RefusesSpacesInsideASecretAndAnEmptyFile) {
  EXPECT_THAT(ParseEnrollSecrets("two words but long enough").status().message(),
              HasSubstr("line 1"));
  EXPECT_THAT(ParseEnrollSecrets("# nothing\n\n").status().message(),
              HasSubstr("no enrollment secret"));
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", std::string("abc\0", 4)));
}

TEST(Sha256HexTest, MatchesTheFipsTestVector) {
  // FIPS 180-2, appendix B.1: SHA-256("abc").
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

class AgentEnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_enroll_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = OpenSqliteEventStore(dir_ + "/c.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    enrollment_ = std::make_unique<AgentEnrollment>(
        store_.get(), std::vector<std::string>{"other-secret-0123456789", kSecret},
        [this] { return now_; });
  }
  void TearDown() override {
    enrollment_.reset();
    store_.reset();
    std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  absl::StatusOr<cleansweep::v1::EnrollResponse> Enroll(const std::string& id,
                                                        const std::string& secret = kSecret) {
    cleansweep::v1::EnrollRequest request;
    request.set_agent_id(id);
    request.set_enroll_secret(secret);
    return enrollment_->Enroll(request, "ipv4:10.0.0.7:40000");
  }

  std::string dir_;
  EventStorePtr store_;
  std::unique_ptr<AgentEnrollment> enrollment_;
  absl::Time now_ = absl::FromUnixSeconds(1795000000);
};

TEST_F(AgentEnrollmentTest, WrongSecretIsRefusedAndNothingIsStored) {
  auto r = Enroll("ws-1", "correct-horse-battery-stapl3");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("stapl3")));
  EXPECT_EQ(Enroll("ws-1", "").status().code(), absl::StatusCode::kUnauthenticated);
  auto all = store_->ListAgentCredentials();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(AgentEnrollmentTest, EnrollIssuesARandomKeyAndStoresOnlyItsHash) {
  auto a = Enroll("ws-1");
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = Enroll("ws-2", "other-secret-0123456789");  // any configured secret works
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->agent_id(), "ws-1");
  EXPECT_THAT(a->node_key(), MatchesRegex("[0-9a-f]{64}"));
  EXPECT_NE(a->node_key(), b->node_key());

  auto credential = store_->GetAgentCredential("ws-1");
  ASSERT_TRUE(credential.ok());
  EXPECT_EQ(credential->key_sha256, Sha256Hex(a->node_key()));
  EXPECT_EQ(credential->enrolled_peer, "ipv4:10.0.0.7:40000");
  EXPECT_EQ(credential->enrolled_at, now_);
  EXPECT_FALSE(credential->revoked_at.has_value());

  // The key itself appears nowhere in the database file.
  ASSERT_TRUE(store_->Close().ok());
  for (const char* file : {"/c.db", "/c.db-wal"}) {
    std::ifstream in(dir_ + file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(a->node_key()), std::string::npos) << file;
  }
}

TEST_F(AgentEnrollmentTest, AnIdEnrollsOnlyOnce) {
  ASSERT_TRUE(Enroll("ws-1").ok());
  auto again = Enroll("ws-1");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("--agent-id"));
}

TEST_F(AgentEnrollmentTest, RepeatingTheRequestCompletesAnInterruptedEnrollment) {
  const std::string request_id(32, 'c');
  cleansweep::v1::EnrollRequest request;
  request.set_agent_id("ws-1");
  request.set_enroll_secret(kSecret);
  request.set_request_id(request_id);
  auto lost = enrollment_->Enroll(request, "ipv4:10.0.0.7:40000");  // answer never saved
  ASSERT_TRUE(lost.ok()) << lost.status();
  auto retried = enrollment_->Enroll(request, "ipv4:10.0.0.7:40001");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_NE(retried->node_key(), lost->node_key());
  EXPECT_EQ(*enrollment_->Authenticate("Bearer " + retried->node_key()), "ws-1");
  EXPECT_EQ(enrollment_->Authenticate("Bearer " + lost->node_key()).status().code(),
            absl::StatusCode::kUnauthenticated);

  // Another request for the same id, or none, is still refused.
  request.set_request_id(std::string(32, 'd'));
  EXPECT_EQ(enrollment_->Enroll(request, "p").status().code(), absl::StatusCode::kAlreadyExists);
  request.clear_request_id();
  EXPECT_EQ(enrollment_->Enroll(request, "p").status().code(), absl::StatusCode::kAlreadyExists);
  // A wrong secret with the right request id is refused before anything else.
  request.set_request_id(request_id);
  request.set_enroll_secret("wrong-secret-but-long-enough");
  EXPECT_EQ(enrollment_->Enroll(request, "p").status().code(), absl::StatusCode::kUnauthenticated);
  // Once revoked, not even the original request brings the id back.
  request.set_enroll_secret(kSecret);
  ASSERT_TRUE(store_->RevokeAgent("ws-1", now_).ok());
  EXPECT_EQ(enrollment_->Enroll(request, "p").status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(AgentEnrollmentTest, MalformedRequestIdIsInvalidArgument) {
  cleansweep::v1::EnrollRequest request;
  request.set_agent_id("ws-1");
  request.set_enroll_secret(kSecret);
  request.set_request_id("short");
  EXPECT_EQ(enrollment_->Enroll(request, "p").status().code(), absl::StatusCode::kInvalidArgument);
  request.set_request_id(std::string(32, 'G'));
  EXPECT_EQ(enrollment_->Enroll(request, "p").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AgentEnrollmentTest, BadAgentIdIsInvalidArgument) {
  EXPECT_EQ(Enroll("ws 1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Enroll("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Enroll(std::string(129, 'a')).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AgentEnrollmentTest, AuthenticateMapsTheKeyToItsAgent) {
  auto a = Enroll("ws-1");
  auto b = Enroll("ws-2");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*enrollment_->Authenticate("Bearer " + a->node_key()), "ws-1");
  EXPECT_EQ(*enrollment_->Authenticate("bearer " + b->node_key()), "ws-2");
}

TEST_F(AgentEnrollmentTest, AuthenticateRefusesMissingMalformedAndUnknownKeys) {
  auto a = Enroll("ws-1");
  ASSERT_TRUE(a.ok());
  std::string wrong = a->node_key();
  wrong[10] = wrong[10] == '0' ? '1' : '0';
  for (const std::string& header :
       {std::string(), std::string("Bearer "), "Basic " + a->node_key(), a->node_key(),
        "Bearer " + wrong, "Bearer " + a->node_key().substr(1),
        "Bearer " + absl::AsciiStrToUpper(a->node_key())}) {
    auto r = enrollment_->Authenticate(header);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << header;
  }
}

TEST_F(AgentEnrollmentTest, RevokedAgentIsRefusedAndCannotEnrollAgain) {
  auto a = Enroll("ws-1");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(enrollment_->CheckNotRevoked("ws-1").ok());
  ASSERT_TRUE(store_->RevokeAgent("ws-1", now_ + absl::Minutes(5)).ok());
  auto r = enrollment_->Authenticate("Bearer " + a->node_key());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("ws-1 was revoked"));
  EXPECT_EQ(enrollment_->CheckNotRevoked("ws-1").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Enroll("ws-1").status().code(), absl::StatusCode::kAlreadyExists);
  // Revoking twice keeps the first time.
  ASSERT_TRUE(store_->RevokeAgent("ws-1", now_ + absl::Hours(5)).ok());
  EXPECT_EQ(*store_->GetAgentCredential("ws-1")->revoked_at, now_ + absl::Minutes(5));
  EXPECT_EQ(store_->RevokeAgent("nobody", now_).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(enrollment_->CheckNotRevoked("nobody").code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace cleansweep::collector
