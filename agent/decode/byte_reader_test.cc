#include "agent/decode/byte_reader.h"

#include <vector>

#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

TEST(ByteReaderTest, ReadsBigEndian) {
  const std::vector<uint8_t> bytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  ByteReader r(bytes);
  uint8_t a;
  uint16_t b;
  uint32_t c;
  ASSERT_TRUE(r.ReadU8(&a));
  ASSERT_TRUE(r.ReadU16(&b));
  ASSERT_TRUE(r.ReadU32(&c));
  EXPECT_EQ(a, 0x01);
  EXPECT_EQ(b, 0x0203);
  EXPECT_EQ(c, 0x04050607u);
  EXPECT_EQ(r.Remaining(), 0u);
  EXPECT_EQ(r.Position(), 7u);
}

TEST(ByteReaderTest, FailedReadLeavesCursorAndOutput) {
  const std::vector<uint8_t> bytes = {0xAA, 0xBB, 0xCC};
  ByteReader r(bytes);
  uint32_t v = 42;
  EXPECT_FALSE(r.ReadU32(&v));
  EXPECT_EQ(v, 42u);
  EXPECT_EQ(r.Remaining(), 3u);
  EXPECT_FALSE(r.U32().has_value());
  EXPECT_EQ(r.U16(), std::optional<uint16_t>(0xAABB));
  EXPECT_FALSE(r.U16().has_value());
  EXPECT_EQ(r.U8(), std::optional<uint8_t>(0xCC));
  EXPECT_FALSE(r.U8().has_value());
}

TEST(ByteReaderTest, SkipAndSpans) {
  const std::vector<uint8_t> bytes = {1, 2, 3, 4, 5};
  ByteReader r(bytes);
  EXPECT_FALSE(r.Skip(6));
  EXPECT_EQ(r.Remaining(), 5u);
  EXPECT_TRUE(r.Skip(1));
  absl::Span<const uint8_t> s;
  EXPECT_FALSE(r.ReadSpan(5, &s));
  ASSERT_TRUE(r.ReadSpan(2, &s));
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], 2);
  EXPECT_EQ(s[1], 3);
  EXPECT_EQ(r.Rest().size(), 2u);
  EXPECT_EQ(r.Rest()[0], 4);
  uint8_t two[2];
  EXPECT_TRUE(r.ReadBytes(2, two));
  EXPECT_EQ(two[1], 5);
  EXPECT_TRUE(r.Rest().empty());
  EXPECT_TRUE(r.Skip(0));
}

TEST(ByteReaderTest, EmptySpan) {
  ByteReader r{absl::Span<const uint8_t>()};
  EXPECT_EQ(r.Remaining(), 0u);
  EXPECT_FALSE(r.U8().has_value());
  EXPECT_TRUE(r.Rest().empty());
}

}  // namespace
}  // namespace cleansweep::agent
