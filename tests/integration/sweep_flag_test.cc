// A backdoor found by a sweep is a finding everywhere findings appear, with
// the real binaries: `cleansweep-collector serve --rules DIR --http
// 127.0.0.1:0` over TLS, a real agent capturing on the loopback interface,
// and `sweep`, `findings`, `audit` and the status page's API used as a user
// would.
//
// This test process plays the infected workstation: it listens on the first
// free port of Mydoom's 3127-3198 and the agent's hosts file sends
// www.symantec.com to 127.0.0.1. The rules are the shipped ones with a site
// whose internal network is 127.0.0.0/8, so the host the findings name is
// 127.0.0.1 (the one internal address of this machine's loopback). Oracles:
// getpid(), the test binary's name (the kernel keeps it, cut to 15
// characters, as the process name), the port it bound, the sweep id `sweep`
// printed.
//
//  (a) `findings --rules DIR --json` (re-judged) and `findings --live --json`
//      (stored by serve when the answer came): backdoor_listener
//      (mass-mailing) for 127.0.0.1 with this pid on that port, and
//      hosts_file_redirect (suspicious);
//  (b) /api/v1/sweeps, /api/v1/sweeps?id=, /api/v1/hosts/ws-flag: the sweep,
//      the host's last sweep and its result, the finding on the Host page;
//  (c) `audit --format json` exits 1 (infected) with the sweep section and
//      the findings; `audit verify` accepts the report and refuses it once the
//      sweep section is edited; the external report labels the host.
//
// Live capture needs root: without it the test is skipped. Synchronisation is
// on what the programs print and store, polled with a deadline.
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
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cleansweep/v1/admin.pb.h"
#include "cleansweep/v1/audit.pb.h"
#include "cleansweep/v1/findings.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/background_process.h"
#include "tests/integration/tls_collector.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"


namespace cleansweep::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// comm of this process: the executable's name (sweep_flag_test, 15 characters).
constexpr char kOwnName[] = "sweep_flag_test";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename Message>
Message ParseJson(const std::string& json) {
  Message m;
  google::protobuf::util::JsonParseOptions options;
  auto st = google::protobuf::util::JsonStringToMessage(json, &m, options);
  EXPECT_TRUE(st.ok()) << st.ToString() << "\n" << json.substr(0, 2000);
  return m;
}

// A TCP listener on 127.0.0.1:port; -1 when the port is taken. Close-on-exec:
// the programs this test starts must not hold it too.
int Listen(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// GET http://127.0.0.1:port/path; the status code and body ("" and -1 when
// the connection fails).
std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return {-1, ""};
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return {-1, ""};
  }
  std::string response;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) response.append(buf, n);
  close(fd);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nBODY"
  int code = -1;
  const size_t space = response.find(' ');
  if (space == std::string::npos || !absl::SimpleAtoi(response.substr(space + 1, 3), &code)) {
    return {-1, response};
  }
  const size_t body = response.find("\r\n\r\n");
  return {code, body == std::string::npos ? "" : response.substr(body + 4)};
}

google::protobuf::Struct JsonObject(const std::string& body) {
  return ParseJson<google::protobuf::Struct>(body);
}
const google::protobuf::Value& Field(const google::protobuf::Struct& s, const std::string& key) {
  static const google::protobuf::Value* const kNull = new google::protobuf::Value();
  auto it = s.fields().find(key);
  return it == s.fields().end() ? *kNull : it->second;
}

class SweepFlagTest : public ::testing::Test {
 protected:
  // The shipped rules with a site whose inside is the loopback network.
  std::string RulesDir() {
    const std::string dir = env_.path("rules");
    std::filesystem::create_directories(dir);
    for (const char* f : {"worms.textproto", "detection.textproto", "protected_domains.txt"}) {
      std::filesystem::copy_file(SourceDir() + "/rules/" + f, dir + "/" + f);
    }
    std::ofstream(dir + "/site.textproto") << "name: \"loopback-corp\"\n"
                                           << "internal_networks: \"127.0.0.0/8\"\n"
                                           << "clean_coverage: 0.5\n";
    return dir;
  }

