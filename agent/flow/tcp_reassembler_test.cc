#include "agent/flow/tcp_reassembler.h"

#include <string>
#include <vector>

#include "agent/decode/packet.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

// Records the stream as text, gaps as "[gap N]".
class Recorder : public StreamConsumer {
 public:
  void OnData(absl::string_view bytes) override { text.append(bytes.data(), bytes.size()); }
  void OnGap(uint64_t missing) override {
    text += "[gap " + std::to_string(missing) + "]";
    gaps.push_back(missing);
  }
  std::string text;
  std::vector<uint64_t> gaps;
};

constexpr uint8_t kAck = kTcpAck;

TEST(TcpReassemblerTest, InOrderAfterSynSkipsTheSynSequenceNumber) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(1000, kTcpSyn, "", &out);
  r.OnSegment(1001, kAck, "HELO a\r\n", &out);
  r.OnSegment(1009, kAck, "QUIT\r\n", &out);
  EXPECT_EQ(out.text, "HELO a\r\nQUIT\r\n");
  EXPECT_TRUE(r.syn_seen());
  EXPECT_EQ(r.initial_seq(), 1000u);
  EXPECT_EQ(r.delivered_bytes(), 14u);
  EXPECT_EQ(r.missing_bytes(), 0u);
}

TEST(TcpReassemblerTest, RetransmissionIsDeliveredOnce) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(1000, kTcpSyn, "", &out);
  r.OnSegment(1001, kAck, "abc", &out);
  r.OnSegment(1001, kAck, "abc", &out);
  r.OnSegment(1000, kTcpSyn, "", &out);  // retransmitted SYN changes nothing
  r.OnSegment(1004, kAck, "def", &out);
  EXPECT_EQ(out.text, "abcdef");
  EXPECT_EQ(r.delivered_bytes(), 6u);
  EXPECT_EQ(r.duplicate_bytes(), 3u);
}

TEST(TcpReassemblerTest, OverlapDeliversOnlyTheNewSuffix) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(1, kAck, "abcd", &out);
  r.OnSegment(3, kAck, "cdefg", &out);  // overlaps "cd"
  r.OnSegment(2, kAck, "bc", &out);     // wholly old
  EXPECT_EQ(out.text, "abcdefg");
  EXPECT_EQ(r.delivered_bytes(), 7u);
  EXPECT_EQ(r.duplicate_bytes(), 4u);
}

TEST(TcpReassemblerTest, OutOfOrderIsBufferedUntilTheHoleFills) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(100, kTcpSyn, "", &out);
  r.OnSegment(107, kAck, "world", &out);
  r.OnSegment(104, kAck, "lo ", &out);
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(r.buffered_bytes(), 8u);
  r.OnSegment(101, kAck, "hel", &out);
  EXPECT_EQ(out.text, "hello world");
  EXPECT_EQ(r.buffered_bytes(), 0u);
  EXPECT_EQ(r.missing_bytes(), 0u);
}

TEST(TcpReassemblerTest, OverlappingBufferedSegmentsAreTrimmed) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(0, kAck, "a", &out);
  r.OnSegment(3, kAck, "defg", &out);
  r.OnSegment(5, kAck, "fghi", &out);
  r.OnSegment(3, kAck, "de", &out);  // shorter duplicate of a buffered segment
  r.OnSegment(1, kAck, "bcd", &out);
  EXPECT_EQ(out.text, "abcdefghi");
  EXPECT_EQ(r.delivered_bytes(), 9u);
}

TEST(TcpReassemblerTest, SequenceNumbersWrapAround) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(0xFFFFFFFDu, kTcpSyn, "", &out);   // data starts at 0xFFFFFFFE
  r.OnSegment(0x00000000u, kAck, "cd", &out);    // after the wrap, out of order
  r.OnSegment(0xFFFFFFFEu, kAck, "ab", &out);    // 0xFFFFFFFE, 0xFFFFFFFF
  r.OnSegment(0xFFFFFFFFu, kAck, "bc", &out);    // overlap across the wrap
  r.OnSegment(0x00000002u, kAck, "e", &out);
  EXPECT_EQ(out.text, "abcde");
  EXPECT_EQ(r.missing_bytes(), 0u);
}

