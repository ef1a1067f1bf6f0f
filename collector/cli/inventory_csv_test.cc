#include "collector/cli/inventory_csv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(InventoryCsvTest, ReadsAllColumnsAndNormalisesMacs) {
  auto hosts = ParseInventoryCsv(
      "\xEF\xBB\xBFhostname,mac,owner\r\n"
      "ws-0142, 00:1A:2B:3C:4D:5E ,Jane Doe\r\n"
      "\r\n"
      "ws-0143,,\"Doe, \"\"JD\"\" John\"\r\n"
      "ws-0144,00-1a-2b-3c-4d-5f\r\n",
      "hosts.csv");
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  ASSERT_EQ(hosts->size(), 3u);
  EXPECT_EQ((*hosts)[0].hostname, "ws-0142");
  EXPECT_EQ((*hosts)[0].mac, "00:1a:2b:3c:4d:5e");
  EXPECT_EQ((*hosts)[0].owner, "Jane Doe");
  EXPECT_EQ((*hosts)[1].mac, "");
  EXPECT_EQ((*hosts)[1].owner, "Doe, \"JD\" John");
  EXPECT_EQ((*hosts)[2].mac, "00:1a:2b:3c:4d:5f");
  EXPECT_EQ((*hosts)[2].owner, "");
}

TEST(InventoryCsvTest, OptionalColumnsInAnyOrder) {
  auto hosts = ParseInventoryCsv("owner,hostname\nbob,ws1\n", "h.csv");
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_EQ((*hosts)[0].hostname, "ws1");
  EXPECT_EQ((*hosts)[0].owner, "bob");
}

TEST(InventoryCsvTest, HeaderOnlyIsAnEmptyInventory) {
  auto hosts = ParseInventoryCsv("hostname,mac,owner\n", "h.csv");
  ASSERT_TRUE(hosts.ok()) << hosts.status();
  EXPECT_TRUE(hosts->empty());
}

TEST(InventoryCsvTest, EveryBadRowIsNamedByFileAndLine) {
  auto hosts = ParseInventoryCsv(
      "hostname,mac,owner\n"      // 1
      "ws1,,alice\n"              // 2
      ",00:11:22:33:44:55,x\n"    // 3 empty hostname
      "ws2,00:11:22:33:44\n"      // 4 short MAC
      "WS1,,bob\n"                // 5 duplicate of line 2 (case-insensitive)
      "ws3,,a,extra\n"            // 6 too many fields
      "ws4,zz:11:22:33:44:55\n",  // 7 not hex
      "inv.csv");
  ASSERT_FALSE(hosts.ok());
  EXPECT_EQ(hosts.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(hosts.status().message());
  EXPECT_THAT(msg, HasSubstr("inv.csv:3: empty hostname"));
  EXPECT_THAT(msg, HasSubstr("inv.csv:4: bad MAC address \"00:11:22:33:44\""));
  EXPECT_THAT(msg, HasSubstr("inv.csv:5: duplicate hostname \"WS1\" (first on line 2)"));
  EXPECT_THAT(msg, HasSubstr("inv.csv:6: 4 fields but the header has 3"));
  EXPECT_THAT(msg, HasSubstr("inv.csv:7: bad MAC address"));
  EXPECT_THAT(msg, Not(HasSubstr("inv.csv:2")));
}

TEST(InventoryCsvTest, BadHeaderOrEmptyFile) {
  auto unknown = ParseInventoryCsv("host,mac\nws1,\n", "h.csv");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("h.csv:1: unknown column \"host\""));
  EXPECT_THAT(unknown.status().message(), HasSubstr("h.csv:1: header has no hostname column"));
  auto empty = ParseInventoryCsv("\n\n", "h.csv");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.status().message(), HasSubstr("h.csv:1: empty file"));
  auto quote = ParseInventoryCsv("hostname,owner\nws1,\"open\n", "h.csv");
  ASSERT_FALSE(quote.ok());
  EXPECT_THAT(quote.status().message(), HasSubstr("h.csv:2: unbalanced double quote"));
}

TEST(InventoryCsvTest, ErrorsAreCapped) {
  std::string text = "hostname\n";
  for (int i = 0; i < kMaxInventoryErrors + 5; ++i) text += "\"x\"y\n";
  auto hosts = ParseInventoryCsv(text, "h.csv");
  ASSERT_FALSE(hosts.ok());
  EXPECT_THAT(hosts.status().message(), HasSubstr("h.csv: 5 more errors not shown"));
}

TEST(NormalizeMacTest, Forms) {
  std::string mac;
  EXPECT_TRUE(NormalizeMac("AA:bb:CC:dd:EE:ff", &mac));
  EXPECT_EQ(mac, "aa:bb:cc:dd:ee:ff");
  EXPECT_FALSE(NormalizeMac("aa:bb-cc:dd:ee:ff", &mac));  // mixed separators
  EXPECT_FALSE(NormalizeMac("aabbccddeeff", &mac));
  EXPECT_FALSE(NormalizeMac("aa:bb:cc:dd:ee:ff:00", &mac));
  EXPECT_FALSE(NormalizeMac("aa:bb:cc:dd:ee:fg", &mac));
}

}  // namespace
}  // namespace cleansweep::collector
