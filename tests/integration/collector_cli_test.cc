// The collector's command line as a user meets it: exit codes, error messages
// that say what to fix, the "listening on" contract, --insecure's warning.
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/collector_process.h"
#include "tests/support/agent_runner.h"

namespace cleansweep::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class CollectorCliTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name)) << text;
  }
  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), CollectorBinary());
    return RunProcess(args);
  }
  TempDir dir_;
};

TEST_F(CollectorCliTest, HelpExitsZeroForEveryCommand) {
  for (const char* cmd : {"serve", "events", "agents"}) {
    ProcessResult r = Run({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_THAT(r.stdout_text, HasSubstr("--db")) << cmd;
  }
  ProcessResult top = Run({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_THAT(top.stdout_text, HasSubstr("serve"));
}

TEST_F(CollectorCliTest, BadUsageExitsTwo) {
  EXPECT_EQ(Run({}).exit_code, 2);
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Run({"events"}).exit_code, 2);  // --db missing
  EXPECT_EQ(Run({"events", "--db", Path("x.db"), "--limit", "many"}).exit_code, 2);
  ProcessResult since = Run({"events", "--db", Path("x.db"), "--since", "yesterday"});
  EXPECT_EQ(since.exit_code, 2);
  EXPECT_THAT(since.stderr_text, HasSubstr("--since"));
  Write("secret", "enroll-secret-for-tests-0001\n");
  ProcessResult no_tls = Run({"serve", "--db", Path("c.db"), "--enroll-secret-file", Path("secret")});
  EXPECT_EQ(no_tls.exit_code, 2);
  EXPECT_THAT(no_tls.stderr_text, HasSubstr("--tls-cert"));
  ProcessResult bad_ports = Run({"serve", "--db", Path("c.db"), "--enroll-secret-file", Path("secret"),
                                 "--insecure", "--worm-ports", "tcp:99999"});
  EXPECT_EQ(bad_ports.exit_code, 2);
  EXPECT_THAT(bad_ports.stderr_text, HasSubstr("--worm-ports"));
}

TEST_F(CollectorCliTest, RuntimeFailuresExitOneAndNameThePath) {
  ProcessResult missing = Run({"events", "--db", Path("missing.db")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.stderr_text, HasSubstr(Path("missing.db")));
  EXPECT_THAT(missing.stderr_text, HasSubstr("No such file"));

  Write("junk.db", std::string(200, 'x'));
  ProcessResult junk = Run({"agents", "--db", Path("junk.db")});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_THAT(junk.stderr_text, HasSubstr(Path("junk.db")));
  EXPECT_THAT(junk.stderr_text, HasSubstr("not a database"));

  ProcessResult no_secret = Run({"serve", "--db", Path("c.db"), "--enroll-secret-file",
                                 Path("no-secret"), "--insecure"});
  EXPECT_EQ(no_secret.exit_code, 1);
  EXPECT_THAT(no_secret.stderr_text, HasSubstr(Path("no-secret")));

  Write("short-secret", "# enrollment secrets\nlong-enough-secret-0001\nshort\n");
  ProcessResult short_secret = Run({"serve", "--db", Path("c.db"), "--enroll-secret-file",
                                    Path("short-secret"), "--insecure"});
  EXPECT_EQ(short_secret.exit_code, 1);
  EXPECT_THAT(short_secret.stderr_text, HasSubstr("line 3"));

  Write("secret", "enroll-secret-for-tests-0001\n");
  ProcessResult no_dir = Run({"serve", "--db", Path("nodir/c.db"), "--enroll-secret-file", Path("secret"),
                              "--insecure", "--listen", "127.0.0.1:0"});
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_THAT(no_dir.stderr_text, HasSubstr(Path("nodir/c.db")));
}

TEST_F(CollectorCliTest, InsecureServeWarnsAnnouncesPortAndStopsOnSigterm) {
  Write("secret", "enroll-secret-for-tests-0001\n");
  auto collector = CollectorProcess::Start(
      {"--db", Path("c.db"), "--listen", "127.0.0.1:0", "--enroll-secret-file", Path("secret"),
       "--insecure"},
      Path("collector.log"));
  ASSERT_NE(collector, nullptr);
  EXPECT_THAT(collector->address(), StartsWith("127.0.0.1:"));
  EXPECT_GT(collector->port(), 0);
  EXPECT_THAT(collector->stderr_text(), HasSubstr("PLAIN TEXT"));

  // The port is taken: a second collector on it fails with exit 1 and says why.
  ProcessResult busy = Run({"serve", "--db", Path("d.db"), "--enroll-secret-file", Path("secret"),
                            "--insecure", "--listen", collector->address()});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.stderr_text, HasSubstr("cannot listen on " + collector->address()));

  EXPECT_EQ(collector->Terminate(), 0);
  EXPECT_THAT(collector->stderr_text(), HasSubstr("stopped"));

  // The database exists, is migrated and empty.
  ProcessResult events = Run({"events", "--db", Path("c.db")});
  EXPECT_EQ(events.exit_code, 0) << events.stderr_text;
  EXPECT_THAT(events.stdout_text, StartsWith("TIME"));
  ProcessResult json = Run({"events", "--db", Path("c.db"), "--json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_EQ(json.stdout_text, "");
}

}  // namespace
}  // namespace cleansweep::testing
