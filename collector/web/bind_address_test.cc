#include "collector/web/bind_address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

using ::testing::HasSubstr;

BindAddress Parsed(absl::string_view text) {
  absl::StatusOr<BindAddress> a = ParseBindAddress(text);
  EXPECT_TRUE(a.ok()) << text << ": " << a.status();
  return a.ok() ? *a : BindAddress{};
}

TEST(BindAddressTest, LoopbackForms) {
  for (const char* text : {"127.0.0.1:8080", "127.1.2.3:0", "[::1]:8080", "localhost:80",
                           "LOCALHOST:1", "[::ffff:127.0.0.1]:9"}) {
    EXPECT_TRUE(Parsed(text).loopback) << text;
  }
  const BindAddress a = Parsed("[::1]:0");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 0);
  EXPECT_EQ(a.HostPort(41234), "[::1]:41234");
  EXPECT_EQ(Parsed("127.0.0.1:8080").HostPort(8080), "127.0.0.1:8080");
}

TEST(BindAddressTest, EverythingElseIsNotLoopback) {
  for (const char* text : {"0.0.0.0:8080", "[::]:8080", "10.0.0.1:443", "128.0.0.1:80",
                           "status.example:443", "[::ffff:10.0.0.1]:1", "[::2]:80"}) {
    EXPECT_FALSE(Parsed(text).loopback) << text;
  }
}

TEST(BindAddressTest, Off) {
  EXPECT_TRUE(Parsed("off").off);
  EXPECT_FALSE(Parsed("127.0.0.1:1").off);
}

TEST(BindAddressTest, MalformedIsRefusedWithTheAcceptedForms) {
  for (const char* text : {"", "8080", ":8080", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                           "127.0.0.1:+80", "::1:8080", "[::1:8080", "[]:80", "[nope]:80",
                           "127.0.0.1:80x"}) {
    absl::StatusOr<BindAddress> a = ParseBindAddress(text);
    ASSERT_FALSE(a.ok()) << text;
    EXPECT_TRUE(absl::IsInvalidArgument(a.status()));
    EXPECT_THAT(a.status().message(), HasSubstr("ADDR:PORT")) << text;
  }
}

}  // namespace
}  // namespace cleansweep::collector::web
