// The sweep with the real binaries: `cleansweep-collector serve` over TLS, a
// real agent capturing on the loopback interface, and `cleansweep-collector
// sweep` / `sweeps` run as a user would.
//
//  - This test process plays the infected workstation: it listens on the
//    first free port of Mydoom's 3127-3198, holds an open SMTP connection,
//    and the agent's hosts file sends www.symantec.com to 127.0.0.1. The
//    sweep must report the listener and the connection with this process's
//    pid and name (oracles: getpid() and the test binary's name, which the
//    kernel keeps as the process name), flag the hosts entry, and exit 1.
//    The SMTP event of that connection, once closed, must carry the same
//    owner (looked up when the agent saw the connection start).
//  - An agent that is not running when a sweep is issued gets it when it is
//    started later and answers; a sweep that expired before it came back is
//    never delivered.
//
// Live capture needs root: without it the tests are skipped. Synchronisation
// is on what the programs print and store, polled with a deadline; nothing
// waits for a fixed time.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cleansweep/v1/admin.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/background_process.h"
#include "tests/integration/tls_collector.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"


namespace cleansweep::testing {
namespace {

using cleansweep::v1::SweepStatus;
using ::testing::HasSubstr;
using ::testing::Not;

// What the kernel calls this process (comm: the executable's name, at most
// 15 characters), the oracle for the process names the agent reports.
constexpr char kOwnName[] = "sweep_test";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  ~Socket() { Close(); }
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      Close();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int fd() const { return fd_; }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

uint16_t LocalPort(int fd) {
  sockaddr_in addr = {};
  socklen_t len = sizeof(addr);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  return ntohs(addr.sin_port);
}

// A TCP listener on 127.0.0.1:port (0 = any free port); -1 when taken.
Socket Listen(uint16_t port) {
  // Close-on-exec: the collector, the agent and the commands this test
  // starts must not hold its sockets too (the sweep would rightly list them).
  Socket s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(s.fd(), 4) != 0) {
    return Socket();
  }
  return s;
}

Socket Connect(uint16_t port) {
  Socket s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
      << strerror(errno);
  return s;
}

SweepStatus ParseStatus(const std::string& json) {
  SweepStatus s;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString() << "\n" << json;
  return s;
}

class SweepTest : public ::testing::Test {
 protected:
  std::unique_ptr<BackgroundProcess> StartAgent(const CollectorProcess& collector,
                                                const std::string& id,
                                                const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {AgentBinary(),
                                     "--interface",
                                     "lo",
                                     "--collector",
                                     collector.address(),
                                     "--ca",
                                     env_.path("ca.pem"),
                                     "--enroll-secret-file",
                                     env_.path("enroll-secret"),
                                     "--state-dir",
                                     env_.path("state-" + id),
                                     "--agent-id",
                                     id,
                                     "--log-level",
                                     "debug"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return BackgroundProcess::Start(argv, AgentLog(id));
  }
  std::string AgentLog(const std::string& id) const { return env_.path("agent-" + id + ".log"); }

  // Waits until the collector logged the agent's n-th connection and the
  // agent is capturing.
  bool AgentConnected(const CollectorProcess& collector, const std::string& id, size_t n = 1) {
    return Eventually([&] {
      const std::string log = collector.stderr_text();
      size_t count = 0;
      for (size_t at = log.find(absl::StrCat("agent ", id, " (host ")); at != std::string::npos;
           at = log.find(absl::StrCat("agent ", id, " (host "), at + 1)) {
        ++count;
      }
      return count >= n && absl::StrContains(ReadText(AgentLog(id)), "capturing on lo");
    });
  }

  ProcessResult Sweep(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {CollectorBinary(), "sweep"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  // `sweeps --db DB --id ID --json`: the stored sweep.
  SweepStatus Stored(const std::string& id) {
    ProcessResult r =
        RunProcess({CollectorBinary(), "sweeps", "--db", env_.db(), "--id", id, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.stderr_text;
    return ParseStatus(r.stdout_text);
  }

  TlsCollectorEnv env_;
};

TEST_F(SweepTest, FindsThisProcessListeningOnAMydoomPortItsSmtpAndTheHostsRedirect) {
  if (geteuid() != 0) GTEST_SKIP() << "live capture on lo needs root";
  // The backdoor: the first free port of 3127-3198, as Mydoom.A picks it.
  Socket backdoor;
  uint16_t backdoor_port = 0;
  for (uint16_t p = 3127; p <= 3198 && backdoor.fd() < 0; ++p) {
    backdoor = Listen(p);
    if (backdoor.fd() >= 0) backdoor_port = p;
  }
  ASSERT_GE(backdoor.fd(), 0) << "every port of 3127-3198 is taken";
  // An SMTP server on a free port, which the collector tells the agent to
  // watch as SMTP.
  Socket smtp_server = Listen(0);
  ASSERT_GE(smtp_server.fd(), 0);
  const uint16_t smtp_port = LocalPort(smtp_server.fd());
  const std::string hosts = env_.path("hosts");
  std::ofstream(hosts) << "127.0.0.1 localhost\n127.0.0.1 www.symantec.com\n";

  std::unique_ptr<CollectorProcess> collector = env_.StartCollector(
      "127.0.0.1:0", {"--smtp-ports", absl::StrCat("25,465,587,2525,", smtp_port)});
  ASSERT_NE(collector, nullptr);
  EXPECT_THAT(collector->stderr_text(), HasSubstr("admin socket " + env_.db() + "-admin.sock"));
  auto agent = StartAgent(*collector, "ws-sweep", {"--hosts-file", hosts});
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(AgentConnected(*collector, "ws-sweep")) << ReadText(AgentLog("ws-sweep"));
  // The pushed SMTP port is in force once the agent says so.
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(ReadText(AgentLog("ws-sweep")),
                             absl::StrCat("SMTP ports 25,465,587,2525,", smtp_port));
  })) << ReadText(AgentLog("ws-sweep"));

  // An outbound SMTP connection of this process, held open; the agent finds
  // its owner while it is open.
  Socket client = Connect(smtp_port);
  const uint16_t client_port = LocalPort(client.fd());
  Socket accepted(accept4(smtp_server.fd(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_GE(accepted.fd(), 0);
  const std::string attributed =
      absl::StrCat("SMTP connection 127.0.0.1:", client_port, " -> 127.0.0.1:", smtp_port,
                   " belongs to pid ", getpid(), " (", kOwnName, ")");
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(ReadText(AgentLog("ws-sweep")), attributed);
  })) << ReadText(AgentLog("ws-sweep"));

  ProcessResult r = Sweep({"--db", env_.db(), "--wait", "30s", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text << r.stdout_text;  // something found
  EXPECT_THAT(r.stderr_text, HasSubstr("1 agent(s) asked, 1 reached now"));
  EXPECT_THAT(r.stderr_text, HasSubstr("answered 1/1: 1 found"));
  const SweepStatus status = ParseStatus(r.stdout_text);
  EXPECT_EQ(status.request().sweep_id().size(), 32u);
  EXPECT_EQ(status.asked(), 1u);
  EXPECT_EQ(status.answered(), 1u);
  EXPECT_EQ(status.found(), 1u);
  ASSERT_EQ(status.agents_size(), 1);
  const auto& answer = status.agents(0);
  EXPECT_EQ(answer.agent_id(), "ws-sweep");
  EXPECT_EQ(answer.verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
  const auto& result = answer.result();
  EXPECT_EQ(result.platform(), "linux");

  // The listener, with this process as its owner.
  bool listener_found = false;
  for (const auto& l : result.listeners()) {
    if (l.local().port() != backdoor_port || l.local().ip() != "127.0.0.1") continue;
    listener_found = true;
    EXPECT_EQ(l.transport(), cleansweep::v1::TRANSPORT_TCP);
    ASSERT_EQ(l.processes_size(), 1);
    EXPECT_EQ(l.processes(0).pid(), static_cast<uint32_t>(getpid()));
    EXPECT_EQ(l.processes(0).name(), kOwnName);
    EXPECT_EQ(l.processes(0).exe(), BinaryDir() + "/tests/sweep_test");
  }
  EXPECT_TRUE(listener_found) << result.DebugString();
  EXPECT_THAT(absl::StrJoin(answer.reasons(), "\n"),
              HasSubstr(absl::StrCat("listening on backdoor port ", backdoor_port,
                                     "/tcp (127.0.0.1): pid ", getpid(), " ", kOwnName)));
  // The open SMTP connection, with this process.
  bool smtp_found = false;
  for (const auto& c : result.smtp_connections()) {
    if (c.local().port() != client_port || c.remote().port() != smtp_port) continue;
    smtp_found = true;
    EXPECT_EQ(c.state(), "ESTABLISHED");
    ASSERT_EQ(c.processes_size(), 1);
    EXPECT_EQ(c.processes(0).pid(), static_cast<uint32_t>(getpid()));
    EXPECT_EQ(c.processes(0).name(), kOwnName);
  }
  EXPECT_TRUE(smtp_found) << result.DebugString();
  // The hosts file: line 2 sends www.symantec.com to 127.0.0.1.
  EXPECT_EQ(result.hosts_file(), hosts);
  EXPECT_EQ(result.hosts_entries(), 2u);
  ASSERT_EQ(result.hosts_redirects_size(), 1);
  EXPECT_EQ(result.hosts_redirects(0).line(), 2u);
  EXPECT_EQ(result.hosts_redirects(0).name(), "www.symantec.com");
  EXPECT_EQ(result.hosts_redirects(0).address(), "127.0.0.1");
  EXPECT_EQ(result.hosts_redirects(0).domain(), "symantec.com");
  // Capture health: the interface the agent captures on.
  ASSERT_EQ(result.capture().interfaces_size(), 1);
  EXPECT_EQ(result.capture().interfaces(0).name(), "lo");

  // The same, stored: `sweeps` reads it from the database.
  const SweepStatus stored = Stored(status.request().sweep_id());
  EXPECT_EQ(stored.found(), 1u);
  ASSERT_EQ(stored.agents_size(), 1);
  EXPECT_EQ(stored.agents(0).result().hosts_redirects_size(), 1);
  ProcessResult listed = RunProcess({CollectorBinary(), "sweeps", "--db", env_.db()});
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_THAT(listed.stdout_text, HasSubstr(absl::StrCat(status.request().sweep_id(), "  ")));

  // The SMTP connection ends; its event carries the owner found at its start.
  client.Close();
  accepted.Close();
  std::vector<collector::StoredEvent> smtp;
  ASSERT_TRUE(Eventually([&] {
    smtp.clear();
    for (auto& e : env_.StoredEvents("ws-sweep")) {
      if (e.event.has_smtp() && e.event.smtp().server().port() == smtp_port) smtp.push_back(e);
    }
    return !smtp.empty();
  })) << ReadText(AgentLog("ws-sweep"));
  ASSERT_EQ(smtp.size(), 1u);
  EXPECT_EQ(smtp[0].event.smtp().client().port(), client_port);
  EXPECT_EQ(smtp[0].event.smtp().pid(), static_cast<uint32_t>(getpid()));
  EXPECT_EQ(smtp[0].event.smtp().process(), kOwnName);
  EXPECT_EQ(smtp[0].event.smtp().process_exe(), BinaryDir() + "/tests/sweep_test");

  EXPECT_EQ(agent->Stop(), 0) << ReadText(AgentLog("ws-sweep"));
  EXPECT_EQ(collector->Terminate(), 0) << collector->stderr_text();
  // A clean stop removes the socket.
  EXPECT_NE(access((env_.db() + "-admin.sock").c_str(), F_OK), 0);
}

TEST_F(SweepTest, AnAgentStartedLaterAnswersAndAnExpiredSweepIsNeverDelivered) {
  if (geteuid() != 0) GTEST_SKIP() << "live capture on lo needs root";
  const std::string socket = env_.path("admin.sock");
  std::unique_ptr<CollectorProcess> collector =
      env_.StartCollector("127.0.0.1:0", {"--admin-socket", socket});
  ASSERT_NE(collector, nullptr);
  // The agent enrolls and reports once, then stops: the collector knows it.
  auto agent = StartAgent(*collector, "ws-late");
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(AgentConnected(*collector, "ws-late")) << ReadText(AgentLog("ws-late"));
  ASSERT_EQ(agent->Stop(), 0);

  // Two sweeps while it is down: one that expires at once, one for a day.
  ProcessResult expired = Sweep({"--admin-socket", socket, "--expires", "1ms", "--json"});
  EXPECT_EQ(expired.exit_code, 2) << expired.stderr_text;  // nobody answered
  const std::string expired_id = ParseStatus(expired.stdout_text).request().sweep_id();
  ASSERT_EQ(expired_id.size(), 32u);
  ASSERT_TRUE(Eventually([&] { return Stored(expired_id).expired(); }));
  ProcessResult pending = Sweep({"--admin-socket", socket});
  EXPECT_EQ(pending.exit_code, 2) << pending.stderr_text;
  EXPECT_THAT(pending.stdout_text, HasSubstr("1 agent(s) asked, 0 reached now"));
  EXPECT_THAT(pending.stdout_text, HasSubstr("no answer (not connected yet)"));
  // "sweep ID: 1 agent(s) asked, ..."
  ASSERT_TRUE(absl::StartsWith(pending.stdout_text, "sweep ")) << pending.stdout_text;
  const std::string pending_id = pending.stdout_text.substr(6, pending.stdout_text.find(':') - 6);
  ASSERT_EQ(pending_id.size(), 32u) << pending.stdout_text;

  // Started again: it gets the pending sweep and answers.
  agent = StartAgent(*collector, "ws-late");
  ASSERT_NE(agent, nullptr);
  SweepStatus answered;
  ASSERT_TRUE(Eventually([&] {
    answered = Stored(pending_id);
    return answered.answered() == 1;
  })) << ReadText(AgentLog("ws-late"))
      << collector->stderr_text();
  EXPECT_EQ(answered.delivered(), 1u);
  ASSERT_EQ(answered.agents_size(), 1);
  EXPECT_TRUE(answered.agents(0).has_delivered_time());
  EXPECT_EQ(answered.agents(0).result().sweep_id(), pending_id);
  EXPECT_NE(answered.agents(0).verdict(), cleansweep::v1::SWEEP_VERDICT_UNSPECIFIED);
  EXPECT_THAT(collector->stderr_text(),
              HasSubstr(absl::StrCat("sweep ", pending_id, " sent to agent ws-late")));

  // The expired one never was: pending sweeps go out in the order they were
  // issued, so it would have reached the agent before the one it answered.
  const SweepStatus never = Stored(expired_id);
  EXPECT_TRUE(never.expired());
  EXPECT_EQ(never.delivered(), 0u);
  EXPECT_EQ(never.answered(), 0u);
  EXPECT_THAT(ReadText(AgentLog("ws-late")), Not(HasSubstr(expired_id)));
  EXPECT_THAT(collector->stderr_text(),
              Not(HasSubstr(absl::StrCat("sweep ", expired_id, " sent"))));

  EXPECT_EQ(agent->Stop(), 0) << ReadText(AgentLog("ws-late"));
  EXPECT_EQ(collector->Terminate(), 0) << collector->stderr_text();
}

TEST_F(SweepTest, UsageAndAnUnreachableCollectorExitThree) {
  ProcessResult help = Sweep({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.stdout_text, HasSubstr("--wait"));
  EXPECT_THAT(help.stdout_text, HasSubstr("--admin-socket"));
  EXPECT_EQ(Sweep({"--wait", "soon"}).exit_code, 3);
  EXPECT_EQ(Sweep({"--bogus"}).exit_code, 3);
  ProcessResult unreachable = Sweep({"--admin-socket", env_.path("nobody.sock")});
  EXPECT_EQ(unreachable.exit_code, 3);
  EXPECT_THAT(unreachable.stderr_text, HasSubstr("cannot reach the collector's admin socket"));
}

}  // namespace
}  // namespace cleansweep::testing
