// RunSweep over a fake host: which sockets are reported (listeners on the
// checked ports only, outbound SMTP only), with their processes, the hosts
// file check, capture health, errors and caps.
#include "agent/sweep/sweeper.h"

#include <set>
#include <utility>

#include "agent/sweep/fake_host_inspector_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using testing::FakeHost;
using testing::FakeHostInspector;
using testing::Ip4;
using testing::Process;
using testing::Tcp;

const IpAddress kAny = Ip4(0, 0, 0, 0);
const IpAddress kSelf = Ip4(10, 20, 1, 7);

cleansweep::v1::SweepRequest Request() {
  cleansweep::v1::SweepRequest r;
  r.set_sweep_id("0123456789abcdef0123456789abcdef");
  auto* p = r.add_backdoor_ports();
  p->set_port(31337);
  p->set_transport(cleansweep::v1::TRANSPORT_TCP);
  r.add_protected_domains("symantec.com");
  r.add_protected_domains("mcafee.com");
  return r;
}

absl::Time FakeClock() {
  static absl::Time t = absl::FromUnixSeconds(1700000000);
  t += absl::Seconds(1);
  return t;
}

class SweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host_.sockets = {
        Tcp(kAny, 3127, kAny, 0, kTcpListen, 101),   // Mydoom: reported
        Tcp(kAny, 80, kAny, 0, kTcpListen, 102),     // a web server: not checked
        Tcp(kAny, 445, kAny, 0, kTcpListen, 103),    // a watched worm port: reported
        Tcp(kAny, 31337, kAny, 0, kTcpListen, 104),  // the request's backdoor port
        Tcp(kSelf, 50001, Ip4(192, 0, 2, 25), 25, kTcpEstablished, 105),   // outbound SMTP
        Tcp(kSelf, 50002, Ip4(192, 0, 2, 26), 587, kTcpSynSent, 106),      // connecting
        Tcp(kSelf, 50003, Ip4(192, 0, 2, 27), 25, 0x06, 0),                // TIME_WAIT: gone
        Tcp(kSelf, 50004, Ip4(192, 0, 2, 80), 443, kTcpEstablished, 107),  // not SMTP
        Tcp(kSelf, 25, Ip4(192, 0, 2, 9), 40000, kTcpEstablished, 108),    // inbound to our 25
        Tcp(kSelf, 3128, Ip4(192, 0, 2, 9), 40001, kTcpEstablished, 109),  // not listening
    };
    HostSocket tftp;
    tftp.transport = cleansweep::v1::TRANSPORT_UDP;
    tftp.socket.local = kAny;
    tftp.socket.local_port = 69;
    tftp.socket.state = kUdpUnconnected;
    tftp.socket.inode = 110;
    host_.sockets.push_back(tftp);
    host_.owners[101] = {Process(4242, "wormy", "/tmp/.x/wormy")};
    host_.owners[105] = {Process(777, "thunderbird", "/usr/lib/thunderbird/thunderbird")};
    host_.owners[104] = {Process(1, "a", ""), Process(2, "b", ""), Process(3, "c", "")};
    host_.hosts = std::string("127.0.0.1 localhost\n127.0.0.1 www.symantec.com\n");
    context_.capture.set_packets(12345);
    auto* i = context_.capture.add_interfaces();
    i->set_name("eth0");
    i->set_dropped(7);
  }

  FakeHost host_;
  SweepContext context_;
};

