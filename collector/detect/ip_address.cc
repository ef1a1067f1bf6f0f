#include "collector/detect/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace cleansweep::collector {
namespace {

std::array<uint8_t, 16> Masked(const std::array<uint8_t, 16>& bytes, int length) {
  std::array<uint8_t, 16> out{};
  for (int i = 0; i < 16 && length > 0; ++i, length -= 8) {
    out[i] = length >= 8 ? bytes[i] : static_cast<uint8_t>(bytes[i] & (0xff << (8 - length)));
  }
  return out;
}

uint32_t Ipv4Number(const std::array<uint8_t, 16>& bytes) {
  return static_cast<uint32_t>(bytes[0]) << 24 | static_cast<uint32_t>(bytes[1]) << 16 |
         static_cast<uint32_t>(bytes[2]) << 8 | bytes[3];
}

uint32_t Ipv4Mask(int length) { return length == 0 ? 0 : ~uint32_t{0} << (32 - length); }

// The dotted quad exactly as glibc's inet_pton(AF_INET) reads it: four
// decimal octets up to 255, no leading zero, nothing else. A text it refuses
// here may still be an address (IPv6, or a NUL inside): the caller asks
// inet_pton.
bool ParseDottedQuad(absl::string_view text, std::array<uint8_t, 16>* bytes) {
  int octets = 0;
  unsigned value = 0;
  bool digit = false;
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      if (digit && value == 0) return false;  // leading zero
      value = value * 10 + static_cast<unsigned>(ch - '0');
      if (value > 255) return false;
      if (!digit && ++octets > 4) return false;
      digit = true;
    } else if (ch == '.' && digit && octets < 4) {
      (*bytes)[static_cast<size_t>(octets - 1)] = static_cast<uint8_t>(value);
      value = 0;
      digit = false;
    } else {
      return false;
    }
  }
  if (octets != 4 || !digit) return false;
  (*bytes)[3] = static_cast<uint8_t>(value);
  return true;
}

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::optional<IpAddress> ParseIpAddress(absl::string_view text) {
  if (IpAddress v4; ParseDottedQuad(text, &v4.bytes)) return v4;
  // inet_pton needs a terminated string; addresses are short.
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), a.bytes.data() + 12, 4);
    return v4;
  }
  a.ipv6 = true;
  return a;
}

void CidrSet::Add(const Cidr& block) {
  if (!block.ipv6 && block.prefix >= 0 && block.prefix <= 32) {
    const uint32_t mask = Ipv4Mask(block.prefix);
    for (Prefix4& p : prefixes4_) {
      if (p.mask == mask) {
        p.networks.insert(Ipv4Number(block.bytes) & mask);
        return;
      }
    }
    prefixes4_.push_back(Prefix4{mask, {Ipv4Number(block.bytes) & mask}});
    return;
  }
  for (Prefix& p : prefixes_) {
    if (p.ipv6 == block.ipv6 && p.length == block.prefix) {
      p.networks.insert(Masked(block.bytes, block.prefix));
      return;
    }
  }
  Prefix p{block.ipv6, block.prefix, {}};
  p.networks.insert(Masked(block.bytes, block.prefix));
  prefixes_.push_back(std::move(p));
}

bool CidrSet::Contains(const IpAddress& address) const {
  if (!address.ipv6) {
    const uint32_t number = Ipv4Number(address.bytes);
    for (const Prefix4& p : prefixes4_) {
      if (p.networks.contains(number & p.mask)) return true;
    }
  }
  for (const Prefix& p : prefixes_) {
    if (p.ipv6 != address.ipv6) continue;
    if (p.networks.contains(Masked(address.bytes, p.length))) return true;
  }
  return false;
}

}  // namespace cleansweep::collector
