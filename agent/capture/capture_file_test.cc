// Reading capture files: pcap and pcapng give the same packets; bad files give
// one clear error, never a crash.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "agent/capture/capture_source.h"
#include "gtest/gtest.h"
#include "tests/support/testdata.h"

namespace cleansweep::agent {
namespace {

using ::cleansweep::testing::TestDataPath;

struct Summary {
  int packets = 0;
  uint64_t bytes = 0;
  int64_t first_us = 0;
  int64_t last_us = 0;
};

absl::StatusOr<Summary> ReadAll(const std::string& path, absl::Status* end) {
  auto src = OpenCaptureFile(path);
  if (!src.ok()) return src.status();
  Summary s;
  for (;;) {
    auto n = (*src)->Dispatch(100, [&](const RawPacket& p) {
      if (s.packets == 0) s.first_us = p.time_us;
      s.last_us = p.time_us;
      s.packets++;
      s.bytes += p.data.size();
    });
    if (!n.ok()) {
      *end = n.status();
      break;
    }
  }
  return s;
}

std::string TempFile(const std::string& name, const std::string& content) {
  std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(CaptureFile, PcapAndPcapngGiveTheSamePackets) {
  absl::Status end_pcap, end_pcapng;
  auto a = ReadAll(TestDataPath("pcap/zeek/smtp.pcap"), &end_pcap);
  auto b = ReadAll(TestDataPath("derived/smtp.pcapng"), &end_pcapng);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  // `capinfos -c smtp.pcap`: 125 packets.
  EXPECT_EQ(a->packets, 125);
  EXPECT_EQ(b->packets, 125);
  EXPECT_EQ(a->bytes, b->bytes);
  EXPECT_EQ(a->first_us, b->first_us);
  EXPECT_EQ(a->last_us, b->last_us);
  EXPECT_TRUE(absl::IsOutOfRange(end_pcap)) << end_pcap;
  EXPECT_TRUE(absl::IsOutOfRange(end_pcapng)) << end_pcapng;
  // First packet: 2009-10-05 06:06:07.492 UTC (tshark -t ud).
  EXPECT_EQ(a->first_us / 1000000, 1254722767);
}

TEST(CaptureFile, EmptyFileIsRefusedClearly) {
  auto src = OpenCaptureFile(TempFile("cs_empty.pcap", ""));
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.status().message().find("empty file"), absl::string_view::npos) << src.status();
}

TEST(CaptureFile, NonPcapIsRefusedClearly) {
  auto src = OpenCaptureFile(TempFile("cs_text.pcap", "From: someone@example.com\r\n\r\nhello\r\n"));
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.status().message().find("not a pcap or pcapng capture"), absl::string_view::npos)
      << src.status();
}

TEST(CaptureFile, MissingFileNamesTheFile) {
  auto src = OpenCaptureFile("/nonexistent/capture.pcap");
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.status().message().find("/nonexistent/capture.pcap"), absl::string_view::npos);
}

TEST(CaptureFile, TruncatedFileDeliversWhatPrecedesTheDamage) {
  std::ifstream in(TestDataPath("pcap/zeek/smtp.pcap"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 5000u);
  // Cut in the middle of a record.
  std::string path = TempFile("cs_truncated.pcap", bytes.substr(0, 5000));
  absl::Status end;
  auto s = ReadAll(path, &end);
  ASSERT_TRUE(s.ok());
  EXPECT_GT(s->packets, 0);
  EXPECT_LT(s->packets, 125);
  EXPECT_TRUE(absl::IsDataLoss(end)) << end;
  EXPECT_NE(end.message().find("truncated"), absl::string_view::npos) << end;
}

TEST(CaptureFile, HeaderOnlyFileHasNoPackets) {
  std::ifstream in(TestDataPath("pcap/zeek/smtp.pcap"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::Status end;
  auto s = ReadAll(TempFile("cs_header_only.pcap", bytes.substr(0, 24)), &end);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->packets, 0);
  EXPECT_TRUE(absl::IsOutOfRange(end));
}

}  // namespace
}  // namespace cleansweep::agent
