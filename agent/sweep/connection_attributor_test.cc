// ConnectionAttributor over a fake host: a captured SYN's 4-tuple is matched
// with the socket table (also through an IPv4-mapped dual-stack socket) and
// its owner fills the SmtpSession; unknown connections stay unattributed.
// The attributor works on its own thread: the test waits for the answer with
// a deadline, polling the public API.
#include "agent/sweep/connection_attributor.h"

#include "absl/time/clock.h"
#include "agent/sweep/fake_host_inspector_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using testing::FakeHost;
using testing::FakeHostInspector;
using testing::Ip4;
using testing::Process;
using testing::Tcp;

DecodedPacket Syn(IpAddress src, uint16_t sport, IpAddress dst, uint16_t dport) {
  DecodedPacket p;
  p.src = src;
  p.dst = dst;
  p.src_port = sport;
  p.dst_port = dport;
  p.ip_proto = kIpProtoTcp;
  p.tcp_flags = kTcpSyn;
  return p;
}

cleansweep::v1::SmtpSession Session(const std::string& client, uint32_t cport,
                                    const std::string& server, uint32_t sport) {
  cleansweep::v1::SmtpSession s;
  s.mutable_client()->set_ip(client);
  s.mutable_client()->set_port(cport);
  s.mutable_server()->set_ip(server);
  s.mutable_server()->set_port(sport);
  return s;
}

// Annotates a copy of `session` until it works or 30 s pass.
bool AnnotatedWithin(ConnectionAttributor& a, cleansweep::v1::SmtpSession* session) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (a.Annotate(session)) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

IpAddress Mapped(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.family = 6;
  ip.bytes[10] = ip.bytes[11] = 0xff;
  ip.bytes[12] = a;
  ip.bytes[13] = b;
  ip.bytes[14] = c;
  ip.bytes[15] = d;
  return ip;
}

TEST(ConnectionAttributor, FillsTheOwnerOfACapturedConnection) {
  FakeHost host;
  host.sockets = {Tcp(Ip4(10, 0, 0, 5), 40000, Ip4(192, 0, 2, 25), 25, kTcpSynSent, 5),
                  Tcp(Mapped(10, 0, 0, 5), 40001, Mapped(192, 0, 2, 26), 587, kTcpSynSent, 6)};
  host.owners[5] = {Process(99, "wormy", "/tmp/wormy")};
  host.owners[6] = {Process(100, "mailer", "/usr/bin/mailer")};
  ConnectionAttributor attributor(std::make_unique<FakeHostInspector>(&host),
                                  {.min_interval = absl::Milliseconds(1)});
  attributor.OnSmtpConnectionStart(Syn(Ip4(10, 0, 0, 5), 40000, Ip4(192, 0, 2, 25), 25));
  attributor.OnSmtpConnectionStart(Syn(Ip4(10, 0, 0, 5), 40001, Ip4(192, 0, 2, 26), 587));

  cleansweep::v1::SmtpSession s = Session("10.0.0.5", 40000, "192.0.2.25", 25);
  ASSERT_TRUE(AnnotatedWithin(attributor, &s));
  EXPECT_EQ(s.pid(), 99u);
  EXPECT_EQ(s.process(), "wormy");
  EXPECT_EQ(s.process_exe(), "/tmp/wormy");
  // Used once: the answer is forgotten.
  cleansweep::v1::SmtpSession again = Session("10.0.0.5", 40000, "192.0.2.25", 25);
  EXPECT_FALSE(attributor.Annotate(&again));
  EXPECT_EQ(again.pid(), 0u);

  cleansweep::v1::SmtpSession dual = Session("10.0.0.5", 40001, "192.0.2.26", 587);
  ASSERT_TRUE(AnnotatedWithin(attributor, &dual));
  EXPECT_EQ(dual.process(), "mailer");
  attributor.Stop();
}

TEST(ConnectionAttributor, ConnectionsThatAreNotOnThisHostStayUnattributed) {
  FakeHost host;
  host.sockets = {Tcp(Ip4(10, 0, 0, 5), 40000, Ip4(192, 0, 2, 25), 25, kTcpSynSent, 5)};
  host.owners[5] = {Process(99, "wormy", "/tmp/wormy")};
  auto inspector = std::make_unique<FakeHostInspector>(&host);
  FakeHostInspector* view = inspector.get();
  ConnectionAttributor attributor(std::move(inspector), {.min_interval = absl::Milliseconds(1)});
  // Another host's connection (a mirror port), then ours: once ours is
  // answered, the round that looked for the other one has run too.
  attributor.OnSmtpConnectionStart(Syn(Ip4(10, 0, 0, 6), 40000, Ip4(192, 0, 2, 25), 25));
  attributor.OnSmtpConnectionStart(Syn(Ip4(10, 0, 0, 5), 40000, Ip4(192, 0, 2, 25), 25));
  cleansweep::v1::SmtpSession ours = Session("10.0.0.5", 40000, "192.0.2.25", 25);
  ASSERT_TRUE(AnnotatedWithin(attributor, &ours));
  cleansweep::v1::SmtpSession other = Session("10.0.0.6", 40000, "192.0.2.25", 25);
  EXPECT_FALSE(attributor.Annotate(&other));
  EXPECT_GE(view->socket_reads.load(), 1);
  attributor.Stop();
}

}  // namespace
}  // namespace cleansweep::agent
