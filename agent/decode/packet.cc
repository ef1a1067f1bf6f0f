#include "agent/decode/packet.h"

#include <arpa/inet.h>

namespace cleansweep::agent {

IpAddress IpAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.family = 4;
  ip.bytes[0] = a;
  ip.bytes[1] = b;
  ip.bytes[2] = c;
  ip.bytes[3] = d;
  return ip;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (family == 4) {
    return inet_ntop(AF_INET, bytes.data(), buf, sizeof(buf)) ? buf : "";
  }
  if (family == 6) {
    // glibc's inet_ntop writes the RFC 5952 canonical form.
    return inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf)) ? buf : "";
  }
  return "";
}

}  // namespace cleansweep::agent
