// Test-only: builds Ethernet/VLAN/IPv4/IPv6/TCP/UDP frames byte by byte so
// tests can state exactly what is on the wire. Checksums are left zero (nothing
// in the agent verifies them).
#ifndef CLEANSWEEP_AGENT_TESTING_FRAME_BUILDER_H_
#define CLEANSWEEP_AGENT_TESTING_FRAME_BUILDER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cleansweep::agent::testing {

struct FrameSpec {
  bool ipv6 = false;
  std::array<uint8_t, 16> src{10, 0, 0, 1};
  std::array<uint8_t, 16> dst{192, 0, 2, 1};
  bool udp = false;
  uint16_t src_port = 40000;
  uint16_t dst_port = 25;
  uint8_t tcp_flags = 0x02;  // SYN
  uint32_t seq = 1000;
  uint32_t ack = 0;
  std::string payload;
  std::vector<uint16_t> vlans;  // outermost first
};

inline void Put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(v >> 8);
  b.push_back(v & 0xff);
}
inline void Put32(std::vector<uint8_t>& b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xffff);
}

// Transport header + payload.
inline std::vector<uint8_t> BuildTransport(const FrameSpec& s) {
  std::vector<uint8_t> t;
  Put16(t, s.src_port);
  Put16(t, s.dst_port);
  if (s.udp) {
    Put16(t, static_cast<uint16_t>(8 + s.payload.size()));
    Put16(t, 0);
  } else {
    Put32(t, s.seq);
    Put32(t, s.ack);
    t.push_back(5 << 4);  // data offset 5 words
    t.push_back(s.tcp_flags);
    Put16(t, 65535);
    Put16(t, 0);
    Put16(t, 0);
  }
  t.insert(t.end(), s.payload.begin(), s.payload.end());
  return t;
}

// IPv4 or IPv6 packet (no link layer).
inline std::vector<uint8_t> BuildIp(const FrameSpec& s) {
  std::vector<uint8_t> transport = BuildTransport(s);
  std::vector<uint8_t> ip;
  const uint8_t proto = s.udp ? 17 : 6;
  if (!s.ipv6) {
    ip.push_back(0x45);
    ip.push_back(0);
    Put16(ip, static_cast<uint16_t>(20 + transport.size()));
    Put16(ip, 1);  // id
    Put16(ip, 0x4000);  // DF
    ip.push_back(64);
    ip.push_back(proto);
    Put16(ip, 0);
    ip.insert(ip.end(), s.src.begin(), s.src.begin() + 4);
    ip.insert(ip.end(), s.dst.begin(), s.dst.begin() + 4);
  } else {
    Put32(ip, 0x60000000);
    Put16(ip, static_cast<uint16_t>(transport.size()));
    ip.push_back(proto);
    ip.push_back(64);
    ip.insert(ip.end(), s.src.begin(), s.src.end());
    ip.insert(ip.end(), s.dst.begin(), s.dst.end());
  }
  ip.insert(ip.end(), transport.begin(), transport.end());
  return ip;
}

// Ethernet II frame with optional 802.1Q tags.
inline std::vector<uint8_t> BuildEthernet(const FrameSpec& s) {
  std::vector<uint8_t> f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  for (uint16_t vlan : s.vlans) {
    Put16(f, 0x8100);
    Put16(f, vlan);
  }
  Put16(f, s.ipv6 ? 0x86dd : 0x0800);
  std::vector<uint8_t> ip = BuildIp(s);
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

}  // namespace cleansweep::agent::testing

#endif  // CLEANSWEEP_AGENT_TESTING_FRAME_BUILDER_H_
