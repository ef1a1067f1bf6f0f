#include "collector/rules/cidr.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cleansweep::collector {
namespace {

// True if any bit of `bytes` at or after `prefix` is set.
bool HostBitsSet(const std::array<uint8_t, 16>& bytes, int prefix, int total_bits) {
  for (int bit = prefix; bit < total_bits; ++bit) {
    if (bytes[bit / 8] & (0x80 >> (bit % 8))) return true;
  }
  return false;
}

}  // namespace

bool Cidr::Contains(const Cidr& inner) const {
  if (ipv6 != inner.ipv6 || inner.prefix < prefix) return false;
  for (int bit = 0; bit < prefix; ++bit) {
    const uint8_t mask = 0x80 >> (bit % 8);
    if ((bytes[bit / 8] & mask) != (inner.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

std::string Cidr::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return absl::StrCat(buf, "/", prefix);
}

absl::StatusOr<Cidr> ParseCidr(absl::string_view text, bool allow_bare_address) {
  // inet_pton needs a NUL-terminated string; anything longer than the longest
  // IPv6 text plus "/128" cannot be valid, and the cap keeps the copy small.
  if (text.size() > INET6_ADDRSTRLEN + 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text.substr(0, 48), "...' is too long for an address"));
  }
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Cidr out;
  if (inet_pton(AF_INET, address.c_str(), out.bytes.data()) == 1) {
    out.ipv6 = false;
  } else if (inet_pton(AF_INET6, address.c_str(), out.bytes.data()) == 1) {
    out.ipv6 = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not an IPv4 or IPv6 address or CIDR block"));
  }
  const int max_prefix = out.ipv6 ? 128 : 32;
  if (slash == absl::string_view::npos) {
    if (!allow_bare_address) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "' has no prefix length (write e.g. '", text, "/",
                       max_prefix, "')"));
    }
    out.prefix = max_prefix;
    return out;
  }
  absl::string_view prefix_text = text.substr(slash + 1);
  int prefix = -1;
  if (prefix_text.empty() || prefix_text.size() > 3 ||
      prefix_text.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(prefix_text, &prefix) || prefix > max_prefix) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "': prefix length '", prefix_text,
                                                   "' is not in 0-", max_prefix));
  }
  out.prefix = prefix;
  if (HostBitsSet(out.bytes, prefix, max_prefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' has host bits set beyond /", prefix));
  }
  return out;
}

}  // namespace cleansweep::collector
