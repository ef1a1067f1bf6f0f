// Test-only helpers: hand-written frames as hex text, so every byte in a test
// can be checked against the RFC diagrams by eye.
#ifndef CLEANSWEEP_AGENT_DECODE_TEST_FRAMES_H_
#define CLEANSWEEP_AGENT_DECODE_TEST_FRAMES_H_

#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace cleansweep::agent::testing {

// Concatenates hex strings ("45 00 00 30", spaces ignored) into bytes.
inline std::vector<uint8_t> Hex(std::initializer_list<const char*> parts) {
  std::vector<uint8_t> out;
  for (const char* p : parts) {
    int hi = -1;
    for (; *p != '\0'; ++p) {
      if (std::isspace(static_cast<unsigned char>(*p))) continue;
      const int v = std::isdigit(static_cast<unsigned char>(*p))
                        ? *p - '0'
                        : std::tolower(static_cast<unsigned char>(*p)) - 'a' + 10;
      if (hi < 0) {
        hi = v;
      } else {
        out.push_back(static_cast<uint8_t>(hi << 4 | v));
        hi = -1;
      }
    }
  }
  return out;
}

inline std::vector<uint8_t> Cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline std::string AsString(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

// Ethernet II header: 00:11:22:33:44:55 <- 66:77:88:99:aa:bb, EtherType given.
inline std::vector<uint8_t> EthHeader(const char* ethertype) {
  return Hex({"00 11 22 33 44 55", "66 77 88 99 aa bb", ethertype});
}

// IPv4 10.10.1.4 -> 74.53.140.153, TCP, total length 48, DF, TTL 64.
inline const char* const kIpv4TcpHeader =
    "45 00 00 30  12 34 40 00  40 06 00 00  0a 0a 01 04  4a 35 8c 99";
// TCP 1470 -> 25, seq 100, ack 200, offset 5, PSH|ACK, window 0xffff.
inline const char* const kTcpHeader =
    "05 be 00 19  00 00 00 64  00 00 00 c8  50 18 ff ff  00 00 00 00";
// "EHLO GP\n"
inline const char* const kTcpPayload = "45 48 4c 4f 20 47 50 0a";

// IPv4 + TCP + payload: 48 bytes, as stated by the IPv4 total length.
inline std::vector<uint8_t> Ipv4TcpPacket() {
  return Hex({kIpv4TcpHeader, kTcpHeader, kTcpPayload});
}

// IPv6 2001:db8::1 -> 2001:db8::2, next header TCP, payload length 28
// (TCP 20 + 8 payload bytes), hop limit 64, followed by the TCP segment above.
inline std::vector<uint8_t> Ipv6TcpPacket() {
  return Hex({"60 00 00 00  00 1c 06 40",
              "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01",
              "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02", kTcpHeader, kTcpPayload});
}

}  // namespace cleansweep::agent::testing

#endif  // CLEANSWEEP_AGENT_DECODE_TEST_FRAMES_H_
