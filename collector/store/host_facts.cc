#include "collector/store/host_facts.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::HostFacts;
using cleansweep::v1::NetworkInterface;

// google.protobuf.Timestamp's valid range: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z (also keeps seconds * 10^6 inside int64).
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

// Long enough for any valid address; longer text is refused before parsing.
constexpr size_t kMaxAddressText = 64;

bool IsPrintable(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Quoted for an error message: escaped and cut, since it came off the wire.
std::string Shown(absl::string_view s) {
  const bool cut = s.size() > 40;
  return absl::StrCat("\"", absl::CHexEscape(s.substr(0, 40)), cut ? "...\"" : "\"");
}

absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max) {
  if (value.size() > max || !IsPrintable(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be at most ", max, " printable ASCII characters"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NormalizeMac(absl::string_view field, absl::string_view mac) {
  if (mac.empty()) return std::string();
  // "hh" then ":hh" per further octet: 3n - 1 characters for n octets.
  const size_t octets = (mac.size() + 1) / 3;
  bool ok = (mac.size() + 1) % 3 == 0 && octets >= 6 && octets <= 20;
  for (size_t i = 0; ok && i < mac.size(); ++i) {
    ok = (i % 3 == 2) ? mac[i] == ':' : absl::ascii_isxdigit(static_cast<unsigned char>(mac[i]));
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " ", Shown(mac), " is not a MAC address (6-20 hex pairs joined by ':')"));
  }
  return absl::AsciiStrToLower(mac);
}

}  // namespace

absl::StatusOr<std::string> CanonicalIpAddress(absl::string_view text) {
  if (text.empty() || text.size() > kMaxAddressText) {
    return absl::InvalidArgumentError(absl::StrCat(Shown(text), " is not an IPv4 or IPv6 address"));
  }
  const std::string z(text);  // inet_pton needs a terminated string
  char out[INET6_ADDRSTRLEN];
  in_addr v4;
  if (inet_pton(AF_INET, z.c_str(), &v4) == 1) {
    if (inet_ntop(AF_INET, &v4, out, sizeof(out)) != nullptr) return std::string(out);
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, z.c_str(), &v6) == 1) {
    if (inet_ntop(AF_INET6, &v6, out, sizeof(out)) != nullptr) return std::string(out);
  }
  return absl::InvalidArgumentError(absl::StrCat(Shown(text), " is not an IPv4 or IPv6 address"));
}

bool IsLoopbackAddress(absl::string_view address) {
  return address == "::1" || absl::StartsWith(address, "127.");
}

absl::StatusOr<HostFacts> NormalizeHostFacts(const HostFacts& facts) {
  HostFacts out;
  absl::Status s = CheckText("HostFacts.hostname", facts.hostname(), kMaxHostFactsHostname);
  if (!s.ok()) return s;
  s = CheckText("HostFacts.os", facts.os(), kMaxHostFactsOs);
  if (!s.ok()) return s;
  s = CheckText("HostFacts.kernel", facts.kernel(), kMaxHostFactsKernel);
  if (!s.ok()) return s;
  if (facts.interfaces_size() > kMaxHostInterfaces) {
    return absl::InvalidArgumentError(
        absl::StrCat("HostFacts.interfaces: ", facts.interfaces_size(),
                     " interfaces exceed the limit of ", kMaxHostInterfaces));
  }
  if (facts.has_time()) {
    const auto& t = facts.time();
    if (t.seconds() < kMinTimestampSeconds || t.seconds() > kMaxTimestampSeconds || t.nanos() < 0 ||
        t.nanos() > 999999999) {
      return absl::InvalidArgumentError(
          "HostFacts.time is not a valid timestamp (years 1-9999, nanos 0-999999999)");
    }
  }
  out.set_hostname(facts.hostname());
  out.set_os(facts.os());
  out.set_kernel(facts.kernel());
  if (facts.has_time()) *out.mutable_time() = facts.time();

  int total_addresses = 0;
  for (int i = 0; i < facts.interfaces_size(); ++i) {
    const NetworkInterface& in = facts.interfaces(i);
    const std::string field = absl::StrCat("HostFacts.interfaces[", i, "]");
    if (in.name().empty() || in.name().size() > kMaxInterfaceName || !IsPrintable(in.name())) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".name must be 1-", kMaxInterfaceName,
                                                     " printable ASCII characters"));
    }
    if (in.addresses_size() > kMaxAddressesPerInterface) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".addresses: ", in.addresses_size(),
                                                     " addresses exceed the limit of ",
                                                     kMaxAddressesPerInterface));
    }
    total_addresses += in.addresses_size();
    if (total_addresses > kMaxHostAddresses) {
      return absl::InvalidArgumentError(
          absl::StrCat("HostFacts.interfaces: more than ", kMaxHostAddresses, " addresses in all"));
    }
    NetworkInterface* o = out.add_interfaces();
    o->set_name(in.name());
    o->set_up(in.up());
    absl::StatusOr<std::string> mac = NormalizeMac(absl::StrCat(field, ".mac"), in.mac());
    if (!mac.ok()) return mac.status();
    o->set_mac(*mac);
    std::set<std::string> seen;
    for (int j = 0; j < in.addresses_size(); ++j) {
      absl::StatusOr<std::string> address = CanonicalIpAddress(in.addresses(j));
      if (!address.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".addresses[", j, "]: ", address.status().message()));
      }
      if (seen.insert(*address).second) o->add_addresses(*address);
    }
  }
  return out;
}

}  // namespace cleansweep::collector
