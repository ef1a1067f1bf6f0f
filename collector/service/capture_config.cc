#include "collector/service/capture_config.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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

}  // namespace cleansweep::collector
