// Several collector addresses: the first refuses connections (nothing listens
// on its port), the second is the real collector over TLS; every event
// arrives there exactly once.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/uplink/uplink.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/collector_process.h"
#include "tests/integration/enroll_for_test.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using cleansweep::agent::Uplink;
using cleansweep::agent::UplinkOptions;

// A loopback port on which nothing listens: bound to get a free number, then
// released (connections to it are refused).
std::string RefusingAddress() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return absl::StrCat("127.0.0.1:", ntohs(addr.sin_port));
}

TEST(MultiAddressTest, FirstAddressRefusesSecondIsTheCollector) {
  TempDir dir;
  MakePki(dir.path());
  auto pki = [&dir](const std::string& name) { return dir.path() + "/" + name; };
  const std::string db = dir.path() + "/c.db";
  const std::string ca_pem = ReadFileOrDie(pki("ca.pem"));
  auto collector = CollectorProcess::Start(
      {"--db", db, "--listen", "127.0.0.1:0", "--tls-cert", pki("server.pem"), "--tls-key",
       pki("server.key"), "--enroll-secret-file", pki("enroll-secret")},
      pki("collector.log"));
  ASSERT_NE(collector, nullptr);

  UplinkOptions o;
  o.collector_addresses = {RefusingAddress(), collector->address()};
  o.ca_pem = ca_pem;
  o.token = EnrollOrDie(collector->address(), ca_pem, pki("enroll-secret"), "ws-multi");
  ASSERT_FALSE(o.token.empty());
  o.agent_id = "ws-multi";
  o.hostname = "ws-multi";
  o.version = "0.1.0";
  Uplink uplink(o, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  constexpr uint64_t kEvents = 200;
  for (uint64_t s = 1; s <= kEvents; ++s) {
    cleansweep::v1::Event e;
    e.set_sequence(s);
    e.mutable_time()->set_seconds(1700000000 + static_cast<int64_t>(s));
    e.set_interface("eth0");
    auto* smtp = e.mutable_smtp();
    smtp->mutable_client()->set_ip("10.0.0.5");
    smtp->mutable_client()->set_port(static_cast<uint32_t>(1024 + s));
    smtp->mutable_server()->set_ip("192.0.2.25");
    smtp->mutable_server()->set_port(25);
    uplink.Enqueue(e);
  }
  absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
  ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
  EXPECT_EQ(uplink.acked_sequence(), kEvents);
  uplink.Stop();
  ASSERT_EQ(collector->Terminate(), 0) << collector->stderr_text();

  collector::SqliteOptions ro;
  ro.read_only = true;
  ro.create = false;
  auto store = collector::OpenSqliteEventStore(db, ro);
  ASSERT_TRUE(store.ok()) << store.status();
  collector::EventFilter filter;
  filter.agent_id = "ws-multi";
  auto events = (*store)->ListEvents(filter);
  ASSERT_TRUE(events.ok()) << events.status();
  std::map<uint64_t, int> count;
  for (const auto& e : *events) ++count[e.event.sequence()];
  ASSERT_EQ(count.size(), kEvents);
  EXPECT_EQ(count.rbegin()->first, kEvents);
  for (const auto& [seq, n] : count) EXPECT_EQ(n, 1) << "sequence " << seq;
}

}  // namespace
}  // namespace cleansweep::testing
