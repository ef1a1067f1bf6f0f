// The agent's on-disk spool end to end, against the REAL collector binary
// over TLS:
//  - an agent process spools events while the collector is down, is killed
//    with SIGKILL, restarts from the same state directory, and the collector
//    then holds every event exactly once;
//  - a spool too small for the backlog drops the oldest events, the collector
//    records exactly that range as lost and acknowledges past it.
//
// The killed "agent" is a forked child running Uplink + SqliteSpool (the
// same code the agent binary wires together); it reports on a pipe once its
// events are committed, and the parent waits on that line, never on time.
// The fork happens first thing in its test, before this process starts any
// gRPC machinery, and the child only ever talks to a closed port.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "agent/spool/sqlite_spool.h"
#include "agent/uplink/uplink.h"
#include "collector/store/sqlite_event_store.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/integration/tls_collector.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using cleansweep::agent::LostRange;
using cleansweep::agent::SqliteSpool;
using cleansweep::agent::SqliteSpoolOptions;
using cleansweep::agent::Uplink;
using cleansweep::agent::UplinkOptions;
using cleansweep::v1::Event;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

constexpr char kAgentId[] = "spool-test";

std::unique_ptr<SqliteSpool> OpenSpool(const std::string& dir, uint64_t max_bytes) {
  SqliteSpoolOptions o;
  o.path = dir + "/spool.db";
  o.max_bytes = max_bytes;
  auto spool = SqliteSpool::Open(o);
  EXPECT_TRUE(spool.ok()) << spool.status();
  return spool.ok() ? *std::move(spool) : nullptr;
}

class SpoolRestartTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return env_.path(name); }

  std::unique_ptr<CollectorProcess> StartCollector() { return env_.StartCollector(); }

  UplinkOptions Options(const CollectorProcess& c) {
    UplinkOptions o = env_.EnrolledOptions(c, kAgentId);
    o.hostname = "ws-spool";
    o.max_batch_events = 100;
    return o;
  }

  std::unique_ptr<collector::EventStore> OpenStore() {
    collector::SqliteOptions ro;
    ro.read_only = true;
    ro.create = false;
    auto store = collector::OpenSqliteEventStore(path("c.db"), ro);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  TlsCollectorEnv env_;
};

// The child: spools 1..n with the collector unreachable, commits, says
// "spooled N" on `fd`, then waits to be killed.
[[noreturn]] void RunDoomedAgent(const std::string& state_dir, uint64_t n, int fd) {
  auto spool = OpenSpool(state_dir, uint64_t{256} << 20);
  if (spool == nullptr) _exit(3);
  SqliteSpool* view = spool.get();
  UplinkOptions o;
  o.collector_address = "127.0.0.1:1";  // nothing listens: the collector is down
  o.insecure = true;
  o.token = "unused";
  o.agent_id = kAgentId;
  o.first_sequence = view->last_sequence() + 1;
  Uplink uplink(o, nullptr, nullptr, std::move(spool));
  if (!uplink.Start().ok()) _exit(4);
  for (uint64_t s = 1; s <= n; ++s) uplink.Enqueue(SimpleSmtpEvent(s));
  if (!view->Flush().ok()) _exit(5);
  std::string line = absl::StrCat("spooled ", view->size(), "\n");
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(6);
  while (true) pause();
}

TEST_F(SpoolRestartTest, KilledAgentDeliversEverySpooledEventExactlyOnceAfterRestart) {
  constexpr uint64_t kSpooled = 3000;
  constexpr uint64_t kAfterRestart = 25;
  const std::string state_dir = path("state");
  ASSERT_EQ(mkdir(state_dir.c_str(), 0700), 0);

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    RunDoomedAgent(state_dir, kSpooled, fds[1]);
  }
  close(fds[1]);
  std::string said;
  char buf[64];
  while (said.find('\n') == std::string::npos) {
    ssize_t r = read(fds[0], buf, sizeof(buf));
    if (r <= 0) break;  // the child died before reporting
    said.append(buf, static_cast<size_t>(r));
  }
  close(fds[0]);
  EXPECT_EQ(said, absl::StrCat("spooled ", kSpooled, "\n"));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << "child status " << wstatus;
  ASSERT_NE(said.find('\n'), std::string::npos) << "the agent child never reported";

  // The collector comes up; the agent restarts from the same state directory.
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  auto spool = OpenSpool(state_dir, uint64_t{256} << 20);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->size(), kSpooled);
  ASSERT_EQ(spool->last_sequence(), kSpooled);  // the counter survived the kill
  SqliteSpool* view = spool.get();
  UplinkOptions o = Options(*collector);
  o.first_sequence = view->last_sequence() + 1;
  {
    Uplink uplink(o, nullptr, nullptr, std::move(spool));
    ASSERT_TRUE(uplink.Start().ok());
    // The restarted agent numbers new events on from the spooled ones.
    for (uint64_t s = kSpooled + 1; s <= kSpooled + kAfterRestart; ++s) {
      uplink.Enqueue(SimpleSmtpEvent(s));
    }
    absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(120));
    ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
    EXPECT_EQ(uplink.acked_sequence(), kSpooled + kAfterRestart);
    EXPECT_EQ(view->size(), 0u);
    uplink.Stop();
  }
  ASSERT_EQ(collector->Terminate(), 0) << collector->stderr_text();

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto events = store->ListEvents({});
  ASSERT_TRUE(events.ok()) << events.status();
  std::multiset<uint64_t> sequences;
  for (const auto& e : *events) {
    EXPECT_EQ(e.agent_id, kAgentId);
    sequences.insert(e.event.sequence());
    EXPECT_TRUE(MessageDifferencer::Equals(e.event, SimpleSmtpEvent(e.event.sequence())))
        << e.event.DebugString();
  }
  ASSERT_EQ(events->size(), kSpooled + kAfterRestart);
  for (uint64_t s = 1; s <= kSpooled + kAfterRestart; ++s) {
    EXPECT_EQ(sequences.count(s), 1u) << "sequence " << s;
  }
  auto gaps = store->CountLostEventGaps(kAgentId, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(gaps.ok()) << gaps.status();
  EXPECT_EQ(gaps->gaps, 0u);
  EXPECT_EQ(*store->AckedSequence(kAgentId), kSpooled + kAfterRestart);
}

