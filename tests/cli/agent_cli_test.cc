// What an operator meets at the agent's command line: bad files give one clear
// error line and a non-zero exit, never a crash; --help and --stats work.
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

std::string Temp(const std::string& name, const std::string& content) {
  std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

int Lines(const std::string& s) {
  std::vector<absl::string_view> v = absl::StrSplit(s, '\n', absl::SkipEmpty());
  return static_cast<int>(v.size());
}

TEST(AgentCli, EmptyFile) {
  auto r = RunProcess({AgentBinary(), "--read", Temp("cli_empty.pcap", ""), "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.stderr_text), 1) << r.stderr_text;
  EXPECT_TRUE(absl::StrContains(r.stderr_text, "empty file")) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "");
}

TEST(AgentCli, NotACapture) {
  auto r = RunProcess({AgentBinary(), "--read", Temp("cli_mail.pcap", "Subject: hi\r\n\r\nbody\r\n")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.stderr_text), 1) << r.stderr_text;
  EXPECT_TRUE(absl::StrContains(r.stderr_text, "not a pcap or pcapng capture")) << r.stderr_text;
}

TEST(AgentCli, TruncatedCaptureKeepsEarlierEventsAndFails) {
  std::string whole = ReadFileOrDie(TestDataPath("pcap/id2t/Win7_eternalblue_scan.pcap"));
  // Cut inside the last record: the 445 contact (frames 1-2) is before the damage.
  std::string path = Temp("cli_truncated.pcap", whole.substr(0, whole.size() - 10));
  auto r = RunProcess({AgentBinary(), "--read", path, "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Lines(r.stderr_text), 1) << r.stderr_text;
  EXPECT_TRUE(absl::StrContains(r.stderr_text, "truncated")) << r.stderr_text;
  EXPECT_TRUE(absl::StrContains(r.stdout_text, "\"port\":445")) << r.stdout_text;
}

TEST(AgentCli, MissingFileIsAUsageError) {
  auto r = RunProcess({AgentBinary(), "--read", "/nonexistent/x.pcap"});
  EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
  EXPECT_TRUE(absl::StrContains(r.stderr_text, "/nonexistent/x.pcap")) << r.stderr_text;
}

TEST(AgentCli, BadPortListNamesTheItem) {
  auto r = RunProcess({AgentBinary(), "--print-filter", "--smtp-ports", "25,99999"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.stderr_text, "99999")) << r.stderr_text;
}

TEST(AgentCli, CollectorWithoutCaIsRefused) {
  auto r = RunProcess({AgentBinary(), "--read", TestDataPath("pcap/zeek/smtp.pcap"), "--collector",
                       "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(r.stderr_text, "--ca")) << r.stderr_text;
}

TEST(AgentCli, HelpDescribesTheFlags) {
  auto r = RunProcess({AgentBinary(), "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--read", "--interface", "--json", "--stats", "--collector", "--ca",
                           "--enroll-secret-file", "--state-dir", "--insecure", "--print-filter"}) {
    EXPECT_TRUE(absl::StrContains(r.stdout_text, flag)) << flag;
  }
}

TEST(AgentCli, StatsCountPacketsAndEvents) {
  auto r = RunProcess({AgentBinary(), "--read", TestDataPath("pcap/id2t/Win7_eternalblue_scan.pcap"),
                       "--stats"});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stdout_text, "");  // without --json, events are analysed and discarded
  // The filter admits the SYN, SYN-ACK, FIN and RST of the 445 check (4 of 23 frames:
  // frames 1, 2, 21, 23 in tshark), and one event results.
  EXPECT_TRUE(absl::StrContains(r.stderr_text, "packets: 4 ")) << r.stderr_text;
  EXPECT_TRUE(absl::StrContains(r.stderr_text, "events: 1")) << r.stderr_text;
}

}  // namespace
}  // namespace cleansweep::testing
