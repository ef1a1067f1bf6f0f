#include "agent/observers/watch_config.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cleansweep::agent {
namespace {

std::vector<PortRange> ToRanges(std::vector<uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  std::vector<PortRange> ranges;
  for (uint16_t p : ports) {
    if (!ranges.empty() && ranges.back().last + 1 == p) {
      ranges.back().last = p;
    } else {
      ranges.push_back({p, p});
    }
  }
  return ranges;
}

absl::StatusOr<uint16_t> ParsePort(absl::string_view item) {
  uint32_t v;
  if (!absl::SimpleAtoi(item, &v) || v == 0 || v > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", item, "' is not a port number (1-65535)"));
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

WatchConfig WatchConfig::Defaults() {
  WatchConfig c;
  c.smtp_ports = {25, 465, 587, 2525};
  c.worm_tcp_ports = ToRanges({1080, 10080, 1034, 445, 5554, 9996, 135, 4444, 2745, 6777, 8866,
                               665, 82});
  c.worm_tcp_ports.push_back({3127, 3198});
  std::sort(c.worm_tcp_ports.begin(), c.worm_tcp_ports.end(),
            [](const PortRange& a, const PortRange& b) { return a.first < b.first; });
  c.worm_udp_ports = {{69, 69}};
  c.dns_qtypes = {15};
  return c;
}

void WatchConfig::Apply(const cleansweep::v1::CaptureConfig& config) {
  if (config.smtp_ports_size() > 0) {
    smtp_ports.clear();
    for (uint32_t p : config.smtp_ports()) {
      if (p > 0 && p <= 65535) smtp_ports.push_back(static_cast<uint16_t>(p));
    }
  }
  if (config.worm_ports_size() > 0) {
    std::vector<uint16_t> tcp, udp;
    for (const auto& spec : config.worm_ports()) {
      if (spec.port() == 0 || spec.port() > 65535) continue;
      (spec.transport() == cleansweep::v1::TRANSPORT_UDP ? udp : tcp)
          .push_back(static_cast<uint16_t>(spec.port()));
    }
    worm_tcp_ports = ToRanges(tcp);
    worm_udp_ports = ToRanges(udp);
  }
  if (config.dns_qtypes_size() > 0) {
    dns_qtypes.clear();
    for (uint32_t t : config.dns_qtypes()) {
      if (t <= 65535) dns_qtypes.push_back(static_cast<uint16_t>(t));
    }
  }
}

cleansweep::v1::CaptureConfig WatchConfig::ToProto() const {
  cleansweep::v1::CaptureConfig out;
  for (uint16_t p : smtp_ports) out.add_smtp_ports(p);
  auto add = [&](const std::vector<PortRange>& ranges, cleansweep::v1::Transport t) {
    for (const auto& r : ranges) {
      for (uint32_t p = r.first; p <= r.last; ++p) {
        auto* spec = out.add_worm_ports();
        spec->set_port(p);
        spec->set_transport(t);
      }
    }
  };
  add(worm_tcp_ports, cleansweep::v1::TRANSPORT_TCP);
  add(worm_udp_ports, cleansweep::v1::TRANSPORT_UDP);
  for (uint16_t t : dns_qtypes) out.add_dns_qtypes(t);
  return out;
}

absl::StatusOr<std::vector<uint16_t>> ParsePortList(absl::string_view text) {
  std::vector<uint16_t> ports;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    auto port = ParsePort(absl::StripAsciiWhitespace(item));
    if (!port.ok()) return port.status();
    ports.push_back(*port);
  }
  if (ports.empty()) return absl::InvalidArgumentError("empty port list");
  return ports;
}

absl::Status ParseWormPorts(absl::string_view text, std::vector<PortRange>* tcp,
                            std::vector<PortRange>* udp) {
  std::vector<uint16_t> tcp_ports, udp_ports;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    std::vector<uint16_t>* target = &tcp_ports;
    if (absl::ConsumePrefix(&item, "udp:")) {
      target = &udp_ports;
    } else {
      absl::ConsumePrefix(&item, "tcp:");
    }
    std::pair<absl::string_view, absl::string_view> bounds = absl::StrSplit(item, '-');
    auto first = ParsePort(bounds.first);
    if (!first.ok()) return first.status();
    uint16_t last = *first;
    if (!bounds.second.empty()) {
      auto l = ParsePort(bounds.second);
      if (!l.ok()) return l.status();
      if (*l < *first) return absl::InvalidArgumentError(absl::StrCat("bad range '", item, "'"));
      last = *l;
    }
    for (uint32_t p = *first; p <= last; ++p) target->push_back(static_cast<uint16_t>(p));
  }
  *tcp = ToRanges(tcp_ports);
  *udp = ToRanges(udp_ports);
  return absl::OkStatus();
}

}  // namespace cleansweep::agent