TEST_F(SpoolRestartTest, FullSpoolReportsTheDroppedRangeAndTheAckMovesPastIt) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  const uint64_t size = SimpleSmtpEvent(1).ByteSizeLong();
  for (uint64_t s = 1; s <= 15; ++s) ASSERT_EQ(SimpleSmtpEvent(s).ByteSizeLong(), size);
  const std::string state_dir = path("state");
  ASSERT_EQ(mkdir(state_dir.c_str(), 0700), 0);
  auto spool = OpenSpool(state_dir, 10 * size);  // room for 10 events
  ASSERT_NE(spool, nullptr);
  SqliteSpool* view = spool.get();
  {
    Uplink uplink(Options(*collector), nullptr, nullptr, std::move(spool));
    // Queued before the uplink runs, as during an outage: 15 events, 10 fit,
    // so 1..5 are dropped.
    for (uint64_t s = 1; s <= 15; ++s) uplink.Enqueue(SimpleSmtpEvent(s));
    ASSERT_EQ(view->lost_ranges(), std::vector<LostRange>({LostRange{1, 5, 5, "spool_full"}}));
    ASSERT_TRUE(uplink.Start().ok());
    absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
    ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
    EXPECT_EQ(uplink.acked_sequence(), 15u);
    EXPECT_TRUE(view->lost_ranges().empty());  // acknowledged: forgotten
    EXPECT_EQ(view->size(), 0u);
    uplink.Stop();  // sends a last heartbeat with the spool's counters
  }
  ASSERT_EQ(collector->Terminate(), 0) << collector->stderr_text();
  EXPECT_THAT(collector->stderr_text(),
              HasSubstr("reports sequences 1-5 lost (5 events, reason spool_full)"));

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->AckedSequence(kAgentId), 15u);
  auto gaps = store->CountLostEventGaps(kAgentId, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(gaps.ok()) << gaps.status();
  EXPECT_EQ(gaps->gaps, 1u);
  EXPECT_EQ(gaps->missing, 5u);
  auto events = store->ListEvents({});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 10u);
  for (size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].event.sequence(), 6 + i);
  auto heartbeats = store->ListHeartbeats(kAgentId, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(heartbeats.ok()) << heartbeats.status();
  ASSERT_FALSE(heartbeats->empty());
  const auto& last = heartbeats->back().heartbeat;
  EXPECT_EQ(last.lost_events(), 5u);
  EXPECT_EQ(last.spool_events(), 0u);
  EXPECT_EQ(last.spool_bytes(), 0u);
}


TEST_F(SpoolRestartTest, DropsWhileConnectedLeaveEverySequenceStoredOrRecordedLost) {
  auto collector = StartCollector();
  ASSERT_NE(collector, nullptr);
  const std::string state_dir = path("state");
  ASSERT_EQ(mkdir(state_dir.c_str(), 0700), 0);
  // Room for about 20 events against a burst of 3000: the spool overflows
  // while batches are in flight, so some dropped events were already sent.
  auto spool = OpenSpool(state_dir, 20 * SimpleSmtpEvent(1).ByteSizeLong());
  ASSERT_NE(spool, nullptr);
  SqliteSpool* view = spool.get();
  constexpr uint64_t kEvents = 3000;
  uint64_t spool_lost = 0;
  {
    Uplink uplink(Options(*collector), nullptr, nullptr, std::move(spool));
    ASSERT_TRUE(uplink.Start().ok());
    for (uint64_t s = 1; s <= kEvents; ++s) uplink.Enqueue(SimpleSmtpEvent(s));
    absl::Status acked = uplink.WaitAllAcked(absl::Now() + absl::Seconds(60));
    ASSERT_TRUE(acked.ok()) << acked << "\n" << collector->stderr_text();
    EXPECT_EQ(uplink.acked_sequence(), kEvents);
    spool_lost = view->stats().lost_events;
    uplink.Stop();
  }
  ASSERT_EQ(collector->Terminate(), 0) << collector->stderr_text();
  EXPECT_GT(spool_lost, 0u);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->AckedSequence(kAgentId), kEvents);
  auto events = store->ListEvents({});
  ASSERT_TRUE(events.ok());
  auto gaps = store->CountLostEventGaps(kAgentId, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_TRUE(gaps.ok());
  // Every sequence is accounted for exactly once: stored, or in a gap.
  EXPECT_EQ(events->size() + gaps->missing, kEvents);
  // A dropped event may still have arrived (it was sent before the drop).
  EXPECT_LE(gaps->missing, spool_lost);
}

}  // namespace
}  // namespace cleansweep::testing
