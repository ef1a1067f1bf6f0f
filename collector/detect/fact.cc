#include "collector/detect/fact.h"

#include "absl/strings/ascii.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::ConnectionOutcome;
using cleansweep::v1::Event;

// FNV-1a, then a final mix: distinct-counting needs a stable 64-bit key, not
// a cryptographic one.
uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}
uint64_t HashAddress(const IpAddress& a) {
  uint64_t h = 1469598103934665603ULL ^ (a.ipv6 ? 6 : 4);
  for (uint8_t b : a.bytes) h = (h ^ b) * 1099511628211ULL;
  return Mix(h);
}
uint64_t HashLowerName(absl::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  uint64_t h = 1469598103934665603ULL;
  for (char c : name) h = (h ^ static_cast<uint8_t>(absl::ascii_tolower(c))) * 1099511628211ULL;
  return Mix(h);
}

uint32_t Saturate(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v); }

}  // namespace

bool Fact::Failed() const {
  return outcome == cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER ||
         outcome == cleansweep::v1::CONNECTION_OUTCOME_REFUSED;
}

uint32_t AgentIds::Intern(absl::string_view agent_id) {
  auto it = index_.find(agent_id);
  if (it != index_.end()) return it->second;
  const uint32_t i = static_cast<uint32_t>(names_.size());
  names_.emplace_back(agent_id);
  index_.emplace(std::string(agent_id), i);
  return i;
}

std::optional<HostFact> ExtractFact(const CompiledRules& rules, uint32_t agent, const Event& e) {
  const cleansweep::v1::Endpoint* client = nullptr;
  const cleansweep::v1::Endpoint* server = nullptr;
  HostFact out;
  Fact& f = out.fact;
  switch (e.kind_case()) {
    case Event::kSmtp:
      client = &e.smtp().client();
      server = &e.smtp().server();
      f.kind = FactKind::kSmtp;
      f.transport = cleansweep::v1::TRANSPORT_TCP;
      f.outcome = static_cast<uint8_t>(e.smtp().outcome());
      break;
    case Event::kDns:
      if (e.dns().qtype() != 15) return std::nullopt;  // only MX lookups are judged
      client = &e.dns().client();
      server = &e.dns().server();
      f.kind = FactKind::kDns;
      f.transport = static_cast<uint8_t>(e.dns().transport());
      break;
    case Event::kWormPort:
      client = &e.worm_port().client();
      server = &e.worm_port().server();
      f.kind = FactKind::kWormPort;
      f.transport = static_cast<uint8_t>(e.worm_port().transport());
      f.outcome = static_cast<uint8_t>(e.worm_port().outcome());
      break;
    case Event::KIND_NOT_SET:
      return std::nullopt;
  }
  std::optional<IpAddress> src = ParseIpAddress(client->ip());
  if (!src || !rules.internal.Contains(*src)) return std::nullopt;
  out.host = *src;
  f.agent = agent;
  f.sequence = e.sequence();
  f.time_us = e.has_time() ? google::protobuf::util::TimeUtil::TimestampToMicroseconds(e.time()) : 0;
  f.dst_port = server->port();
  if (rules.mail_servers.Contains(*src)) f.flags |= kFactSourceExempt;
  std::optional<IpAddress> dst = ParseIpAddress(server->ip());
  if (dst) {
    if (!rules.internal.Contains(*dst) && !rules.relays.Contains(*dst)) f.flags |= kFactExternal;
  }
  if (f.kind == FactKind::kDns) {
    f.key = HashLowerName(e.dns().name());
    return out;
  }
  f.key = dst ? HashAddress(*dst) : HashLowerName(server->ip());
  if (f.kind == FactKind::kSmtp) {
    uint64_t rcpt = 0, own = 0;
    for (const auto& tx : e.smtp().transactions()) {
      rcpt += static_cast<uint64_t>(tx.rcpt_to_size()) + tx.rcpt_overflow();
      const size_t at = tx.mail_from().rfind('@');
      if (at != std::string::npos && rules.IsOwnDomain(absl::string_view(tx.mail_from()).substr(at + 1))) {
        ++own;
      }
    }
    f.rcpt = Saturate(rcpt);
    f.own_domain_from = Saturate(own);
  }
  return out;
}

bool FactBefore(const Fact& a, const Fact& b, const AgentIds& agents) {
  if (a.time_us != b.time_us) return a.time_us < b.time_us;
  if (a.agent != b.agent) return agents.Name(a.agent) < agents.Name(b.agent);
  return a.sequence < b.sequence;
}

}  // namespace cleansweep::collector
