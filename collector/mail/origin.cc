#include "collector/mail/origin.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "collector/mail/ip_literal.h"

namespace cleansweep::collector::mail {
namespace {

constexpr const char* kSecondLevelRegistries[] = {"co",  "com", "net", "org", "ac",  "gov", "edu",
                                                  "ne",  "or",  "go",  "ad",  "ed",  "gr",  "lg",
                                                  "mil", "nom", "sch", "ltd", "plc", "gob", "nic"};

bool IsHostName(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return s.find("..") == absl::string_view::npos;
}

std::string Normalize(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
  while (!n.empty() && n.back() == '.') n.pop_back();
  return n;
}

bool UnderDomain(absl::string_view name, absl::string_view domain) {
  if (domain.empty() || name.empty()) return false;
  return name == domain || (name.size() > domain.size() && absl::EndsWith(name, domain) &&
                            name[name.size() - domain.size() - 1] == '.');
}

bool MatchesTrustedName(absl::string_view name, const TrustedRelays& trusted) {
  const std::string n = Normalize(name);
  if (n.empty()) return false;
  for (const std::string& t : trusted.names) {
    if (!t.empty() && t.front() == '.') {
      if (UnderDomain(n, absl::string_view(t).substr(1))) return true;
    } else if (n == t) {
      return true;
    }
  }
  return false;
}

bool InNetworks(const IpAddress& ip, const std::vector<Cidr>& networks, std::string* which) {
  Cidr host;
  host.ipv6 = ip.ipv6;
  host.bytes = ip.bytes;
  host.prefix = ip.ipv6 ? 128 : 32;
  for (const Cidr& n : networks) {
    if (n.Contains(host)) {
      *which = n.ToString();
      return true;
    }
  }
  return false;
}

// Why hop i's hand-off is inside the receiving system, or nullopt.
std::optional<std::string> InsideReason(absl::Span<const ReceivedHop> hops, size_t i,
                                        const TrustedRelays* trusted, absl::string_view domain) {
  const ReceivedHop& hop = hops[i];
  const IpAddress& ip = *hop.from_ip;
  const std::string addr = ip.ToString();
  if (IsPrivateAddress(ip)) return absl::StrCat("private address ", addr);
  if (trusted != nullptr) {
    std::string block;
    if (InNetworks(ip, trusted->networks, &block)) {
      return absl::StrCat("address ", addr, " is in --trusted ", block);
    }
    if (MatchesTrustedName(hop.from_rdns, *trusted)) {
      return absl::StrCat("rDNS ", hop.from_rdns, " is a --trusted name");
    }
    return std::nullopt;
  }
  if (domain.empty()) return std::nullopt;
  const std::string rdns = Normalize(hop.from_rdns);
  if (!rdns.empty()) {
    if (UnderDomain(rdns, domain)) {
      return absl::StrCat("rDNS ", hop.from_rdns, " is in the receiving domain ", domain);
    }
    return std::nullopt;
  }
  // No rDNS recorded: the HELO name counts only if the next hop down was
  // written by a server of that very name (a consistent internal chain).
  const std::string helo = Normalize(hop.from_helo);
  if (!UnderDomain(helo, domain) || i + 1 >= hops.size()) return std::nullopt;
  if (Normalize(hops[i + 1].by) != helo) return std::nullopt;
  return absl::StrCat("HELO ", hop.from_helo, " is in the receiving domain ", domain,
                      " and wrote the next hop");
}

}  // namespace

absl::StatusOr<TrustedRelays> ParseTrustedRelays(absl::Span<const std::string> specs) {
  TrustedRelays out;
  for (const std::string& raw : specs) {
    const absl::string_view spec = absl::StripAsciiWhitespace(raw);
    absl::StatusOr<Cidr> cidr = ParseCidr(spec, /*allow_bare_address=*/true);
    if (cidr.ok()) {
      out.networks.push_back(*cidr);
      continue;
    }
    const bool looks_numeric = spec.find('/') != absl::string_view::npos ||
                               spec.find(':') != absl::string_view::npos ||
                               spec.find_first_not_of("0123456789.") == absl::string_view::npos;
    if (looks_numeric) {
      return absl::InvalidArgumentError(
          absl::StrCat("--trusted '", spec, "': ", cidr.status().message()));
    }
    const absl::string_view name = absl::StartsWith(spec, ".") ? spec.substr(1) : spec;
    if (!IsHostName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--trusted '", spec, "' is neither an address, a CIDR block nor a host name"));
    }
    out.names.push_back(absl::StartsWith(spec, ".") ? absl::StrCat(".", Normalize(name))
                                                    : Normalize(name));
  }
  return out;
}

absl::string_view HopRoleName(HopRole role) {
  switch (role) {
    case HopRole::kInternal:
      return "internal";
    case HopRole::kEntry:
      return "entry";
    case HopRole::kUntrusted:
      return "untrusted";
  }
  return "unknown";
}

absl::string_view BoundaryMethodName(BoundaryMethod method) {
  switch (method) {
    case BoundaryMethod::kNoHops:
      return "no_hops";
    case BoundaryMethod::kTrustedRelays:
      return "trusted_relays";
    case BoundaryMethod::kInferred:
      return "inferred";
  }
  return "unknown";
}

std::string ReceivingDomainOf(absl::string_view host) {
  const std::string h = Normalize(host);
  if (h.empty() || ParseIpLiteral(h)) return "";
  std::vector<absl::string_view> labels = absl::StrSplit(h, '.', absl::SkipEmpty());
  if (labels.size() <= 2) return h;
  size_t keep = 2;
  const absl::string_view tld = labels.back();
  const absl::string_view second = labels[labels.size() - 2];
  if (tld.size() == 2) {
    for (const char* r : kSecondLevelRegistries) {
      if (second == r) keep = 3;
    }
  }
  std::string out;
  for (size_t i = labels.size() - keep; i < labels.size(); ++i) {
    if (!out.empty()) out.push_back('.');
    absl::StrAppend(&out, labels[i]);
  }
  return out;
}

Origin FindOrigin(absl::Span<const ReceivedHop> hops, const TrustedRelays* trusted) {
  Origin o;
  if (trusted != nullptr && trusted->empty()) trusted = nullptr;
  o.hops.resize(hops.size());
  bool any_address = false;
  for (const ReceivedHop& h : hops) any_address = any_address || h.from_ip.has_value();
  if (!any_address) {
    for (HopVerdict& v : o.hops) {
      v.role = HopRole::kInternal;
      v.why = "no sending address";
    }
    o.explanation = hops.empty() ? "the message has no Received header"
                                 : "no Received header records a sending address";
    return o;
  }
  o.method = trusted != nullptr ? BoundaryMethod::kTrustedRelays : BoundaryMethod::kInferred;
  if (trusted == nullptr) {
    for (const ReceivedHop& h : hops) {
      if (!h.by.empty() && (o.receiving_domain = ReceivingDomainOf(h.by)) != "") break;
    }
  }

  std::optional<size_t> lowest_with_address;
  std::optional<size_t> lowest_public;
  for (size_t i = 0; i < hops.size(); ++i) {
    const ReceivedHop& hop = hops[i];
    if (o.entry_hop) {
      o.hops[i] = {HopRole::kUntrusted,
                   "below the entry hop: written before the receiving system had the message; "
                   "may be forged"};
      continue;
    }
    if (!hop.from_ip) {
      o.hops[i] = {HopRole::kInternal, "no sending address: a hand-off inside the server"};
      continue;
    }
    lowest_with_address = i;
    if (!IsPrivateAddress(*hop.from_ip)) lowest_public = i;
    if (std::optional<std::string> why = InsideReason(hops, i, trusted, o.receiving_domain)) {
      o.hops[i] = {HopRole::kInternal, *why};
      continue;
    }
    o.entry_hop = i;
    o.crossed_boundary = true;
    o.hops[i] = {HopRole::kEntry,
                 absl::StrCat(hop.by.empty() ? "the receiving system" : hop.by,
                              " accepted it from ", hop.from_ip->ToString(),
                              trusted != nullptr ? ", which is not --trusted"
                                                 : ", which is outside the receiving system")};
  }
  if (!o.entry_hop) {
    // Never crossed: name the earliest address that means something outside
    // a private network, else the earliest one.
    o.entry_hop = lowest_public ? lowest_public : lowest_with_address;
    o.hops[*o.entry_hop].role = HopRole::kEntry;
    o.hops[*o.entry_hop].why =
        absl::StrCat("the earliest recorded address (", o.hops[*o.entry_hop].why, ")");
  }
  const ReceivedHop& entry = hops[*o.entry_hop];
  o.origin_ip = entry.from_ip;
  o.origin_rdns = entry.from_rdns;
  o.origin_helo = entry.from_helo;
  o.entry_server = entry.by;
  o.entered_at = entry.date;
  const std::string basis =
      trusted != nullptr
          ? "the --trusted relays and private addresses"
          : absl::StrCat("private addresses and host names in the receiving domain ",
                         o.receiving_domain.empty() ? "(unknown)" : o.receiving_domain);
  if (o.crossed_boundary) {
    // Hops are numbered from 1 (the top Received header) for the reader.
    o.explanation = absl::StrCat("hop ", *o.entry_hop + 1,
                                 " is the first hand-off from outside the receiving system by ",
                                 basis, ": ", entry.by.empty() ? "its server" : entry.by,
                                 " accepted the message from ", o.origin_ip->ToString());
  } else {
    o.explanation = absl::StrCat(
        "every hand-off is inside the receiving system by ", basis,
        ": the message was submitted inside it (or the names were forged; give --trusted); "
        "the earliest recorded ",
        IsPrivateAddress(*o.origin_ip) ? "" : "public ", "address is ", o.origin_ip->ToString(),
        " in hop ", *o.entry_hop);
  }
  return o;
}

}  // namespace cleansweep::collector::mail
