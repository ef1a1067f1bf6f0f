// `cleansweep-collector rules check` as an operator runs it: the real binary
// on the shipped rules/ directory and on broken copies of it. Expected counts
// come from counting the top-level blocks in the files, expected positions
// from the hand-written broken texts below.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/collector_process.h"
#include "tests/support/agent_runner.h"

namespace cleansweep::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace fs = std::filesystem;

std::string SourceDir() {
  const char* src = std::getenv("CLEANSWEEP_SOURCE_DIR");
  return src == nullptr ? "" : src;
}

// Lines of `path` that start with `prefix` (the top-level blocks).
int CountLinesStartingWith(const std::string& path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

class RulesCliTest : public ::testing::Test {
 protected:
  ProcessResult Check(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {CollectorBinary(), "rules", "check"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  // A copy of the shipped rules with `name` replaced by `text`.
  std::string BrokenCopy(const std::string& name, const std::string& text) {
    const std::string dir = tmp_.path() + "/rules";
    fs::create_directories(dir);
    for (const char* f : {"worms.textproto", "detection.textproto", "site.example.textproto"}) {
      fs::copy_file(SourceDir() + "/rules/" + f, dir + "/" + f,
                    fs::copy_options::overwrite_existing);
    }
    std::ofstream(dir + "/" + name) << text;
    return dir;
  }
  TempDir tmp_;
};

TEST_F(RulesCliTest, ShippedRulesPass) {
  ASSERT_FALSE(SourceDir().empty());
  const std::string dir = SourceDir() + "/rules";
  const int families = CountLinesStartingWith(dir + "/worms.textproto", "family {");
  const int rules = CountLinesStartingWith(dir + "/detection.textproto", "rule {");
  ASSERT_GE(families, 9);
  ASSERT_GE(rules, 7);
  ProcessResult r = Check({dir});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_THAT(r.stdout_text,
              ContainsRegex("^rules OK: " + std::to_string(families) + " worm families, " +
                            std::to_string(rules) +
                            " rules, site example; digest [0-9a-f]{64}\n$"));
  EXPECT_THAT(r.stderr_text, IsEmpty());
}

TEST_F(RulesCliTest, SameContentSameDigest) {
  const std::string dir = SourceDir() + "/rules";
  std::ifstream in(dir + "/site.example.textproto");
  std::stringstream site;
  site << in.rdbuf();
  // Only a comment and blank lines added: the rules' version must not move.
  const std::string copy = BrokenCopy("site.example.textproto",
                                      "# local note\n\n" + site.str() + "\n# end\n");
  ProcessResult a = Check({dir});
  ProcessResult b = Check({copy});
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0) << b.stderr_text;
  EXPECT_EQ(a.stdout_text.substr(a.stdout_text.find("digest")),
            b.stdout_text.substr(b.stdout_text.find("digest")));
}

TEST_F(RulesCliTest, SyntaxErrorNamesFileLineColumn) {
  // Line 3: the field name is misspelt; protobuf reports the ':' after it.
  const std::string dir = BrokenCopy("detection.textproto",
                                     "rule {\n"
                                     "  name: \"r\"\n"
                                     "  treshold: 5\n"
                                     "}\n");
  ProcessResult r = Check({dir});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stdout_text, IsEmpty());
  EXPECT_THAT(r.stderr_text, HasSubstr(dir + "/detection.textproto:3:11: "));
  EXPECT_THAT(r.stderr_text, HasSubstr("treshold"));
  EXPECT_THAT(r.stderr_text, HasSubstr("rules check failed: 1 error(s)"));
}

TEST_F(RulesCliTest, BadCidrNamesTheItem) {
  const std::string dir = BrokenCopy("site.example.textproto",
                                     "name: \"s\"\n"
                                     "internal_networks: \"10.0.0.0/8\"\n"
                                     "approved_relays { name: \"relay1\" addresses: \"10.0.0.300\" }\n"
                                     "clean_coverage: 0.9\n");
  ProcessResult r = Check({dir});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text,
              HasSubstr(dir + "/site.example.textproto:3:34: approved relay 'relay1': "
                              "'10.0.0.300' is not an IPv4 or IPv6 address or CIDR block"));
}

TEST_F(RulesCliTest, EveryErrorIsPrinted) {
  const std::string dir = BrokenCopy("detection.textproto",
                                     "rule { name: \"a\" signal: SIGNAL_MX_LOOKUPS threshold: 1 "
                                     "severity: SEVERITY_NOTICE }\n"
                                     "rule { name: \"b\" signal: SIGNAL_MX_LOOKUPS "
                                     "window { seconds: 60 } severity: SEVERITY_NOTICE }\n");
  ProcessResult r = Check({dir});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr(":1:1: rule 'a': window must be positive (got 0)"));
  EXPECT_THAT(r.stderr_text, HasSubstr(":2:1: rule 'b': threshold 0 must be at least 1"));
  EXPECT_THAT(r.stderr_text, HasSubstr("rules check failed: 2 error(s)"));
}

TEST_F(RulesCliTest, MissingDirectoryFails) {
  ProcessResult r = Check({tmp_.path() + "/nothing-here"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.stderr_text, HasSubstr(tmp_.path() + "/nothing-here/worms.textproto: cannot open"));
}

TEST_F(RulesCliTest, RulesWithoutSubcommandIsUsageError) {
  ProcessResult r = RunProcess({CollectorBinary(), "rules"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace cleansweep::testing