  ProcessResult Collector(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {CollectorBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }

  TlsCollectorEnv env_;
};

TEST_F(SweepFlagTest, ABackdoorFoundBySweepIsAFindingInFindingsThePageAndTheAudit) {
  if (geteuid() != 0) GTEST_SKIP() << "live capture on lo needs root";
  int backdoor = -1;
  uint16_t backdoor_port = 0;
  for (uint16_t p = 3127; p <= 3198 && backdoor < 0; ++p) {
    backdoor = Listen(p);
    if (backdoor >= 0) backdoor_port = p;
  }
  ASSERT_GE(backdoor, 0) << "every port of 3127-3198 is taken";
  const uint32_t pid = static_cast<uint32_t>(getpid());
  const std::string hosts = env_.path("hosts");
  std::ofstream(hosts) << "127.0.0.1 localhost\n127.0.0.1 www.symantec.com\n";
  const std::string rules = RulesDir();

  std::unique_ptr<CollectorProcess> collector =
      env_.StartCollector("127.0.0.1:0", {"--rules", rules, "--http", "127.0.0.1:0"});
  ASSERT_NE(collector, nullptr);
  int http_port = 0;
  ASSERT_TRUE(Eventually([&] {
    const std::string log = collector->stderr_text();
    const size_t at = log.find("status page on http://127.0.0.1:");
    if (at == std::string::npos) return false;
    const size_t from = at + strlen("status page on http://127.0.0.1:");
    const size_t end = log.find_first_not_of("0123456789", from);
    return absl::SimpleAtoi(log.substr(from, end - from), &http_port);
  })) << collector->stderr_text();

  const std::string agent_log = env_.path("agent.log");
  auto agent = BackgroundProcess::Start(
      {AgentBinary(), "--interface", "lo", "--collector", collector->address(), "--ca",
       env_.path("ca.pem"), "--enroll-secret-file", env_.path("enroll-secret"), "--state-dir",
       env_.path("state"), "--agent-id", "ws-flag", "--hosts-file", hosts},
      agent_log);
  ASSERT_NE(agent, nullptr);
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(collector->stderr_text(), "agent ws-flag (host ") &&
           absl::StrContains(ReadText(agent_log), "capturing on lo");
  })) << ReadText(agent_log) << collector->stderr_text();

  ProcessResult swept = Collector({"sweep", "--db", env_.db(), "--wait", "30s", "--json"});
  ASSERT_EQ(swept.exit_code, 1) << swept.stderr_text << swept.stdout_text;  // found
  const std::string sweep_id = ParseJson<cleansweep::v1::SweepStatus>(swept.stdout_text)
                                   .request()
                                   .sweep_id();
  ASSERT_EQ(sweep_id.size(), 32u);
  // serve judges the answer right after storing it (`sweep` may see the
  // stored answer a moment before) and logs the finding once stored.
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(collector->stderr_text(),
                             "finding: host 127.0.0.1 (agent ws-flag) is mass-mailing by rule "
                             "backdoor_listener: sweep ");
  })) << collector->stderr_text();

  // (a) The findings, re-judged and as serve stored them.
  auto check_findings = [&](const cleansweep::v1::FindingReport& report, const char* how) {
    SCOPED_TRACE(how);
    const cleansweep::v1::Finding* backdoor_finding = nullptr;
    const cleansweep::v1::Finding* hosts_finding = nullptr;
    for (const auto& f : report.findings()) {
      if (f.rule() == "backdoor_listener") backdoor_finding = &f;
      if (f.rule() == "hosts_file_redirect") hosts_finding = &f;
    }
    ASSERT_NE(backdoor_finding, nullptr) << report.DebugString();
    EXPECT_EQ(backdoor_finding->host(), "127.0.0.1");
    EXPECT_EQ(backdoor_finding->agent_id(), "ws-flag");
    EXPECT_EQ(backdoor_finding->severity(), cleansweep::v1::SEVERITY_MASS_MAILING);
    EXPECT_EQ(backdoor_finding->signal(), cleansweep::v1::SIGNAL_SWEEP_BACKDOOR_LISTENER);
    bool mine = false;
    for (const auto& e : backdoor_finding->evidence()) {
      EXPECT_EQ(e.sweep_id(), sweep_id);
      if (e.listener().local().port() != backdoor_port) continue;
      ASSERT_EQ(e.listener().processes_size(), 1);
      mine = e.listener().processes(0).pid() == pid &&
             e.listener().processes(0).name() == kOwnName;
      EXPECT_THAT(e.summary(), HasSubstr(absl::StrCat("sweep ", sweep_id,
                                                      ": listening on backdoor port ",
                                                      backdoor_port, "/tcp (127.0.0.1): pid ",
                                                      pid, " ", kOwnName)));
    }
    EXPECT_TRUE(mine) << backdoor_finding->DebugString();
    ASSERT_NE(hosts_finding, nullptr);
    EXPECT_EQ(hosts_finding->severity(), cleansweep::v1::SEVERITY_SUSPICIOUS);
    ASSERT_GE(hosts_finding->evidence_size(), 1);
    EXPECT_EQ(hosts_finding->evidence(0).hosts_entry().name(), "www.symantec.com");
    EXPECT_EQ(hosts_finding->evidence(0).hosts_entry().line(), 2u);
  };
  ProcessResult judged = Collector(
      {"findings", "--db", env_.db(), "--rules", rules, "--from", "1h", "--json"});
  ASSERT_EQ(judged.exit_code, 0) << judged.stderr_text;
  const auto rejudged = ParseJson<cleansweep::v1::FindingReport>(judged.stdout_text);
  check_findings(rejudged, "findings --rules");
  EXPECT_EQ(rejudged.sweep_answers_judged(), 1u);
  ProcessResult live =
      Collector({"findings", "--db", env_.db(), "--live", "--from", "1h", "--json"});
  ASSERT_EQ(live.exit_code, 0) << live.stderr_text;
  check_findings(ParseJson<cleansweep::v1::FindingReport>(live.stdout_text), "findings --live");
  ProcessResult text = Collector({"findings", "--db", env_.db(), "--rules", rules, "--from", "1h"});
  EXPECT_THAT(text.stdout_text, HasSubstr("1 backdoor ports listened on in one sweep answer"));

  // (b) The status page's API (its snapshot is rebuilt in the background).
  auto [code, list] = HttpGet(http_port, "/api/v1/sweeps");
  ASSERT_EQ(code, 200) << list;
  const auto sweeps = JsonObject(list);
  ASSERT_EQ(Field(sweeps, "sweeps").list_value().values_size(), 1) << list;
  const auto& first = Field(sweeps, "sweeps").list_value().values(0).struct_value();
  EXPECT_EQ(Field(first, "id").string_value(), sweep_id);
  EXPECT_EQ(Field(first, "asked").number_value(), 1);
  EXPECT_EQ(Field(first, "answered").number_value(), 1);
  EXPECT_EQ(Field(first, "found").number_value(), 1);
  auto [one_code, one] = HttpGet(http_port, "/api/v1/sweeps?id=" + sweep_id);
  ASSERT_EQ(one_code, 200) << one;
  const google::protobuf::Struct one_sweep = JsonObject(one);
  const auto& sweep_host =
      Field(Field(one_sweep, "sweep").struct_value(), "hosts").list_value().values(0);
  EXPECT_EQ(Field(sweep_host.struct_value(), "agentId").string_value(), "ws-flag");
  EXPECT_EQ(Field(sweep_host.struct_value(), "status").string_value(), "found");

  google::protobuf::Struct host;
  ASSERT_TRUE(Eventually([&] {
    auto [c, body] = HttpGet(http_port, "/api/v1/hosts/ws-flag");
    if (c != 200) return false;
    host = JsonObject(body);
    const auto& last = Field(Field(host, "host").struct_value(), "lastSweep");
    return last.has_struct_value() && !Field(host, "findings").list_value().values().empty();
  })) << host.DebugString();
  EXPECT_EQ(Field(Field(Field(host, "host").struct_value(), "lastSweep").struct_value(), "status")
                .string_value(),
            "found");
  const auto& results = Field(host, "sweeps").list_value();
  ASSERT_EQ(results.values_size(), 1);
  const auto& result = results.values(0).struct_value();
  EXPECT_EQ(Field(result, "sweepId").string_value(), sweep_id);
  bool listener_shown = false;
  for (const auto& l : Field(result, "listeners").list_value().values()) {
    const auto& ls = l.struct_value();
    if (Field(ls, "port").number_value() != backdoor_port) continue;
    listener_shown = Field(ls, "backdoor").bool_value() &&
                     Field(Field(ls, "processes").list_value().values(0).struct_value(), "pid")
                             .number_value() == pid;
  }
  EXPECT_TRUE(listener_shown) << host.DebugString();
  bool finding_shown = false;
  for (const auto& f : Field(host, "findings").list_value().values()) {
    finding_shown |= Field(f.struct_value(), "rule").string_value() == "backdoor_listener";
  }
  EXPECT_TRUE(finding_shown) << host.DebugString();

  // (c) The audit: infected, with the sweep; sealed over it.
  const std::string report_path = env_.path("audit.json");
  ProcessResult audit = Collector({"audit", "--db", env_.db(), "--rules", rules, "--from", "1h",
                                   "--format", "json", "--out", report_path});
  EXPECT_EQ(audit.exit_code, 1) << audit.stderr_text;
  const std::string report_text = ReadText(report_path);
  const auto report = ParseJson<cleansweep::v1::AuditReport>(report_text);
  EXPECT_EQ(report.verdict().kind(), "infected");
  EXPECT_THAT(report.verdict().sentence(), HasSubstr("a backdoor listener found by a sweep"));
  ASSERT_EQ(report.sweeps().sweeps_size(), 1) << report.sweeps().DebugString();
  const auto& audited = report.sweeps().sweeps(0);
  EXPECT_EQ(audited.sweep_id(), sweep_id);
  EXPECT_EQ(audited.asked(), 1u);
  EXPECT_EQ(audited.found(), 1u);
  ASSERT_EQ(audited.hosts_size(), 1);
  const auto& h = audited.hosts(0);
  EXPECT_EQ(h.agent_id(), "ws-flag");
  EXPECT_EQ(h.verdict(), cleansweep::v1::SWEEP_VERDICT_FOUND);
  ASSERT_GE(h.addresses_size(), 1);
  EXPECT_EQ(h.addresses(0), "127.0.0.1");
  bool audited_listener = false;
  for (const auto& l : h.backdoor_listeners()) {
    audited_listener |= l.local().port() == backdoor_port && l.processes_size() == 1 &&
                        l.processes(0).pid() == pid;
  }
  EXPECT_TRUE(audited_listener) << h.DebugString();
  ASSERT_EQ(h.hosts_redirects_size(), 1);
  bool audited_finding = false;
  for (const auto& f : report.findings().findings()) {
    audited_finding |= f.rule() == "backdoor_listener" && f.host() == "127.0.0.1";
  }
  EXPECT_TRUE(audited_finding);
  ProcessResult verified = Collector({"audit", "verify", report_path});
  EXPECT_EQ(verified.exit_code, 0) << verified.stdout_text << verified.stderr_text;
  // The seal covers the sweep section: another pid there breaks it.
  const std::string needle = absl::StrCat("\"pid\": ", pid);
  ASSERT_THAT(report_text, HasSubstr(needle));
  const std::string edited_path = env_.path("audit-edited.json");
  std::ofstream(edited_path) << absl::StrReplaceAll(report_text,
                                                    {{needle, absl::StrCat("\"pid\": ", pid + 1)}});
  EXPECT_EQ(Collector({"audit", "verify", edited_path}).exit_code, 1);
  // Text and HTML name it too.
  ProcessResult audit_text =
      Collector({"audit", "--db", env_.db(), "--rules", rules, "--from", "1h"});
  EXPECT_EQ(audit_text.exit_code, 1);
  EXPECT_THAT(audit_text.stdout_text, HasSubstr(absl::StrCat("sweep ", sweep_id, " issued ")));
  EXPECT_THAT(audit_text.stdout_text,
              HasSubstr(absl::StrCat("listening on backdoor port ", backdoor_port,
                                     "/tcp (127.0.0.1): pid ", pid, " ", kOwnName)));
  // For the complainant: a label, no agent id, no address.
  ProcessResult external = Collector({"audit", "--db", env_.db(), "--rules", rules, "--from",
                                      "1h", "--format", "json", "--audience", "external"});
  EXPECT_EQ(external.exit_code, 1);
  const auto outside = ParseJson<cleansweep::v1::AuditReport>(external.stdout_text);
  ASSERT_EQ(outside.sweeps().sweeps_size(), 1);
  EXPECT_THAT(outside.sweeps().sweeps(0).hosts(0).hostname(), HasSubstr("host "));
  EXPECT_THAT(external.stdout_text, Not(HasSubstr("ws-flag")));
  EXPECT_THAT(external.stdout_text, Not(HasSubstr("127.0.0.1")));

  EXPECT_EQ(agent->Stop(), 0) << ReadText(agent_log);
  EXPECT_EQ(collector->Terminate(), 0) << collector->stderr_text();
  close(backdoor);
}

}  // namespace
}  // namespace cleansweep::testing