TEST(TcpReassemblerTest, LongStreamPastFourGigabytesKeepsWorking) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(5, kTcpSyn, "", &out);
  uint32_t seq = 6;
  std::string chunk(60000, 'x');
  uint64_t total = 0;
  // 75,000 segments of 60,000 bytes: 4.5 GB, the 32-bit sequence wraps once.
  for (int i = 0; i < 75000; ++i) {
    r.OnSegment(seq, kAck, chunk, &out);
    seq += chunk.size();
    total += chunk.size();
    out.text.clear();
  }
  r.OnSegment(seq, kAck, "z", &out);
  EXPECT_EQ(out.text, "z");
  EXPECT_EQ(r.delivered_bytes(), total + 1);
}

TEST(TcpReassemblerTest, StreamWithoutSynStartsAtFirstSeenSequence) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(5000, kAck, "MAIL FROM:<a@b>\r\n", &out);
  r.OnSegment(4990, kAck, "0123456789", &out);  // earlier than the start: old
  EXPECT_EQ(out.text, "MAIL FROM:<a@b>\r\n");
  EXPECT_FALSE(r.syn_seen());
}

TEST(TcpReassemblerTest, SegmentStartingBeforeTheFirstSeenByteDeliversOnlyNewBytes) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(5000, kAck, "MAIL", &out);
  // A retransmission covering 10 earlier bytes, the 4 seen ones and 3 new ones.
  r.OnSegment(4990, kAck, "0123456789MAIL FR", &out);
  EXPECT_EQ(out.text, "MAIL FR");
  EXPECT_EQ(r.delivered_bytes(), 7u);
}

TEST(TcpReassemblerTest, OverflowingTheBufferDeclaresAHole) {
  TcpReassembler::Options options;
  options.max_buffered_bytes = 10;
  TcpReassembler r(options);
  Recorder out;
  r.OnSegment(0, kTcpSyn, "", &out);
  r.OnSegment(1, kAck, "ab", &out);
  // Bytes 3..5 ("cde") are never captured.
  r.OnSegment(6, kAck, "fghij", &out);
  r.OnSegment(11, kAck, "klmno", &out);  // buffer now holds 10 bytes
  EXPECT_EQ(out.text, "ab");
  r.OnSegment(16, kAck, "pq", &out);  // does not fit: hole declared
  EXPECT_EQ(out.text, "ab[gap 3]fghijklmnopq");
  EXPECT_EQ(r.missing_bytes(), 3u);
  EXPECT_EQ(r.delivered_bytes(), 14u);
  // The late retransmission of the hole is old now.
  r.OnSegment(3, kAck, "cde", &out);
  EXPECT_EQ(out.text, "ab[gap 3]fghijklmnopq");
}

TEST(TcpReassemblerTest, SegmentLargerThanTheBufferDeclaresTheHoleImmediately) {
  TcpReassembler::Options options;
  options.max_buffered_bytes = 4;
  TcpReassembler r(options);
  Recorder out;
  r.OnSegment(0, kAck, "ab", &out);
  r.OnSegment(4, kAck, "efghij", &out);
  EXPECT_EQ(out.text, "ab[gap 2]efghij");
  EXPECT_EQ(r.missing_bytes(), 2u);
}

