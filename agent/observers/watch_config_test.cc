#include "agent/observers/watch_config.h"

#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

TEST(WatchConfig, DefaultsMatchDesign) {
  WatchConfig c = WatchConfig::Defaults();
  EXPECT_EQ(c.smtp_ports, (std::vector<uint16_t>{25, 465, 587, 2525}));
  // DESIGN.md: Mydoom 3127-3198, 1080, 10080, 1034; Sasser 445, 5554, 9996; Blaster 135,
  // 4444, udp 69; Bagle 2745, 6777, 8866; Netsky 665, 82.
  std::vector<PortRange> expected = {{82, 82},     {135, 135},     {445, 445},   {665, 665},
                                     {1034, 1034}, {1080, 1080},   {2745, 2745}, {3127, 3198},
                                     {4444, 4444}, {5554, 5554},   {6777, 6777}, {8866, 8866},
                                     {9996, 9996}, {10080, 10080}};
  EXPECT_EQ(c.worm_tcp_ports, expected);
  EXPECT_EQ(c.worm_udp_ports, (std::vector<PortRange>{{69, 69}}));
  EXPECT_EQ(c.dns_qtypes, (std::vector<uint16_t>{15}));
}

TEST(WatchConfig, ProtoRoundTripAndPartialApply) {
  WatchConfig c = WatchConfig::Defaults();
  WatchConfig d;
  d.Apply(c.ToProto());
  EXPECT_EQ(c, d);

  cleansweep::v1::CaptureConfig only_smtp;
  only_smtp.add_smtp_ports(26);
  WatchConfig e = WatchConfig::Defaults();
  e.Apply(only_smtp);
  EXPECT_EQ(e.smtp_ports, (std::vector<uint16_t>{26}));
  EXPECT_EQ(e.worm_tcp_ports, c.worm_tcp_ports);  // untouched
}

TEST(WatchConfig, ParsesFlags) {
  auto ports = ParsePortList("25, 587");
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(*ports, (std::vector<uint16_t>{25, 587}));
  EXPECT_FALSE(ParsePortList("25,70000").ok());
  EXPECT_FALSE(ParsePortList("").ok());

  std::vector<PortRange> tcp, udp;
  ASSERT_TRUE(ParseWormPorts("3127-3130,3131,udp:69,tcp:445", &tcp, &udp).ok());
  EXPECT_EQ(tcp, (std::vector<PortRange>{{445, 445}, {3127, 3131}}));
  EXPECT_EQ(udp, (std::vector<PortRange>{{69, 69}}));
  absl::Status bad = ParseWormPorts("3130-3127", &tcp, &udp);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("3130-3127"), absl::string_view::npos);
}

}  // namespace
}  // namespace cleansweep::agent
