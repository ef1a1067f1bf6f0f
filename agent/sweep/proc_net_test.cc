// The /proc/net socket-table parser on hand-written tables whose fields were
// decoded by hand (0x0C37 = 3127, 0x4D00007F little-endian = 127.0.0.77, ...).
#include "agent/sweep/proc_net.h"

#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

constexpr char kTcp[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n"
    "   0: 0100007F:0C37 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 "
    "23547 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0100007F:D431 4D00007F:0019 01 00000000:00000000 02:0000032B 00000000  1000        0 "
    "23611 2 0000000000000000 20 4 30 10 -1\n"
    "   2: 0100007F:D432 0100007F:0C37 06 00000000:00000000 03:00001770 00000000     0        0 "
    "0 3 0000000000000000\n";

TEST(ProcNet, ParsesIpv4LinesInLittleEndianWords) {
  ProcNetTable t = ParseProcNet(kTcp, WordOrder::kLittleEndian);
  EXPECT_EQ(t.malformed_lines, 0u);
  ASSERT_EQ(t.sockets.size(), 3u);
  const ProcNetSocket& listen = t.sockets[0];
  EXPECT_EQ(listen.local.ToString(), "127.0.0.1");
  EXPECT_EQ(listen.local_port, 3127);
  EXPECT_EQ(listen.remote.ToString(), "0.0.0.0");
  EXPECT_EQ(listen.remote_port, 0);
  EXPECT_EQ(listen.state, kTcpListen);
  EXPECT_EQ(listen.uid, 1000u);
  EXPECT_EQ(listen.inode, 23547u);
  const ProcNetSocket& smtp = t.sockets[1];
  EXPECT_EQ(smtp.local_port, 54321);
  EXPECT_EQ(smtp.remote.ToString(), "127.0.0.77");
  EXPECT_EQ(smtp.remote_port, 25);
  EXPECT_EQ(smtp.state, kTcpEstablished);
  EXPECT_EQ(TcpStateName(smtp.state), "ESTABLISHED");
  EXPECT_EQ(t.sockets[2].state, 0x06);
  EXPECT_EQ(TcpStateName(t.sockets[2].state), "TIME_WAIT");
  EXPECT_EQ(t.sockets[2].inode, 0u);
}

TEST(ProcNet, BigEndianWordsReadTheOtherWay) {
  // The same digits from a big-endian kernel mean 1.0.0.127.
  ProcNetTable t = ParseProcNet(kTcp, WordOrder::kBigEndian);
  ASSERT_EQ(t.sockets.size(), 3u);
  EXPECT_EQ(t.sockets[0].local.ToString(), "1.0.0.127");
  EXPECT_EQ(t.sockets[0].local_port, 3127);  // ports are printed in host order either way
}

TEST(ProcNet, ParsesIpv6WordByWord) {
  // 2001:db8::1 is the bytes 20 01 0d b8 0...0 00 00 00 01: as little-endian
  // words B80D0120 00000000 00000000 01000000.
  const char kTcp6[] =
      "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000000000000000000000000000:0C38 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 "
      "10 0\n"
      "   1: 0000000000000000FFFF00000100007F:E2D4 B80D0120000000000000000001000000:024B 02 "
      "00000001:00000000 01:00000200 00000000   100        0 41234 1 0000000000000000 200 0 0 "
      "10 0\n";
  ProcNetTable t = ParseProcNet(kTcp6, WordOrder::kLittleEndian);
  EXPECT_EQ(t.malformed_lines, 0u);
  ASSERT_EQ(t.sockets.size(), 2u);
  EXPECT_EQ(t.sockets[0].local.ToString(), "::");
  EXPECT_EQ(t.sockets[0].local_port, 3128);
  EXPECT_EQ(t.sockets[0].inode, 31337u);
  EXPECT_EQ(t.sockets[1].local.ToString(), "::ffff:127.0.0.1");
  EXPECT_EQ(Unmapped(t.sockets[1].local).ToString(), "127.0.0.1");
  EXPECT_EQ(t.sockets[1].local_port, 58068);
  EXPECT_EQ(t.sockets[1].remote.ToString(), "2001:db8::1");
  EXPECT_EQ(Unmapped(t.sockets[1].remote).ToString(), "2001:db8::1");
  EXPECT_EQ(t.sockets[1].remote_port, 587);
  EXPECT_EQ(t.sockets[1].state, kTcpSynSent);
  EXPECT_EQ(t.sockets[1].uid, 100u);
}

TEST(ProcNet, UdpTableHasTheSameShape) {
  const char kUdp[] =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode ref pointer drops\n"
      "  122: 00000000:0045 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        "
      "0 19455 2 0000000000000000 0\n";
  ProcNetTable t = ParseProcNet(kUdp, WordOrder::kLittleEndian);
  ASSERT_EQ(t.sockets.size(), 1u);
  EXPECT_EQ(t.sockets[0].local_port, 69);
  EXPECT_EQ(t.sockets[0].state, kUdpUnconnected);
  EXPECT_EQ(t.sockets[0].inode, 19455u);
}

TEST(ProcNet, CountsLinesThatDoNotParseAndKeepsTheRest) {
  const char kBad[] =
      "   0: 0100007G:0C37 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"  // G
      "   1: 0100007F:C37 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1\n"   // port
      "   2: 0100007F:0C37 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 1\n"  // v4+v6
      "   3: 0100007F:0C37 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 "
      "99999999999999999999999\n"                                 // inode overflows
      "   4: 0100007F:0C37 00000000:0000 0A 00000000:00000000\n"  // too few fields
      "   5 0100007F:0C37 00000000:0000 0A 0:0 0:0 0 0 0 1\n"     // no "sl:" colon
      "   6: 0100007F0C37 00000000:0000 0A 0:0 0:0 0 0 0 1\n"     // no port colon
      "   7: 0100007F:0C37 00000000:0000 A 0:0 0:0 0 0 0 1\n"     // 1-digit state
      "\n"
      "   8: 0100007F:0C38 00000000:0000 0A 0:0 0:0 0 -1 0 5\n"  // negative uid
      "   9: 0100007F:0C39 00000000:0000 0a 0:0 0:0 0 7 0 6";    // good, no newline
  ProcNetTable t = ParseProcNet(kBad, WordOrder::kLittleEndian);
  EXPECT_EQ(t.malformed_lines, 9u);
  ASSERT_EQ(t.sockets.size(), 1u);
  EXPECT_EQ(t.sockets[0].local_port, 3129);
  EXPECT_EQ(t.sockets[0].state, kTcpListen);
  EXPECT_EQ(t.sockets[0].uid, 7u);
  EXPECT_EQ(t.sockets[0].inode, 6u);
}

TEST(ProcNet, EmptyAndHeaderOnlyTablesHaveNoSockets) {
  EXPECT_TRUE(ParseProcNet("").sockets.empty());
  ProcNetTable t = ParseProcNet("  sl  local_address rem_address   st\n\n");
  EXPECT_TRUE(t.sockets.empty());
  EXPECT_EQ(t.malformed_lines, 0u);
}

TEST(ProcNet, TheRealKernelTableParsesWithTheHostOrder) {
  // This machine's own table: whatever it holds, every line must parse.
  FILE* f = std::fopen("/proc/net/tcp", "r");
  if (f == nullptr) GTEST_SKIP() << "no /proc/net/tcp here";
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  std::fclose(f);
  EXPECT_EQ(ParseProcNet(text).malformed_lines, 0u);
}

TEST(ProcNet, UnmappedLeavesOtherAddressesAlone) {
  IpAddress v4 = IpAddress::V4(192, 0, 2, 1);
  EXPECT_EQ(Unmapped(v4), v4);
  IpAddress almost;  // ::fffe:c000:201 is not mapped
  almost.family = 6;
  almost.bytes[10] = 0xff;
  almost.bytes[11] = 0xfe;
  EXPECT_EQ(Unmapped(almost), almost);
}

}  // namespace
}  // namespace cleansweep::agent
