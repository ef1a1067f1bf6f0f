#include "collector/service/capture_config_broadcast.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::ElementsAre;

cleansweep::v1::CaptureConfig Smtp(uint32_t port) {
  cleansweep::v1::CaptureConfig c;
  c.add_smtp_ports(port);
  return c;
}

TEST(CaptureConfigBroadcastTest, SubscribersGetTheCurrentThenEveryLaterPublication) {
  CaptureConfigBroadcast broadcast(Smtp(25));
  std::vector<uint32_t> seen_a, seen_b;
  auto a = broadcast.Subscribe([&](const auto& c) { seen_a.push_back(c.smtp_ports(0)); });
  EXPECT_THAT(a.current.smtp_ports(), ElementsAre(25));
  EXPECT_EQ(broadcast.Publish(Smtp(26)), 1u);
  auto b = broadcast.Subscribe([&](const auto& c) { seen_b.push_back(c.smtp_ports(0)); });
  EXPECT_THAT(b.current.smtp_ports(), ElementsAre(26));
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(broadcast.Publish(Smtp(27)), 2u);
  broadcast.Unsubscribe(a.id);
  EXPECT_EQ(broadcast.Publish(Smtp(28)), 1u);
  EXPECT_THAT(seen_a, ElementsAre(26, 27));
  EXPECT_THAT(seen_b, ElementsAre(27, 28));
  EXPECT_THAT(broadcast.Current().smtp_ports(), ElementsAre(28));
  broadcast.Unsubscribe(b.id);
  broadcast.Unsubscribe(b.id);  // twice is harmless
  EXPECT_EQ(broadcast.listeners(), 0u);
}

// Streams come and go while configurations are published: every stream's
// last known configuration (from Subscribe or its listener) is the last one
// published while it was subscribed; none is left with a stale one.
TEST(CaptureConfigBroadcastTest, NoSubscriberMissesAPublicationUnderConcurrency) {
  CaptureConfigBroadcast broadcast(Smtp(1));
  struct Stream {
    std::mutex mu;
    uint32_t last = 0;
  };
  std::vector<std::unique_ptr<Stream>> streams;
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (uint32_t p = 2; p <= 2000; ++p) broadcast.Publish(Smtp(p));
    done = true;
  });
  std::vector<uint64_t> ids;
  while (!done.load() || streams.size() < 50) {
    auto s = std::make_unique<Stream>();
    Stream* raw = s.get();
    auto sub = broadcast.Subscribe([raw](const auto& c) {
      std::lock_guard<std::mutex> lock(raw->mu);
      raw->last = c.smtp_ports(0);
    });
    {
      // The listener may already have run; keep the newer value.
      std::lock_guard<std::mutex> lock(raw->mu);
      if (raw->last == 0) raw->last = sub.current.smtp_ports(0);
    }
    ids.push_back(sub.id);
    streams.push_back(std::move(s));
    if (streams.size() > 5000) break;
  }
  publisher.join();
  for (auto& s : streams) {
    std::lock_guard<std::mutex> lock(s->mu);
    EXPECT_EQ(s->last, 2000u);
  }
  for (uint64_t id : ids) broadcast.Unsubscribe(id);
}

}  // namespace
}  // namespace cleansweep::collector
