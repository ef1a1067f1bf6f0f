// Live rules with the real binaries: `cleansweep-collector serve --rules DIR`
// over TLS and a real agent capturing on the loopback interface. A worm port
// added to DIR/worms.textproto and a SIGHUP must reach the connected agent,
// whose kernel filter then admits it: a refused connection to that port
// becomes a stored worm-port event. A broken file must be refused on reload
// with its file:line:column, the last good rules kept, and a later fix
// accepted. Rule digests are checked against what `rules check` prints.
//
// Synchronisation is on what the programs print and store, polled with a
// deadline; nothing waits for a fixed time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/background_process.h"
#include "tests/integration/tls_collector.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"


namespace cleansweep::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The agent's connection attempts go to this loopback address, so that its
// events cannot be confused with other loopback traffic.
constexpr char kTarget[] = "127.0.0.77";
constexpr char kAgentId[] = "ws-reload";

constexpr char kNewFamily[] = R"pb(
  family {
    name: "Test.Backdoor"
    first_seen: "2004-05-01"
    ports { port: 31337 transport: TRANSPORT_TCP role: PORT_ROLE_BACKDOOR_LISTENER }
    behaviour: "A test family: listens on 31337."
    sources { title: "test" url: "https://example.com/test-backdoor" }
  }
)pb";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// The digest `rules check DIR` prints ("...; digest D").
std::string DigestByRulesCheck(const std::string& dir) {
  ProcessResult r = RunProcess({CollectorBinary(), "rules", "check", dir});
  EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
  const size_t at = r.stdout_text.find("digest ");
  if (at == std::string::npos) return "";
  return std::string(absl::StripSuffix(r.stdout_text.substr(at + 7), "\n"));
}

// One TCP connection attempt to kTarget:port; nothing listens there, so the
// kernel answers the SYN with RST.
void ConnectionAttempt(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to = {};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ASSERT_EQ(inet_pton(AF_INET, kTarget, &to.sin_addr), 1);
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
  const int err = errno;
  close(fd);
  EXPECT_EQ(rc, -1);
  EXPECT_EQ(err, ECONNREFUSED) << "something listens on " << kTarget << ":" << port;
}

// Rules in a detection file, counted from the text: each starts a line with
// "rule {" (the shipped file's layout).
int RuleCount(const std::string& detection_text) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(detection_text, '\n')) {
    if (absl::StartsWith(line, "rule {")) ++n;
  }
  return n;
}

class RulesReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rules_ = env_.path("rules");
    std::filesystem::create_directories(rules_);
    for (const char* f : {"worms.textproto", "detection.textproto", "site.example.textproto"}) {
      std::filesystem::copy_file(SourceDir() + "/rules/" + f, rules_ + "/" + f);
    }
  }

  // Worm-port events the agent stored for kTarget:port, with their outcome.
  std::vector<cleansweep::v1::WormPortContact> StoredContacts(uint32_t port) const {
    std::vector<cleansweep::v1::WormPortContact> out;
    for (const auto& e : env_.StoredEvents(kAgentId)) {
      if (!e.event.has_worm_port()) continue;
      const auto& w = e.event.worm_port();
      if (w.server().ip() == kTarget && w.server().port() == port) out.push_back(w);
    }
    return out;
  }

  TlsCollectorEnv env_;
  std::string rules_;
};

