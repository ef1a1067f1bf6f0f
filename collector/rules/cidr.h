// IPv4/IPv6 addresses and CIDR blocks as written in the site file
// ("10.0.0.0/8", "2001:db8::/32", "192.0.2.25").
//
// ParseCidr is a pure function (thread-safe). It refuses anything inet_pton
// refuses, prefixes outside 0-32 / 0-128, and blocks with host bits set
// ("10.1.0.0/8" is almost always a typo for "10.0.0.0/8" or "10.1.0.0/16").
// Errors are InvalidArgument with a message that quotes the text.
#ifndef CLEANSWEEP_COLLECTOR_RULES_CIDR_H_
#define CLEANSWEEP_COLLECTOR_RULES_CIDR_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cleansweep::collector {

struct Cidr {
  bool ipv6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  int prefix = 0;                   // 0-32 (IPv4) or 0-128 (IPv6)

  // True if every address of `inner` lies inside this block (same family).
  bool Contains(const Cidr& inner) const;
  std::string ToString() const;
};

// `allow_bare_address`: accept "192.0.2.1" as a /32 (/128 for IPv6).
absl::StatusOr<Cidr> ParseCidr(absl::string_view text, bool allow_bare_address);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_RULES_CIDR_H_
