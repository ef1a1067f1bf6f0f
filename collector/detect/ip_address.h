// A parsed IPv4/IPv6 address and a matcher for sets of CIDR blocks: what the
// detector uses to tell inside from outside, relays and mail servers from
// workstations. Pure and thread-safe once built.
#ifndef CLEANSWEEP_COLLECTOR_DETECT_IP_ADDRESS_H_
#define CLEANSWEEP_COLLECTOR_DETECT_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "collector/rules/cidr.h"

namespace cleansweep::collector {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  bool ipv6 = false;

  // Canonical text ("10.0.0.7", "2001:db8::7").
  std::string ToString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.ipv6 == b.ipv6 && a.bytes == b.bytes;
  }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return std::make_pair(a.ipv6, a.bytes) < std::make_pair(b.ipv6, b.bytes);
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.ipv6, a.bytes);
  }
};

// Parses the text forms inet_pton accepts; an IPv4-mapped IPv6 address
// ("::ffff:10.0.0.7") becomes the IPv4 address. nullopt for anything else.
std::optional<IpAddress> ParseIpAddress(absl::string_view text);

// A set of CIDR blocks answering "is this address inside any of them" with
// one hash lookup per distinct prefix length.
class CidrSet {
 public:
  void Add(const Cidr& block);
  bool Contains(const IpAddress& address) const;
  bool empty() const { return prefixes_.empty() && prefixes4_.empty(); }

 private:
  struct Prefix {
    bool ipv6;
    int length;
    absl::flat_hash_set<std::array<uint8_t, 16>> networks;
  };
  // IPv4 blocks (prefix 0-32) as 32-bit numbers: the common case, without
  // building masked 16-byte keys.
  struct Prefix4 {
    uint32_t mask;
    absl::flat_hash_set<uint32_t> networks;
  };
  std::vector<Prefix> prefixes_;  // every block but those in prefixes4_
  std::vector<Prefix4> prefixes4_;
};

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_DETECT_IP_ADDRESS_H_
