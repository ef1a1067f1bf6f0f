#include "collector/mail/header_block.h"

#include "gtest/gtest.h"

namespace cleansweep::collector::mail {
namespace {

TEST(HeaderBlockTest, FieldsContinuationsAndBody) {
  const std::string text =
      "Received: from a\r\n\tby b; Thu, 8 Mar 2005 14:00:00 -0400\r\n"
      "Subject : hello \r\n"
      "X-Empty:\r\n"
      "  later value\r\n"
      "\r\n"
      "body\r\n";
  absl::StatusOr<HeaderBlock> b = ScanHeaderBlock(text);
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->fields.size(), 3u);
  EXPECT_EQ(b->fields[0].name, "Received");
  EXPECT_EQ(b->fields[0].value, "from a\tby b; Thu, 8 Mar 2005 14:00:00 -0400");
  EXPECT_EQ(b->fields[0].line, 1);
  EXPECT_EQ(b->fields[1].name, "Subject");
  EXPECT_EQ(b->fields[1].value, "hello");
  EXPECT_EQ(b->fields[1].line, 3);
  EXPECT_EQ(b->fields[2].value, "later value");
  EXPECT_TRUE(b->terminated);
  EXPECT_EQ(b->lines, 5);
  EXPECT_EQ(text.substr(b->body_offset), "body\r\n");
}

TEST(HeaderBlockTest, StrayLineEndsTheBlock) {
  absl::StatusOr<HeaderBlock> b = ScanHeaderBlock("From: a@b\nthis is text\nTo: c@d\n");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->fields.size(), 1u);
  EXPECT_EQ(b->stray_line, 2);
  EXPECT_FALSE(b->terminated);
  absl::StatusOr<HeaderBlock> none = ScanHeaderBlock("%PDF-1.4\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->fields.empty());
  EXPECT_EQ(none->stray_line, 1);
  absl::StatusOr<HeaderBlock> cont = ScanHeaderBlock(" leading blank\nFrom: x\n");
  ASSERT_TRUE(cont.ok());
  EXPECT_TRUE(cont->fields.empty());
  EXPECT_EQ(cont->stray_line, 1);
}

TEST(HeaderBlockTest, Limits) {
  HeaderBlockOptions o;
  o.max_line_bytes = 100;
  o.max_block_bytes = 1000;
  o.first_line = 2;
  std::string long_line = "From: a\nSubject: " + std::string(200, 'x') + "\n\n";
  absl::StatusOr<HeaderBlock> b = ScanHeaderBlock(long_line, o);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "header line 3 longer than 100 bytes");
  // A line with no end at all is refused after the limit, not searched to the end.
  b = ScanHeaderBlock("X: " + std::string(10'000'000, 'y'), o);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "header line 2 longer than 100 bytes");
  std::string many;
  for (int i = 0; i < 200; ++i) many += "X-A: b\n";
  b = ScanHeaderBlock(many, o);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message(), "no end of the header block in the first 1000 bytes");
}

TEST(HeaderBlockTest, Unfold) {
  EXPECT_EQ(UnfoldHeaderValue(" from a\r\n\tby b\n"), "from a\tby b");
  EXPECT_EQ(UnfoldHeaderValue(""), "");
}

}  // namespace
}  // namespace cleansweep::collector::mail
