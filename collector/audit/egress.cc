#include "collector/audit/egress.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using google::protobuf::util::TimeUtil;

}  // namespace

void EgressTally::Counter::Add(int64_t t_us, absl::string_view what) {
  if (count == 0 || t_us < first_us) first_us = t_us;
  if (count == 0 || t_us > last_us) last_us = t_us;
  ++count;
  // Distinct destinations are what a reader compares; cap the set so one
  // noisy host cannot exhaust memory (the count stays exact).
  if (distinct.size() < 100000) distinct.emplace(what);
}

void EgressTally::Counter::To(cleansweep::v1::ActivityCount* out) const {
  out->set_count(count);
  out->set_distinct(distinct.size());
  if (count == 0) return;
  *out->mutable_first() = TimeUtil::MicrosecondsToTimestamp(first_us);
  *out->mutable_last() = TimeUtil::MicrosecondsToTimestamp(last_us);
}

void EgressTally::Add(absl::string_view agent_id, const cleansweep::v1::Event& e) {
  const cleansweep::v1::Endpoint* client = nullptr;
  const cleansweep::v1::Endpoint* server = nullptr;
  switch (e.kind_case()) {
    case cleansweep::v1::Event::kSmtp:
      client = &e.smtp().client(), server = &e.smtp().server();
      break;
    case cleansweep::v1::Event::kDns:
      if (e.dns().qtype() != 15) return;
      client = &e.dns().client(), server = &e.dns().server();
      break;
    case cleansweep::v1::Event::kWormPort:
      client = &e.worm_port().client(), server = &e.worm_port().server();
      break;
    default:
      return;
  }
  std::optional<IpAddress> src = ParseIpAddress(client->ip());
  if (!src || !rules_->internal.Contains(*src)) return;
  Host& h = hosts_[*src];
  if (h.agent_id.empty()) h.agent_id = std::string(agent_id);
  const int64_t t = e.has_time() ? TimeUtil::TimestampToMicroseconds(e.time()) : 0;
  if (e.has_dns()) {
    h.mx.Add(t, absl::AsciiStrToLower(e.dns().name()));
    return;
  }
  const std::string dst = absl::StrCat(server->ip(), ":", server->port());
  if (e.has_worm_port()) {
    h.worm.Add(t, dst);
    return;
  }
  std::optional<IpAddress> d = ParseIpAddress(server->ip());
  if (d && rules_->relays.Contains(*d)) {
    h.via_relay.Add(t, dst);
  } else if (d && rules_->internal.Contains(*d)) {
    h.other.Add(t, dst);
  } else {
    h.direct.Add(t, dst);
  }
}

std::vector<cleansweep::v1::HostEgress> EgressTally::Hosts() const {
  std::vector<cleansweep::v1::HostEgress> out;
  for (const auto& [address, h] : hosts_) {
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
