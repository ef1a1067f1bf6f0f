#include "agent/uplink/outbound_queue.h"

#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

cleansweep::v1::Event Ev(uint64_t seq, const char* iface = "eth0") {
  cleansweep::v1::Event e;
  e.set_sequence(seq);
  e.set_interface(iface);
  return e;
}

TEST(InMemoryOutboundQueueTest, CopiesInSequenceOrderAfterAPoint) {
  InMemoryOutboundQueue q;
  for (uint64_t s : {3, 1, 2, 5}) q.Push(Ev(s));
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.last_sequence(), 5u);
  google::protobuf::RepeatedPtrField<cleansweep::v1::Event> out;
  EXPECT_EQ(q.CopyAfter(1, 2, &out), 3u);
  ASSERT_EQ(out.size(), 2);
  EXPECT_EQ(out[0].sequence(), 2u);
  EXPECT_EQ(out[1].sequence(), 3u);
  EXPECT_EQ(q.CountAfter(1, 100), 3u);
  EXPECT_EQ(q.CountAfter(1, 2), 2u);
  out.Clear();
  EXPECT_EQ(q.CopyAfter(5, 10, &out), 5u);
  EXPECT_TRUE(out.empty());
}

TEST(InMemoryOutboundQueueTest, AckThroughDropsAcknowledgedOnly) {
  InMemoryOutboundQueue q;
  for (uint64_t s = 1; s <= 5; ++s) q.Push(Ev(s));
  q.AckThrough(3);
  EXPECT_EQ(q.size(), 2u);
  google::protobuf::RepeatedPtrField<cleansweep::v1::Event> out;
  q.CopyAfter(0, 10, &out);
  ASSERT_EQ(out.size(), 2);
  EXPECT_EQ(out[0].sequence(), 4u);
  q.AckThrough(100);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.last_sequence(), 5u);  // remembered for Hello.last_sequence
}

TEST(InMemoryOutboundQueueTest, DuplicateSequenceKeepsFirst) {
  InMemoryOutboundQueue q;
  q.Push(Ev(1, "first"));
  q.Push(Ev(1, "second"));
  EXPECT_EQ(q.size(), 1u);
  google::protobuf::RepeatedPtrField<cleansweep::v1::Event> out;
  q.CopyAfter(0, 10, &out);
  EXPECT_EQ(out[0].interface(), "first");
}

}  // namespace
}  // namespace cleansweep::agent
