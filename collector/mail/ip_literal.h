// IP address literals as mail headers write them: "[192.0.2.1]",
// "192.0.2.1:2525", "[IPv6:2001:db8::1]", "(010.001.002.003)", "::ffff:10.0.0.7".
//
// ParseIpLiteral is a pure function (thread-safe) that reads at most the
// given bytes. It accepts, after removing one surrounding pair of [] or ()
// and an "IPv6:" prefix (any case):
//  - IPv4 dotted quads whose octets are 1-3 decimal digits, zero padding
//    allowed and read as DECIMAL ("010" is 10, as MTAs and webmail write it,
//    never octal), optionally followed by ":PORT";
//  - anything inet_pton(AF_INET6) accepts (a "%zone" suffix is dropped);
//    IPv4-mapped IPv6 becomes the IPv4 address, as ParseIpAddress does.
// Everything else (host names, "unknown", empty, >64 bytes) is nullopt.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_IP_LITERAL_H_
#define CLEANSWEEP_COLLECTOR_MAIL_IP_LITERAL_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "collector/detect/ip_address.h"

namespace cleansweep::collector::mail {

std::optional<IpAddress> ParseIpLiteral(absl::string_view text);

// True for addresses that never route on the public Internet: loopback,
// RFC 1918, link-local, shared CGNAT space (100.64/10), 0/8, unique-local
// (fc00::/7), link-local IPv6 (fe80::/10), :: and ::1. These are the
// addresses SpamAssassin treats as "private" when it infers trust.
bool IsPrivateAddress(const IpAddress& address);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_IP_LITERAL_H_
