#include "collector/service/capture_config.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cleansweep/v1/rules.pb.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::PortSpec;
using cleansweep::v1::Transport;

absl::Status AppendRange(absl::string_view item, std::vector<uint32_t>* out) {
  std::vector<absl::string_view> bounds = absl::StrSplit(item, absl::MaxSplits('-', 1));
  uint32_t lo = 0, hi = 0;
  if (!absl::SimpleAtoi(bounds[0], &lo) ||
      (bounds.size() == 2 && !absl::SimpleAtoi(bounds[1], &hi))) {
    return absl::InvalidArgumentError(absl::StrCat("\"", item, "\" is not a number or range"));
  }
  if (bounds.size() == 1) hi = lo;
  if (lo == 0 || hi > 65535 || lo > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", item, "\" is out of range (1-65535, low-high)"));
  }
  for (uint32_t v = lo; v <= hi; ++v) out->push_back(v);
  return absl::OkStatus();
}

bool IsSmtpSignal(cleansweep::v1::Signal s) {
  return s == cleansweep::v1::SIGNAL_SMTP_EXTERNAL_DESTINATIONS ||
         s == cleansweep::v1::SIGNAL_SMTP_EXTERNAL_ATTEMPTS ||
         s == cleansweep::v1::SIGNAL_RCPT_COUNT ||
         s == cleansweep::v1::SIGNAL_FORGED_OWN_DOMAIN_SENDER;
}

bool IsConnectionSignal(cleansweep::v1::Signal s) {
  return s == cleansweep::v1::SIGNAL_WORM_PORT_FANOUT ||
         s == cleansweep::v1::SIGNAL_FAILED_CONNECTION_RATIO;
}

// The loader has checked 1 <= port <= port_last <= 65535 (or port_last 0);
// a set built some other way is still kept inside that.
template <typename PortMessage>
void ForEachPort(const PortMessage& p, const std::function<void(uint32_t)>& f) {
  if (p.port() == 0) return;
  const uint32_t last = p.port_last() == 0 ? p.port() : p.port_last();
  for (uint32_t port = p.port(); port <= last && port <= 65535; ++port) f(port);
}

}  // namespace

cleansweep::v1::CaptureConfig DefaultCaptureConfig() {
  cleansweep::v1::CaptureConfig config;
  for (uint32_t p : {25u, 465u, 587u, 2525u}) config.add_smtp_ports(p);
  auto add = [&config](uint32_t port, Transport t) {
    PortSpec* spec = config.add_worm_ports();
    spec->set_port(port);
    spec->set_transport(t);
  };
  for (uint32_t p = 3127; p <= 3198; ++p) add(p, cleansweep::v1::TRANSPORT_TCP);
  for (uint32_t p : {1080u, 10080u, 1034u, 445u, 5554u, 9996u, 135u, 4444u, 2745u, 6777u, 8866u,
                     665u, 82u}) {
    add(p, cleansweep::v1::TRANSPORT_TCP);
  }
  add(69, cleansweep::v1::TRANSPORT_UDP);
  config.add_dns_qtypes(15);
  return config;
}

absl::StatusOr<std::vector<uint32_t>> ParseNumberList(absl::string_view text) {
  std::vector<uint32_t> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    absl::Status s = AppendRange(absl::StripAsciiWhitespace(item), &out);
    if (!s.ok()) return s;
  }
  if (out.empty()) return absl::InvalidArgumentError("empty list");
  return out;
}

absl::StatusOr<std::vector<PortSpec>> ParsePortSpecList(absl::string_view text) {
  std::vector<PortSpec> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    Transport transport = cleansweep::v1::TRANSPORT_TCP;
    std::string lower = absl::AsciiStrToLower(item);
    absl::string_view rest = item;
    if (absl::StartsWith(lower, "tcp:")) {
      rest.remove_prefix(4);
    } else if (absl::StartsWith(lower, "udp:")) {
      transport = cleansweep::v1::TRANSPORT_UDP;
      rest.remove_prefix(4);
    } else if (lower.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", item, "\": transport must be tcp: or udp:"));
    }
    std::vector<uint32_t> ports;
    absl::Status s = AppendRange(rest, &ports);
    if (!s.ok()) return s;
    for (uint32_t p : ports) {
      PortSpec spec;
      spec.set_port(p);
      spec.set_transport(transport);
      out.push_back(spec);
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("empty list");
  return out;
}

