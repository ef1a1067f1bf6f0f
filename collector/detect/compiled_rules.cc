#include "collector/detect/compiled_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Signal;

absl::Status AddAll(const google::protobuf::RepeatedPtrField<std::string>& texts, CidrSet* set) {
  for (const std::string& t : texts) {
    absl::StatusOr<Cidr> c = ParseCidr(t, /*allow_bare_address=*/true);
    if (!c.ok()) return c.status();
    set->Add(*c);
  }
  return absl::OkStatus();
}

absl::Status AddNamed(const google::protobuf::RepeatedPtrField<cleansweep::v1::NamedAddresses>& list,
                      CidrSet* set) {
  for (const auto& named : list) RETURN_IF_ERROR(AddAll(named.addresses(), set));
  return absl::OkStatus();
}

PortRange RangeOf(uint32_t port, uint32_t port_last, cleansweep::v1::Transport t) {
  return PortRange{port, port_last == 0 ? port : port_last, t};
}

}  // namespace

bool IsSweepSignal(cleansweep::v1::Signal signal) {
  return signal == Signal::SIGNAL_SWEEP_BACKDOOR_LISTENER ||
         signal == Signal::SIGNAL_SWEEP_HOSTS_REDIRECT;
}

bool CompiledRules::IsOwnDomain(absl::string_view domain) const {
  for (const std::string& own : mail_domains) {
    if (domain.size() < own.size()) continue;
    if (!absl::EqualsIgnoreCase(domain.substr(domain.size() - own.size()), own)) continue;
    if (domain.size() == own.size() || domain[domain.size() - own.size() - 1] == '.') return true;
  }
  return false;
}

bool CompiledRules::InRanges(const std::vector<PortRange>& ranges, uint32_t port,
                             cleansweep::v1::Transport t) {
  for (const PortRange& r : ranges) {
    if (r.Contains(port, t)) return true;
  }
  return false;
}

absl::StatusOr<std::shared_ptr<const CompiledRules>> CompileRules(
    std::shared_ptr<const RuleSet> rules) {
  auto out = std::make_shared<CompiledRules>();
  out->source = rules;
  const cleansweep::v1::SiteFacts& site = rules->site;
  RETURN_IF_ERROR(AddAll(site.internal_networks(), &out->internal));
  RETURN_IF_ERROR(AddNamed(site.approved_relays(), &out->relays));
  RETURN_IF_ERROR(AddNamed(site.approved_relays(), &out->mail_servers));
  RETURN_IF_ERROR(AddNamed(site.mail_servers(), &out->mail_servers));
  RETURN_IF_ERROR(AddNamed(site.public_egress(), &out->ours));
  RETURN_IF_ERROR(AddNamed(site.mail_servers(), &out->ours));
  RETURN_IF_ERROR(AddNamed(site.approved_relays(), &out->ours));
  for (const std::string& d : site.mail_domains()) out->mail_domains.push_back(absl::AsciiStrToLower(d));
  for (const auto& family : rules->worms.family()) {
    for (const auto& p : family.ports()) {
      out->worm_ports.push_back(RangeOf(p.port(), p.port_last(), p.transport()));
    }
  }
  for (const auto& rule : rules->detection.rule()) {
    CompiledRule c;
    c.rule = &rule;
    c.window_us = rule.window().seconds() * 1000000 + rule.window().nanos() / 1000;
    for (const auto& p : rule.ports()) c.ports.push_back(RangeOf(p.port(), p.port_last(), p.transport()));
    if (IsSweepSignal(rule.signal())) {
      // Kept apart: the event rules' windows decide how far back events are
      // read and kept, and a sweep rule's day-long window must not.
      out->sweep_rules.push_back(std::move(c));
      continue;
    }
    if (c.ports.empty()) {
      switch (rule.signal()) {
        case Signal::SIGNAL_SMTP_EXTERNAL_DESTINATIONS:
        case Signal::SIGNAL_SMTP_EXTERNAL_ATTEMPTS:
        case Signal::SIGNAL_RCPT_COUNT:
        case Signal::SIGNAL_FORGED_OWN_DOMAIN_SENDER:
          c.ports.push_back(PortRange{25, 25, cleansweep::v1::TRANSPORT_TCP});
          break;
        case Signal::SIGNAL_WORM_PORT_FANOUT:
          c.ports = out->worm_ports;
          break;
        default:
          break;  // MX lookups and the failed ratio: every watched port
      }
    }
    out->max_window_us = std::max(out->max_window_us, c.window_us);
    out->rules.push_back(std::move(c));
  }
  return std::shared_ptr<const CompiledRules>(std::move(out));
}

}  // namespace cleansweep::collector
