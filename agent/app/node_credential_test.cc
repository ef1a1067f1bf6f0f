#include "agent/app/node_credential.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::testing::HasSubstr;

const std::string kKey(64, 'a');

class NodeCredentialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_nodekey_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = NodeCredentialPath(dir_);
  }
  void TearDown() override { std::system(absl::StrCat("rm -rf '", dir_, "'").c_str()); }

  std::string dir_, path_;
};

TEST_F(NodeCredentialTest, MissingFileMeansNotEnrolled) {
  auto loaded = LoadNodeCredential(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(NodeCredentialTest, SavedFileIsPrivateAndReadsBack) {
  ASSERT_TRUE(SaveNodeCredential(path_, {"ws-17", kKey}).ok());
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_NE(access((path_ + ".tmp").c_str(), F_OK), 0);  // no leftover
  auto loaded = LoadNodeCredential(path_);
  ASSERT_TRUE(loaded.ok() && loaded->has_value()) << loaded.status();
  EXPECT_EQ((*loaded)->agent_id, "ws-17");
  EXPECT_EQ((*loaded)->node_key, kKey);
}

TEST_F(NodeCredentialTest, AFileOthersCanReadIsRefused) {
  ASSERT_TRUE(SaveNodeCredential(path_, {"ws-17", kKey}).ok());
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  auto loaded = LoadNodeCredential(path_);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(loaded.status().message(), HasSubstr("chmod 600"));
  EXPECT_THAT(loaded.status().message(), HasSubstr("0644"));
}

TEST(ParseNodeCredentialTest, NamesTheBrokenLine) {
  EXPECT_THAT(ParseNodeCredential("agent_id=a\nnode_key=xyz\n").status().message(),
              HasSubstr("line 2"));
  EXPECT_THAT(ParseNodeCredential("# c\nagent=a\n").status().message(), HasSubstr("line 2"));
  EXPECT_THAT(ParseNodeCredential("agent_id=a\n").status().message(), HasSubstr("missing"));
  EXPECT_THAT(ParseNodeCredential("node_key=" + std::string(64, 'A') + "\nagent_id=a")
                  .status()
                  .message(),
              HasSubstr("line 1"));
  auto ok = ParseNodeCredential("# comment\n\nagent_id=a.b\nnode_key=" + kKey);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->agent_id, "a.b");
}

}  // namespace
}  // namespace cleansweep::agent
