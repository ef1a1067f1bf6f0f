#include "collector/web/login.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1795780800);

std::string Basic(absl::string_view user_password) {
  return absl::StrCat("Basic ", absl::Base64Escape(user_password));
}

class LoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> alice = HashPassword("s3cret: with colon", kMinPbkdf2Iterations);
    absl::StatusOr<std::string> bob = HashPassword("hunter2", kMinPbkdf2Iterations);
    ASSERT_TRUE(alice.ok() && bob.ok());
    file_ = absl::StrCat("# status page users\n\nalice:", *alice, "\r\n  bob:", *bob, "\n");
  }
  std::string file_;
};

TEST_F(LoginTest, ParsesUsersSkippingCommentsAndBlankLines) {
  auto users = ParseUsersFile(file_, "users");
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_TRUE(PasswordMatches(users->at("alice"), "s3cret: with colon"));
  EXPECT_TRUE(PasswordMatches(users->at("bob"), "hunter2"));
}

TEST_F(LoginTest, EveryBadLineIsNamed) {
  const std::string bob_line = file_.substr(file_.find("bob:"));
  auto users = ParseUsersFile(absl::StrCat("nocolon\n:pbkdf2-sha256$1$a$b\n", bob_line,
                                           "carol:plaintext\n", bob_line),
                              "u.txt");
  ASSERT_FALSE(users.ok());
  const std::string m(users.status().message());
  EXPECT_THAT(m, HasSubstr("u.txt:1: expected USER:HASH"));
  EXPECT_THAT(m, HasSubstr("u.txt:2: expected USER:HASH"));
  EXPECT_THAT(m, HasSubstr("u.txt:4: not a password hash"));
  EXPECT_THAT(m, HasSubstr("u.txt:5: user 'bob' appears more than once"));
  EXPECT_THAT(m, ::testing::Not(HasSubstr("u.txt:3")));
}

TEST_F(LoginTest, BasicAuthenticationAgainstTheFile) {
  auto users = ParseUsersFile(file_, "users");
  ASSERT_TRUE(users.ok());
  Login login(*std::move(users));
  EXPECT_TRUE(login.Allows(Basic("alice:s3cret: with colon"), kNow));
  EXPECT_TRUE(login.Allows(Basic("bob:hunter2"), kNow));
  EXPECT_TRUE(login.Allows("basic " + absl::Base64Escape("bob:hunter2"), kNow));
  EXPECT_FALSE(login.Allows(Basic("bob:hunter3"), kNow));
  EXPECT_FALSE(login.Allows(Basic("alice:hunter2"), kNow));  // bob's password
  EXPECT_FALSE(login.Allows(Basic("mallory:hunter2"), kNow));
  EXPECT_FALSE(login.Allows(Basic("bob"), kNow));
  EXPECT_FALSE(login.Allows("Bearer " + absl::Base64Escape("bob:hunter2"), kNow));
  EXPECT_FALSE(login.Allows("Basic !!!", kNow));
  EXPECT_FALSE(login.Allows("", kNow));
  // Remembered, then verified again once the memory expires; a wrong
  // password is never remembered as right.
  EXPECT_TRUE(login.Allows(Basic("bob:hunter2"), kNow + absl::Minutes(1)));
  EXPECT_TRUE(login.Allows(Basic("bob:hunter2"), kNow + kLoginCacheTtl + absl::Minutes(1)));
  EXPECT_FALSE(login.Allows(Basic("bob:hunter3"), kNow + absl::Minutes(2)));
}

}  // namespace
}  // namespace cleansweep::collector::web
