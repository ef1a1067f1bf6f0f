// PBKDF2 is checked against the published PBKDF2-HMAC-SHA256 vectors of
// RFC 7914 section 11; the text form against values decoded by hand.
#include "collector/web/password_hash.h"

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(Pbkdf2Test, Rfc7914Vectors) {
  absl::StatusOr<std::string> one = Pbkdf2Sha256("passwd", "salt", 1, 64);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(absl::BytesToHexString(*one),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  absl::StatusOr<std::string> many = Pbkdf2Sha256("Password", "NaCl", 80000, 64);
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(absl::BytesToHexString(*many),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST(PasswordHashTest, HashedPasswordMatchesOnlyItself) {
  absl::StatusOr<std::string> text = HashPassword("correct horse", kMinPbkdf2Iterations);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, StartsWith("pbkdf2-sha256$100000$"));
  absl::StatusOr<PasswordHash> hash = ParsePasswordHash(*text);
  ASSERT_TRUE(hash.ok()) << hash.status();
  EXPECT_EQ(hash->iterations, 100000u);
  EXPECT_EQ(hash->salt.size(), 16u);
  EXPECT_EQ(FormatPasswordHash(*hash), *text);
  EXPECT_TRUE(PasswordMatches(*hash, "correct horse"));
  EXPECT_FALSE(PasswordMatches(*hash, "correct horsE"));
  EXPECT_FALSE(PasswordMatches(*hash, ""));
  // The key is PBKDF2 of the password with the stored salt and count.
  EXPECT_EQ(*Pbkdf2Sha256("correct horse", hash->salt, 100000), hash->key);
  // Two hashes of one password differ (random salt).
  EXPECT_NE(*HashPassword("correct horse", kMinPbkdf2Iterations), *text);
}

TEST(PasswordHashTest, RefusesWeakOrEmpty) {
  EXPECT_FALSE(HashPassword("", kMinPbkdf2Iterations).ok());
  EXPECT_FALSE(HashPassword("x", 1000).ok());
}

TEST(PasswordHashTest, MalformedTextSaysWhat) {
  const std::string salt = absl::Base64Escape("saltsalt");
  const std::string key = absl::Base64Escape(std::string(32, 'k'));
  EXPECT_TRUE(ParsePasswordHash("pbkdf2-sha256$100000$" + salt + "$" + key).ok());
  EXPECT_THAT(ParsePasswordHash("sha256$100000$" + salt + "$" + key).status().message(),
              HasSubstr("http-user"));
  EXPECT_THAT(ParsePasswordHash("pbkdf2-sha256$99999$" + salt + "$" + key).status().message(),
              HasSubstr("at least 100000"));
  EXPECT_THAT(ParsePasswordHash("pbkdf2-sha256$100000$!!$" + key).status().message(),
              HasSubstr("salt"));
  EXPECT_THAT(ParsePasswordHash("pbkdf2-sha256$100000$" + salt + "$" +
                                absl::Base64Escape("short"))
                  .status()
                  .message(),
              HasSubstr("32 bytes"));
}

}  // namespace
}  // namespace cleansweep::collector::web
