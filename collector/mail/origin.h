// Where a message entered the receiving system: the trust boundary in its
// Received chain, found the way SpamAssassin does (trusted_networks /
// internal_networks and its inference when they are not set; see
// Mail::SpamAssassin::Message::Metadata::Received).
//
// Received headers are read from the top (hops[0], the newest). Each line
// is written by the server named in its `by` and records who handed the
// message over (`from`). The top line was written by the receiving system
// (the complainer's, or the bouncer's). Walking down, a hand-off is inside
// that system while its sending address is trusted; the first hand-off that
// is not is the ENTRY hop: its `by` is the receiving system's first server
// and its from_ip is the ORIGIN, the address that handed the message to the
// receiving system. Every hop below the entry was written before the
// receiving system saw the message and may be forged: spam bots and worms
// write fake Received lines naming innocent relays.
//
// A hand-off is trusted (the hop is kInternal) when:
//  - the hop records no sending address (local pickup, filters, qmail's
//    "(qmail 123 invoked by uid 0)"): it happened inside the server that
//    wrote it;
//  - its address is private or loopback (ip_literal.h IsPrivateAddress), as
//    SpamAssassin infers;
//  - with --trusted (TrustedRelays): its address is in one of the blocks,
//    or the reverse-DNS name the receiving server recorded (from_rdns,
//    never the HELO name, which the sender chooses) is one of the names or
//    lies under a domain given as ".example.com";
//  - without --trusted (inference): the sending host is named within the
//    receiving domain (the registrable domain of the topmost `by`), by its
//    recorded reverse-DNS name, or, when none is recorded, by its HELO name
//    AND the next hop down was written by a server of exactly that name (a
//    consistent chain of the receiving system's own servers).
// With --trusted the name inference is off: only the blocks, the names and
// private addresses count (the user knows better than the headers).
//
// If no hand-off is untrusted, the message never crossed into the receiving
// system from outside (it was submitted inside it, or the inference was
// fooled by names a sender chose): `crossed_boundary` is false and the
// origin is the lowest hop's public address, or the lowest hop's address
// when all are private. Pure functions, thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_ORIGIN_H_
#define CLEANSWEEP_COLLECTOR_MAIL_ORIGIN_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "collector/detect/ip_address.h"
#include "collector/mail/received.h"
#include "collector/rules/cidr.h"

namespace cleansweep::collector::mail {

// The receiving system's relays as the user names them (--trusted).
struct TrustedRelays {
  std::vector<Cidr> networks;
  // Lower case. "mx.example.com" matches that host; ".example.com" matches
  // example.com and every name under it.
  std::vector<std::string> names;
  bool empty() const { return networks.empty() && names.empty(); }
};

// Each spec is an address ("192.0.2.25", a /32 or /128), a CIDR block
// ("192.0.2.0/24", "2001:db8::/32") or a host or domain name
// ("mx.example.com", ".example.com"). InvalidArgument naming the first
// spec that is none of these.
absl::StatusOr<TrustedRelays> ParseTrustedRelays(absl::Span<const std::string> specs);

enum class HopRole {
  kInternal,   // a hand-off inside the receiving system
  kEntry,      // written by the receiving system's first server; from_ip is the origin
  kUntrusted,  // below the entry: may be forged
};

absl::string_view HopRoleName(HopRole role);  // "internal", "entry", "untrusted"

struct HopVerdict {
  HopRole role = HopRole::kUntrusted;
  std::string why;  // e.g. "private address 10.0.0.5", "rDNS mx1.example.com is in example.com"
};

enum class BoundaryMethod {
  kNoHops,         // no Received header with an address: no origin
  kTrustedRelays,  // decided with the user's --trusted relays
  kInferred,       // inferred from private addresses and the receiving domain
};

absl::string_view BoundaryMethodName(
    BoundaryMethod method);  // "no_hops", "trusted_relays", "inferred"

struct Origin {
  BoundaryMethod method = BoundaryMethod::kNoHops;
  std::string explanation;          // one sentence on how the boundary was chosen
  std::string receiving_domain;     // inference only: the domain of the topmost `by`
  bool crossed_boundary = false;    // an untrusted hand-off was found
  std::optional<size_t> entry_hop;  // index into the hops
  std::optional<IpAddress> origin_ip;
  std::string origin_rdns;               // as recorded by the entry server ("" if none)
  std::string origin_helo;               // what the origin said in HELO (sender-chosen)
  std::string entry_server;              // the entry hop's `by`
  std::optional<absl::Time> entered_at;  // the entry hop's date
  std::vector<HopVerdict> hops;          // one per hop, in the same order
};

// `trusted` may be null or empty: then the boundary is inferred.
Origin FindOrigin(absl::Span<const ReceivedHop> hops, const TrustedRelays* trusted);

// The registrable part of a host name by a small heuristic (no public
// suffix list): the last two labels, or three when the top-level domain has
// two letters and the second-level label is a common registry label such
// as "co", "com", "ne", "ac" ("mx.example.co.uk" -> "example.co.uk").
std::string ReceivingDomainOf(absl::string_view host);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_ORIGIN_H_
