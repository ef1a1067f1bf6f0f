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

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::optional<IpAddress> ParseIpAddress(absl::string_view text) {
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
  for (const Prefix& p : prefixes_) {
    if (p.ipv6 != address.ipv6) continue;
    if (p.networks.contains(Masked(address.bytes, p.length))) return true;
  }
  return false;
}

}  // namespace cleansweep::collector
