#include "collector/sweep/sweep_plan.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cleansweep::collector {
namespace {

constexpr uint32_t kMydoomFirst = 3127;
constexpr uint32_t kMydoomLast = 3198;

// The list of rules/protected_domains.txt (sources there).
constexpr const char* kDefaultDomains[] = {"symantec.com",
                                           "symantecliveupdate.com",
                                           "mcafee.com",
                                           "nai.com",
                                           "networkassociates.com",
                                           "sophos.com",
                                           "f-secure.com",
                                           "trendmicro.com",
                                           "kaspersky.com",
                                           "kaspersky-labs.com",
                                           "viruslist.com",
                                           "viruslist.ru",
                                           "avp.ch",
                                           "avp.com",
                                           "avp.ru",
                                           "ca.com",
                                           "my-etrust.com",
                                           "microsoft.com",
                                           "windowsupdate.com"};

// The backdoor-listener ports of the shipped rules/worms.textproto: Mydoom.B
// 1080, 10080; Mydoom.M 1034; Netsky.X 82; Netsky.Z 665; Bagle 6777, 8866,
// 2745; Sasser 5554; Blaster's TFTP server udp 69.
constexpr std::pair<uint32_t, cleansweep::v1::Transport> kDefaultBackdoors[] = {
    {1080, cleansweep::v1::TRANSPORT_TCP}, {10080, cleansweep::v1::TRANSPORT_TCP},
    {1034, cleansweep::v1::TRANSPORT_TCP}, {82, cleansweep::v1::TRANSPORT_TCP},
    {665, cleansweep::v1::TRANSPORT_TCP},  {6777, cleansweep::v1::TRANSPORT_TCP},
    {8866, cleansweep::v1::TRANSPORT_TCP}, {2745, cleansweep::v1::TRANSPORT_TCP},
    {5554, cleansweep::v1::TRANSPORT_TCP}, {69, cleansweep::v1::TRANSPORT_UDP}};

using PortKey = std::pair<int, uint32_t>;  // (transport, port)

std::vector<cleansweep::v1::PortSpec> ToSpecs(const std::set<PortKey>& ports) {
  std::vector<cleansweep::v1::PortSpec> out;
  for (const auto& [transport, port] : ports) {
    cleansweep::v1::PortSpec& p = out.emplace_back();
    p.set_port(port);
    p.set_transport(static_cast<cleansweep::v1::Transport>(transport));
  }
  return out;
}

std::set<PortKey> MydoomRange() {
  std::set<PortKey> ports;
  for (uint32_t p = kMydoomFirst; p <= kMydoomLast; ++p) {
    ports.insert({cleansweep::v1::TRANSPORT_TCP, p});
  }
  return ports;
}

bool IsDomainName(absl::string_view name) {
  if (name.empty() || name.size() > 253 || name.find('.') == absl::string_view::npos) {
    return false;
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
  }
  return true;
}

}  // namespace

std::vector<cleansweep::v1::PortSpec> BackdoorPorts(
    const cleansweep::v1::WormKnowledgeBase& worms) {
  std::set<PortKey> ports = MydoomRange();
  for (const auto& family : worms.family()) {
    for (const auto& p : family.ports()) {
      if (p.role() != cleansweep::v1::PORT_ROLE_BACKDOOR_LISTENER) continue;
      const uint32_t last = p.port_last() == 0 ? p.port() : p.port_last();
      for (uint32_t port = p.port(); port <= last && port <= 65535; ++port) {
        ports.insert({p.transport(), port});
      }
    }
  }
  return ToSpecs(ports);
}

SweepPlan DefaultSweepPlan() {
  SweepPlan plan;
  std::set<PortKey> ports = MydoomRange();
  for (const auto& [port, transport] : kDefaultBackdoors) ports.insert({transport, port});
  plan.backdoor_ports = ToSpecs(ports);
  for (const char* d : kDefaultDomains) plan.protected_domains.emplace_back(d);
  return plan;
}

absl::StatusOr<std::vector<std::string>> ParseProtectedDomains(absl::string_view text,
                                                               absl::string_view path) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    const size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line));
    if (name.empty()) continue;
    if (name.back() == '.') name.pop_back();
    if (!IsDomainName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": '", absl::CHexEscape(name.substr(0, 80)),
                       "' is not a domain name (one per line, e.g. symantec.com)"));
    }
    if (seen.insert(name).second) out.push_back(std::move(name));
  }
  return out;
}

absl::StatusOr<SweepPlan> SweepPlanFromRules(const std::string& dir,
                                             const cleansweep::v1::WormKnowledgeBase& worms) {
  SweepPlan plan = DefaultSweepPlan();
  plan.backdoor_ports = BackdoorPorts(worms);
  const std::string path = absl::StrCat(dir, "/", kProtectedDomainsFile);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return plan;  // the built-in list
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<std::string>> domains = ParseProtectedDomains(text.str(), path);
  if (!domains.ok()) return domains.status();
  plan.protected_domains = *std::move(domains);
  return plan;
}

}  // namespace cleansweep::collector
