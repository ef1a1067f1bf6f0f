// Host facts from the wire: the checks and the normal form every store engine
// applies before it keeps what an agent says about its host (HostFacts in
// agent_service.proto).
//
// Limits (a report beyond them is refused whole, InvalidArgument naming the
// field, e.g. "HostFacts.interfaces[2].addresses[0]: ..."):
//   hostname  at most 255 printable ASCII characters (may be empty)
//   os        at most 256 printable ASCII characters
//   kernel    at most 128 printable ASCII characters
//   interfaces            at most 256; name 1-128 printable ASCII characters
//   mac       empty, or 6 to 20 octets as two hex digits each joined by ':'
//             ("00:11:22:aa:bb:cc"; EUI-48, EUI-64 and 20-octet IPoIB)
//   addresses at most 64 per interface and 1024 in all; each one IPv4 or
//             IPv6 address in text form that inet_pton(3) accepts (no prefix
//             length, no "%zone" suffix)
//   time      unset, or a valid google.protobuf.Timestamp (years 1-9999)
// Normal form: MACs lower-case; addresses as inet_ntop(3) prints them
// ("2001:DB8:0::7" becomes "2001:db8::7"); an address repeated on one
// interface is kept once. Everything else is kept as sent.
//
// Pure functions; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_STORE_HOST_FACTS_H_
#define CLEANSWEEP_COLLECTOR_STORE_HOST_FACTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::collector {

inline constexpr size_t kMaxHostFactsHostname = 255;
inline constexpr size_t kMaxHostFactsOs = 256;
inline constexpr size_t kMaxHostFactsKernel = 128;
inline constexpr int kMaxHostInterfaces = 256;
inline constexpr size_t kMaxInterfaceName = 128;
inline constexpr int kMaxAddressesPerInterface = 64;
inline constexpr int kMaxHostAddresses = 1024;

// Checks `facts` against the limits above and returns its normal form.
absl::StatusOr<cleansweep::v1::HostFacts> NormalizeHostFacts(
    const cleansweep::v1::HostFacts& facts);

// The canonical text form of an IPv4 or IPv6 address ("10.0.0.7",
// "2001:db8::7"); InvalidArgument when inet_pton accepts it as neither.
absl::StatusOr<std::string> CanonicalIpAddress(absl::string_view text);

// True for 127.0.0.0/8 and ::1 (`address` in canonical form).
bool IsLoopbackAddress(absl::string_view address);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_STORE_HOST_FACTS_H_
