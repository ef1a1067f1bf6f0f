#include "collector/detect/fact.h"

#include <cstring>

#include "absl/strings/ascii.h"

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
constexpr uint64_t kFnvPrime = 1099511628211ULL;
constexpr uint64_t Power(uint64_t base, int n) { return n == 0 ? 1 : base * Power(base, n - 1); }

uint64_t HashAddress(const IpAddress& a) {
  uint64_t h = 1469598103934665603ULL ^ (a.ipv6 ? 6 : 4);
  static constexpr uint8_t kZero[12] = {};
  if (!a.ipv6 && std::memcmp(a.bytes.data() + 4, kZero, 12) == 0) {
    // The same value: a zero byte only multiplies by the prime, so twelve
    // of them multiply by its twelfth power (mod 2^64).
    for (int i = 0; i < 4; ++i) h = (h ^ a.bytes[static_cast<size_t>(i)]) * kFnvPrime;
    return Mix(h * Power(kFnvPrime, 12));
  }
  for (uint8_t b : a.bytes) h = (h ^ b) * kFnvPrime;
  return Mix(h);
}
uint64_t HashLowerName(absl::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  uint64_t h = 1469598103934665603ULL;
  for (char c : name) h = (h ^ static_cast<uint8_t>(absl::ascii_tolower(c))) * kFnvPrime;
  return Mix(h);
}

uint32_t Saturate(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v); }

// TimeUtil::TimestampToMicroseconds without building a Timestamp: seconds
// times a million plus the nanoseconds divided toward zero.
int64_t Micros(int64_t seconds, int32_t nanos) {
  return static_cast<int64_t>(static_cast<uint64_t>(seconds) * 1000000u) + nanos / 1000;
}

}  // namespace

bool Fact::Failed() const {
  return outcome == cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER ||
         outcome == cleansweep::v1::CONNECTION_OUTCOME_REFUSED;
}

uint32_t AgentIds::Intern(absl::string_view agent_id) {
  if (last_ < names_.size() && names_[last_] == agent_id) return last_;
  auto it = index_.find(agent_id);
  if (it != index_.end()) return last_ = it->second;
  const uint32_t i = static_cast<uint32_t>(names_.size());
  names_.emplace_back(agent_id);
  index_.emplace(std::string(agent_id), i);
  return last_ = i;
}

std::optional<HostFact> ExtractFact(const CompiledRules& rules, uint32_t agent, const Event& e) {
  return ExtractFact(rules, agent, FieldsOf(e));
}

std::optional<HostFact> ExtractFact(const CompiledRules& rules, uint32_t agent,
                                    const EventFields& e) {
  HostFact out;
  Fact& f = out.fact;
  switch (e.kind) {
    case Event::kSmtp:
      f.kind = FactKind::kSmtp;
      f.transport = cleansweep::v1::TRANSPORT_TCP;
      f.outcome = static_cast<uint8_t>(e.outcome);
      break;
    case Event::kDns:
      if (e.qtype != 15) return std::nullopt;  // only MX lookups are judged
      f.kind = FactKind::kDns;
      f.transport = static_cast<uint8_t>(e.transport);
      break;
    case Event::kWormPort:
      f.kind = FactKind::kWormPort;
      f.transport = static_cast<uint8_t>(e.transport);
      f.outcome = static_cast<uint8_t>(e.outcome);
      break;
    case Event::KIND_NOT_SET:
      return std::nullopt;
  }
  std::optional<IpAddress> src = ParseIpAddress(e.client_ip);
  if (!src || !rules.internal.Contains(*src)) return std::nullopt;
  out.host = *src;
  f.agent = agent;
  f.sequence = e.sequence;
  if (e.has_time) f.time_us = Micros(e.time_seconds, e.time_nanos);
  f.dst_port = e.server_port;
  if (rules.mail_servers.Contains(*src)) f.flags |= kFactSourceExempt;
  std::optional<IpAddress> dst = ParseIpAddress(e.server_ip);
  if (dst) {
    if (rules.relays.Contains(*dst)) {
      f.flags |= kFactToRelay;
    } else if (!rules.internal.Contains(*dst)) {
      f.flags |= kFactExternal;
    }
  }
  if (f.kind == FactKind::kDns) {
    f.key = HashLowerName(e.dns_name);
    return out;
  }
  f.key = dst ? HashAddress(*dst) : HashLowerName(e.server_ip);
  if (f.kind == FactKind::kSmtp) {
    uint64_t own = 0;
    for (absl::string_view mail_from : e.mail_from) {
      const size_t at = mail_from.rfind('@');
      if (at != absl::string_view::npos && rules.IsOwnDomain(mail_from.substr(at + 1))) ++own;
    }
    f.rcpt = Saturate(e.rcpt);
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