TEST_F(RulesReloadTest, SighupPushesANewWormPortToALiveAgentAndABadFileIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "live capture on lo needs root";
  const std::string digest0 = DigestByRulesCheck(rules_);
  ASSERT_FALSE(digest0.empty());
  const int rules0 = RuleCount(ReadText(rules_ + "/detection.textproto"));
  ASSERT_GT(rules0, 0);
  std::unique_ptr<CollectorProcess> collector =
      env_.StartCollector("127.0.0.1:0", {"--rules", rules_});
  ASSERT_NE(collector, nullptr);
  EXPECT_THAT(collector->stderr_text(), HasSubstr(absl::StrCat("rules ", rules_, ": digest ",
                                                               digest0, ", ", rules0, " rules, ")));

  const std::string agent_log = env_.path("agent.log");
  std::unique_ptr<BackgroundProcess> agent = BackgroundProcess::Start(
      {AgentBinary(), "--interface", "lo", "--collector", collector->address(), "--ca",
       env_.path("ca.pem"), "--enroll-secret-file", env_.path("enroll-secret"), "--state-dir",
       env_.path("agent"), "--agent-id", kAgentId, "--log-level", "debug"},
      agent_log);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(ReadText(agent_log), "capturing on lo") &&
           absl::StrContains(collector->stderr_text(), absl::StrCat("agent ", kAgentId, " (host "));
  })) << "agent:\n"
      << ReadText(agent_log) << "collector:\n"
      << collector->stderr_text();

  // Before the reload: 31337 is not watched, 4444 (Blaster) is. The 4444
  // attempt is made second, so once it is stored the agent has seen both.
  ConnectionAttempt(31337);
  ConnectionAttempt(4444);
  ASSERT_TRUE(Eventually([&] { return !StoredContacts(4444).empty(); })) << ReadText(agent_log);
  EXPECT_TRUE(StoredContacts(31337).empty());

  // A new worm port in the knowledge base, then SIGHUP.
  { std::ofstream(rules_ + "/worms.textproto", std::ios::app) << kNewFamily; }
  const std::string digest1 = DigestByRulesCheck(rules_);
  ASSERT_FALSE(digest1.empty());
  ASSERT_NE(digest1, digest0);
  collector->Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(
        collector->stderr_text(),
        absl::StrCat("rules reloaded: digest ", digest1, ", ", rules0, " rules"));
  })) << collector->stderr_text();
  const std::string after_reload = collector->stderr_text();
  EXPECT_EQ(Count(after_reload, "pushed to 1 agent stream(s)"), 1u) << after_reload;
  EXPECT_THAT(after_reload, HasSubstr(",31337 udp 69"));

  // The agent applied it: its kernel filter now names the port...
  ASSERT_TRUE(Eventually([&] {
    const std::string log = ReadText(agent_log);
    for (absl::string_view line : absl::StrSplit(log, '\n')) {
      if (absl::StrContains(line, "capture filter:") && absl::StrContains(line, "31337")) {
        return absl::StrContains(log, "capture configuration from the collector applied");
      }
    }
    return false;
  })) << ReadText(agent_log);
  // ...and what it admits is reported: a refused attempt on 31337.
  ConnectionAttempt(31337);
  ASSERT_TRUE(Eventually([&] { return !StoredContacts(31337).empty(); })) << ReadText(agent_log);
  const std::vector<cleansweep::v1::WormPortContact> contacts = StoredContacts(31337);
  ASSERT_EQ(contacts.size(), 1u);
  EXPECT_EQ(contacts[0].outcome(), cleansweep::v1::CONNECTION_OUTCOME_REFUSED);
  EXPECT_EQ(contacts[0].transport(), cleansweep::v1::TRANSPORT_TCP);

  // A broken detection file: refused with its position, the rules kept.
  const std::string detection_path = rules_ + "/detection.textproto";
  const std::string good_detection = ReadText(detection_path);
  const size_t lines = Count(good_detection, "\n");
  ASSERT_TRUE(absl::EndsWith(good_detection, "\n"));
  // "  threshold: ten" is line lines+3; "ten" starts in column 14.
  WriteText(detection_path, good_detection + "rule {\n  name: \"broken\"\n  threshold: ten\n}\n");
  collector->Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(collector->stderr_text(),
                             absl::StrCat("rules reload failed; keeping rules ", digest1, ":"));
  })) << collector->stderr_text();
  std::string log = collector->stderr_text();
  EXPECT_THAT(log, HasSubstr(absl::StrCat(detection_path, ":", lines + 3, ":14: ")));
  EXPECT_EQ(Count(log, "pushed to"), 1u) << "a refused reload pushed a configuration";
  EXPECT_EQ(Count(log, "rules reloaded:"), 1u);

  // Fixed (with one more rule, so the digest changes): accepted, pushed to
  // the agent that is still connected.
  WriteText(detection_path,
            good_detection +
                "rule {\n  name: \"mx_lookups_notice\"\n  signal: SIGNAL_MX_LOOKUPS\n"
                "  window { seconds: 60 }\n  threshold: 3\n"
                "  severity: SEVERITY_NOTICE\n}\n");
  const std::string digest2 = DigestByRulesCheck(rules_);
  ASSERT_FALSE(digest2.empty());
  ASSERT_NE(digest2, digest1);
  collector->Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(
        collector->stderr_text(),
        absl::StrCat("rules reloaded: digest ", digest2, ", ", rules0 + 1, " rules"));
  })) << collector->stderr_text();
  log = collector->stderr_text();
  EXPECT_EQ(Count(log, "pushed to 1 agent stream(s)"), 2u) << log;
  EXPECT_THAT(log, HasSubstr("capture configuration (unchanged) pushed to 1 agent stream(s)"));

  EXPECT_EQ(agent->Stop(), 0) << ReadText(agent_log);
  // SIGTERM still stops the collector cleanly with SIGHUP handled too.
  EXPECT_EQ(collector->Terminate(), 0) << collector->stderr_text();
}

TEST_F(RulesReloadTest, InvalidRulesRefuseTheStartWithEveryErrorLine) {
  const std::string detection_path = rules_ + "/detection.textproto";
  // Line 1 has an unknown field: the parser points at the ':' after it (1:23).
  WriteText(detection_path, "rule { name: \"x\" bogus: 1 }\n" + ReadText(detection_path));
  ProcessResult r =
      RunProcess({CollectorBinary(), "serve", "--db", env_.db(), "--listen", "127.0.0.1:0",
                  "--tls-cert", env_.path("server.pem"), "--tls-key", env_.path("server.key"),
                  "--enroll-secret-file", env_.path("enroll-secret"), "--rules", rules_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.stderr_text, HasSubstr(absl::StrCat(detection_path, ":1:23: ")));
  EXPECT_THAT(r.stderr_text, HasSubstr("not starting"));
  EXPECT_THAT(r.stdout_text, Not(HasSubstr("listening on")));

  // A directory without the files is refused the same way.
  r = RunProcess({CollectorBinary(), "serve", "--db", env_.db(), "--listen", "127.0.0.1:0",
                  "--tls-cert", env_.path("server.pem"), "--tls-key", env_.path("server.key"),
                  "--enroll-secret-file", env_.path("enroll-secret"), "--rules",
                  env_.path("no-such-dir")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.stderr_text, HasSubstr("no-such-dir/worms.textproto"));
}

TEST_F(RulesReloadTest, WithoutRulesServeSaysOnceThatLiveRulesAreOff) {
  std::unique_ptr<CollectorProcess> collector = env_.StartCollector();
  ASSERT_NE(collector, nullptr);
  EXPECT_EQ(collector->Terminate(), 0);
  EXPECT_EQ(Count(collector->stderr_text(), "live rules off"), 1u) << collector->stderr_text();
}

}  // namespace
}  // namespace cleansweep::testing
