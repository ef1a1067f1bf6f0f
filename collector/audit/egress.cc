#include "collector/audit/egress.h"

#include <algorithm>

#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using google::protobuf::util::TimeUtil;

}  // namespace

void EgressTally::Counter::Add(int64_t t_us, uint64_t key) {
  if (count == 0 || t_us < first_us) first_us = t_us;
  if (count == 0 || t_us > last_us) last_us = t_us;
  ++count;
  // Distinct destinations are what a reader compares; cap the set so one
  // noisy host cannot exhaust memory (the count stays exact).
  if (distinct.size() < 100000) distinct.insert(key);
}

void EgressTally::Counter::To(cleansweep::v1::ActivityCount* out) const {
  out->set_count(count);
  out->set_distinct(distinct.size());
  if (count == 0) return;
  *out->mutable_first() = TimeUtil::MicrosecondsToTimestamp(first_us);
  *out->mutable_last() = TimeUtil::MicrosecondsToTimestamp(last_us);
}

void EgressTally::Add(absl::string_view agent_id, const cleansweep::v1::Event& e) {
  if (std::optional<HostFact> f = ExtractFact(*rules_, 0, e)) AddFact(agent_id, *f);
}

void EgressTally::AddFact(absl::string_view agent_id, const HostFact& hf) {
  Host& h = hosts_[hf.host];
  if (h.agent_id.empty()) h.agent_id = std::string(agent_id);
  const Fact& f = hf.fact;
  switch (f.kind) {
    case FactKind::kDns:
      h.mx.Add(f.time_us, f.key);
      return;
    case FactKind::kWormPort:
      h.worm.Add(f.time_us, f.key);
      return;
    case FactKind::kSmtp:
      break;
  }
  if (f.flags & kFactToRelay) {
    h.via_relay.Add(f.time_us, f.key);
  } else if (f.flags & kFactExternal) {
    h.direct.Add(f.time_us, f.key);
  } else {
    h.other.Add(f.time_us, f.key);
  }
}

std::vector<cleansweep::v1::HostEgress> EgressTally::Hosts() const {
  std::vector<const std::pair<const IpAddress, Host>*> sorted;
  sorted.reserve(hosts_.size());
  for (const auto& entry : hosts_) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<cleansweep::v1::HostEgress> out;
  for (const auto* entry : sorted) {
    const IpAddress& address = entry->first;
    const Host& h = entry->second;
    cleansweep::v1::HostEgress e;
    e.set_host(address.ToString());
    e.set_agent_id(h.agent_id);
    h.via_relay.To(e.mutable_smtp_via_relay());
    h.direct.To(e.mutable_smtp_direct_external());
    h.other.To(e.mutable_smtp_other());
    h.mx.To(e.mutable_mx_lookups());
    h.worm.To(e.mutable_worm_ports());
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace cleansweep::collector
