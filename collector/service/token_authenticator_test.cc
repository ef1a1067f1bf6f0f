#include "collector/service/token_authenticator.h"

#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

TEST(TokenAuthenticatorTest, AcceptsExactBearerToken) {
  TokenAuthenticator auth("s3cr3t-token");
  EXPECT_TRUE(auth.Check("Bearer s3cr3t-token").ok());
  EXPECT_TRUE(auth.Check("bearer s3cr3t-token").ok());  // scheme is case-insensitive
}

TEST(TokenAuthenticatorTest, RefusesEverythingElseAsUnauthenticated) {
  TokenAuthenticator auth("s3cr3t-token");
  for (const char* value : {"", "s3cr3t-token", "Basic s3cr3t-token", "Bearer ",
                            "Bearer s3cr3t-toke", "Bearer s3cr3t-tokenX", "Bearer S3CR3T-TOKEN",
                            "Bearer x3cr3t-token"}) {
    absl::Status s = auth.Check(value);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << value;
    EXPECT_EQ(s.message().find("s3cr3t"), absl::string_view::npos) << "token echoed";
  }
}

TEST(TokenAuthenticatorTest, EmptyConfiguredTokenAcceptsNothing) {
  TokenAuthenticator auth("");
  EXPECT_FALSE(auth.Check("Bearer ").ok());
  EXPECT_FALSE(auth.Check("Bearer x").ok());
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", std::string("abc\0", 4)));
}

}  // namespace
}  // namespace cleansweep::collector