TEST_F(SweeperTest, ReportsListenersOnCheckedPortsAndOutboundSmtpWithProcesses) {
  FakeHostInspector inspector(&host_);
  SweepLimits limits;
  limits.max_processes_per_socket = 2;
  cleansweep::v1::SweepResult r = RunSweep(Request(), context_, &inspector, FakeClock, limits);
  EXPECT_EQ(r.sweep_id(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(r.platform(), "fake");
  EXPECT_LT(r.start_time().seconds(), r.end_time().seconds());

  std::set<std::pair<int, uint32_t>> listeners;
  for (const auto& l : r.listeners()) listeners.insert({l.transport(), l.local().port()});
  EXPECT_EQ(listeners, (std::set<std::pair<int, uint32_t>>{{cleansweep::v1::TRANSPORT_TCP, 445},
                                                           {cleansweep::v1::TRANSPORT_TCP, 3127},
                                                           {cleansweep::v1::TRANSPORT_TCP, 31337},
                                                           {cleansweep::v1::TRANSPORT_UDP, 69}}));
  // Sorted by transport, then port.
  ASSERT_EQ(r.listeners_size(), 4);
  EXPECT_EQ(r.listeners(0).local().port(), 445u);
  const auto& mydoom = r.listeners(1);
  EXPECT_EQ(mydoom.local().ip(), "0.0.0.0");
  ASSERT_EQ(mydoom.processes_size(), 1);
  EXPECT_EQ(mydoom.processes(0).pid(), 4242u);
  EXPECT_EQ(mydoom.processes(0).name(), "wormy");
  EXPECT_EQ(mydoom.processes(0).exe(), "/tmp/.x/wormy");
  EXPECT_EQ(r.listeners(2).processes_size(), 2);  // capped at 2 of 3

  ASSERT_EQ(r.smtp_connections_size(), 2);
  EXPECT_EQ(r.smtp_connections(0).remote().port(), 25u);
  EXPECT_EQ(r.smtp_connections(0).remote().ip(), "192.0.2.25");
  EXPECT_EQ(r.smtp_connections(0).local().port(), 50001u);
  EXPECT_EQ(r.smtp_connections(0).state(), "ESTABLISHED");
  ASSERT_EQ(r.smtp_connections(0).processes_size(), 1);
  EXPECT_EQ(r.smtp_connections(0).processes(0).name(), "thunderbird");
  EXPECT_EQ(r.smtp_connections(1).state(), "SYN_SENT");
  // 445, udp 69 and the SYN_SENT connection have no known process.
  EXPECT_EQ(r.unattributed(), 3u);

  // Checked: Mydoom's range, the watched worm ports, the request's port.
  std::set<std::pair<int, uint32_t>> checked;
  for (const auto& p : r.checked_ports()) checked.insert({p.transport(), p.port()});
  for (uint32_t p = 3127; p <= 3198; ++p) EXPECT_TRUE(checked.count({1, p})) << p;
  EXPECT_TRUE(checked.count({1, 31337}));
  EXPECT_TRUE(checked.count({1, 445}));
  EXPECT_TRUE(checked.count({2, 69}));
  EXPECT_FALSE(checked.count({1, 80}));

  EXPECT_EQ(r.hosts_file(), "/etc/hosts");
  EXPECT_EQ(r.hosts_entries(), 2u);
  ASSERT_EQ(r.hosts_redirects_size(), 1);
  EXPECT_EQ(r.hosts_redirects(0).line(), 2u);
  EXPECT_EQ(r.hosts_redirects(0).address(), "127.0.0.1");
  EXPECT_EQ(r.hosts_redirects(0).name(), "www.symantec.com");
  EXPECT_EQ(r.hosts_redirects(0).domain(), "symantec.com");

  EXPECT_EQ(r.capture().packets(), 12345u);
  EXPECT_EQ(r.capture().interfaces(0).dropped(), 7u);
  EXPECT_EQ(r.errors_size(), 0);
  EXPECT_EQ(r.omitted(), 0u);
}

TEST_F(SweeperTest, WhatCannotBeReadIsAnErrorAndTheRestIsStillReported) {
  host_.hosts = absl::PermissionDeniedError("cannot read /etc/hosts: Permission denied");
  host_.socket_errors = {"cannot read /proc/net/udp: No such file or directory"};
  FakeHostInspector inspector(&host_);
  cleansweep::v1::SweepResult r = RunSweep(Request(), context_, &inspector, FakeClock);
  ASSERT_EQ(r.errors_size(), 2);
  EXPECT_EQ(r.errors(0), "cannot read /proc/net/udp: No such file or directory");
  EXPECT_EQ(r.errors(1), "cannot read /etc/hosts: Permission denied");
  EXPECT_EQ(r.listeners_size(), 4);
  EXPECT_EQ(r.hosts_redirects_size(), 0);
}

TEST_F(SweeperTest, CapsCountWhatIsLeftOut) {
  FakeHostInspector inspector(&host_);
  SweepLimits limits;
  limits.max_listeners = 1;
  limits.max_connections = 1;
  host_.hosts = std::string("0.0.0.0 a.symantec.com b.symantec.com\n0.0.0.0 mcafee.com\n");
  limits.max_hosts_entries = 2;
  cleansweep::v1::SweepResult r = RunSweep(Request(), context_, &inspector, FakeClock, limits);
  EXPECT_EQ(r.listeners_size(), 1);
  EXPECT_EQ(r.smtp_connections_size(), 1);
  EXPECT_EQ(r.hosts_redirects_size(), 2);
  EXPECT_EQ(r.omitted(), 3u + 1u + 1u);
}

TEST_F(SweeperTest, ConfiguredSmtpPortsDecideWhatIsOutboundSmtp) {
  context_.watch.smtp_ports = {443};
  FakeHostInspector inspector(&host_);
  cleansweep::v1::SweepResult r = RunSweep(Request(), context_, &inspector, FakeClock);
  ASSERT_EQ(r.smtp_connections_size(), 1);
  EXPECT_EQ(r.smtp_connections(0).remote().port(), 443u);
}

}  // namespace
}  // namespace cleansweep::agent
