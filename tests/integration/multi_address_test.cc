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
#include "tests/integration/tls_collector.h"
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
  TlsCollectorEnv env;
  auto collector = env.StartCollector();
  ASSERT_NE(collector, nullptr);

  UplinkOptions o = env.EnrolledOptions(*collector, "ws-multi");
  ASSERT_FALSE(o.token.empty());
  o.collector_addresses = {RefusingAddress(), collector->address()};
  o.hostname = "ws-multi";
  Uplink uplink(o, nullptr, nullptr);
  ASSERT_TRUE(uplink.Start().ok());
  constexpr uint64_t kEvents = 200;
  for (uint64_t s = 1; s <= kEvents; ++s) uplink.Enqueue(SimpleSmtpEvent(s));
  absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
  ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
  EXPECT_EQ(uplink.acked_sequence(), kEvents);
  uplink.Stop();
  ASSERT_EQ(collector->Terminate(), 0) << collector->stderr_text();

  const std::vector<collector::StoredEvent> events = env.StoredEvents("ws-multi");
  std::map<uint64_t, int> count;
  for (const auto& e : events) ++count[e.event.sequence()];
  ASSERT_EQ(count.size(), kEvents);
  EXPECT_EQ(count.rbegin()->first, kEvents);
  for (const auto& [seq, n] : count) EXPECT_EQ(n, 1) << "sequence " << seq;
}

}  // namespace
}  // namespace cleansweep::testing