absl::StatusOr<CaptureConfigOverrides> ParseCaptureConfigOverrides(
    absl::string_view smtp_ports, absl::string_view worm_ports, absl::string_view dns_qtypes) {
  CaptureConfigOverrides out;
  if (!smtp_ports.empty()) {
    auto ports = ParseNumberList(smtp_ports);
    if (!ports.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--smtp-ports: ", ports.status().message()));
    }
    out.smtp_ports = *std::move(ports);
  }
  if (!worm_ports.empty()) {
    auto specs = ParsePortSpecList(worm_ports);
    if (!specs.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--worm-ports: ", specs.status().message()));
    }
    out.worm_ports = *std::move(specs);
  }
  if (!dns_qtypes.empty()) {
    auto types = ParseNumberList(dns_qtypes);
    if (!types.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--dns-qtypes: ", types.status().message()));
    }
    out.dns_qtypes = *std::move(types);
  }
  return out;
}

void ApplyCaptureConfigOverrides(const CaptureConfigOverrides& overrides,
                                 cleansweep::v1::CaptureConfig* config) {
  if (overrides.smtp_ports.has_value()) {
    config->clear_smtp_ports();
    for (uint32_t p : *overrides.smtp_ports) config->add_smtp_ports(p);
  }
  if (overrides.worm_ports.has_value()) {
    config->clear_worm_ports();
    for (const PortSpec& s : *overrides.worm_ports) *config->add_worm_ports() = s;
  }
  if (overrides.dns_qtypes.has_value()) {
    config->clear_dns_qtypes();
    for (uint32_t t : *overrides.dns_qtypes) config->add_dns_qtypes(t);
  }
}

cleansweep::v1::CaptureConfig DeriveCaptureConfig(const RuleSet& rules,
                                                  const CaptureConfigOverrides& overrides) {
  std::set<uint32_t> smtp = {25, 465, 587, 2525};
  for (const auto& rule : rules.detection.rule()) {
    if (!IsSmtpSignal(rule.signal())) continue;
    for (const auto& filter : rule.ports()) {
      if (filter.transport() != cleansweep::v1::TRANSPORT_TCP) continue;
      ForEachPort(filter, [&smtp](uint32_t p) { smtp.insert(p); });
    }
  }
  // Ordered by (transport, port): the same rules give the same message.
  std::set<std::pair<int, uint32_t>> worm;
  for (const auto& family : rules.worms.family()) {
    for (const auto& port : family.ports()) {
      ForEachPort(port, [&worm, &port](uint32_t p) { worm.insert({port.transport(), p}); });
    }
  }
  for (const auto& rule : rules.detection.rule()) {
    if (!IsConnectionSignal(rule.signal())) continue;
    for (const auto& filter : rule.ports()) {
      const int transport = filter.transport();
      ForEachPort(filter, [&](uint32_t p) {
        // An SMTP port's attempts are reported by the SMTP observer already;
        // watching it as a worm port too would report each connection twice.
        if (transport == cleansweep::v1::TRANSPORT_TCP && smtp.count(p)) return;
        worm.insert({transport, p});
      });
    }
  }

  cleansweep::v1::CaptureConfig config;
  for (uint32_t p : smtp) config.add_smtp_ports(p);
  for (const auto& [transport, port] : worm) {
    PortSpec* spec = config.add_worm_ports();
    spec->set_port(port);
    spec->set_transport(static_cast<Transport>(transport));
  }
  config.add_dns_qtypes(15);
  ApplyCaptureConfigOverrides(overrides, &config);
  return config;
}

}  // namespace cleansweep::collector