TEST(TcpReassemblerTest, SharedBudgetLimitsAllReassemblers) {
  ReassemblyBudget budget{6, 0};
  TcpReassembler a(TcpReassembler::Options(), &budget);
  TcpReassembler b(TcpReassembler::Options(), &budget);
  Recorder out_a, out_b;
  a.OnSegment(0, kAck, "x", &out_a);
  b.OnSegment(0, kAck, "y", &out_b);
  a.OnSegment(5, kAck, "1234", &out_a);
  EXPECT_EQ(budget.used, 4u);
  b.OnSegment(5, kAck, "5678", &out_b);  // over the shared budget: b skips its hole
  EXPECT_EQ(out_b.text, "y[gap 4]5678");
  EXPECT_EQ(budget.used, 4u);
  a.Flush(&out_a);
  EXPECT_EQ(budget.used, 0u);
  EXPECT_EQ(out_a.text, "x[gap 4]1234");
}

TEST(TcpReassemblerTest, BudgetIsReturnedOnDestructionAndMove) {
  ReassemblyBudget budget{100, 0};
  {
    TcpReassembler a(TcpReassembler::Options(), &budget);
    Recorder out;
    a.OnSegment(0, kAck, "x", &out);
    a.OnSegment(10, kAck, "later", &out);
    EXPECT_EQ(budget.used, 5u);
    TcpReassembler b = std::move(a);
    EXPECT_EQ(budget.used, 5u);
    EXPECT_EQ(b.buffered_bytes(), 5u);
  }
  EXPECT_EQ(budget.used, 0u);
}

TEST(TcpReassemblerTest, FinIsReachedOnlyWhenAllDataBeforeItArrived) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(0, kTcpSyn, "", &out);
  r.OnSegment(4, kAck | kTcpFin, "def", &out);
  EXPECT_TRUE(r.fin_seen());
  EXPECT_FALSE(r.fin_reached());
  r.OnSegment(1, kAck, "abc", &out);
  EXPECT_TRUE(r.fin_reached());
  EXPECT_EQ(out.text, "abcdef");
}

TEST(TcpReassemblerTest, FlushDeclaresHolesAndDeliversTheRest) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(0, kTcpSyn, "", &out);
  r.OnSegment(1, kAck, "ab", &out);
  r.OnSegment(5, kAck, "ef", &out);
  r.OnSegment(10, kAck | kTcpFin, "jk", &out);
  r.Flush(&out);
  EXPECT_EQ(out.text, "ab[gap 2]ef[gap 3]jk");
  EXPECT_EQ(r.missing_bytes(), 5u);
  EXPECT_TRUE(r.fin_reached());
}

TEST(TcpReassemblerTest, FlushCountsBytesMissingBeforeTheFin) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(0, kTcpSyn, "", &out);
  r.OnSegment(1, kAck, "ab", &out);
  r.OnSegment(8, kAck | kTcpFin, "", &out);
  r.Flush(&out);
  EXPECT_EQ(out.text, "ab[gap 5]");
  EXPECT_EQ(r.missing_bytes(), 5u);
}

TEST(TcpReassemblerTest, ImplausiblyFarSegmentIsDropped) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(0, kAck, "a", &out);
  r.OnSegment(0x70000000u, kAck, "junk", &out);
  r.OnSegment(1, kAck, "b", &out);
  r.Flush(&out);
  EXPECT_EQ(out.text, "ab");
  EXPECT_EQ(r.dropped_segments(), 1u);
  EXPECT_EQ(r.missing_bytes(), 0u);
}

TEST(TcpReassemblerTest, SynWithPayloadStartsDataAfterTheSyn) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(41, kTcpSyn, "hi", &out);
  r.OnSegment(44, kAck, "!", &out);
  EXPECT_EQ(out.text, "hi!");
}

TEST(TcpReassemblerTest, LateSynAfterBareAckReanchors) {
  TcpReassembler r;
  Recorder out;
  r.OnSegment(101, kAck, "", &out);   // pure ACK seen before the SYN (capture reorder)
  r.OnSegment(100, kTcpSyn, "", &out);
  r.OnSegment(101, kAck, "x", &out);
  EXPECT_EQ(out.text, "x");
  EXPECT_TRUE(r.syn_seen());
}

}  // namespace
}  // namespace cleansweep::agent
