#include "collector/sweep/sweep_judge.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cleansweep::collector {
namespace {

const char* TransportName(cleansweep::v1::Transport t) {
  return t == cleansweep::v1::TRANSPORT_UDP ? "udp" : "tcp";
}

absl::Status TooLong(absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat("SweepResult.", field, " is longer than ", kMaxSweepString, " bytes"));
}

std::string Quote(absl::string_view s) { return EscapeForDisplay(s); }

}  // namespace

std::string EscapeForDisplay(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (absl::ascii_isprint(static_cast<unsigned char>(c)) && c != '\\') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    }
  }
  return out;
}

std::string DescribeProcesses(
    const google::protobuf::RepeatedPtrField<cleansweep::v1::ProcessInfo>& processes) {
  if (processes.empty()) return "process unknown";
  std::vector<std::string> parts;
  for (const auto& p : processes) {
    std::string s = absl::StrCat("pid ", p.pid(), " ", Quote(p.name()));
    if (!p.exe().empty()) absl::StrAppend(&s, " (", Quote(p.exe()), ")");
    parts.push_back(std::move(s));
  }
  return absl::StrJoin(parts, ", ");
}

SweepJudgement JudgeSweep(const cleansweep::v1::SweepRequest& request,
                          const cleansweep::v1::SweepResult& result) {
  std::set<std::pair<int, uint32_t>> backdoors;
  for (const auto& p : request.backdoor_ports()) {
    backdoors.insert({p.transport() == cleansweep::v1::TRANSPORT_UDP
                          ? cleansweep::v1::TRANSPORT_UDP
                          : cleansweep::v1::TRANSPORT_TCP,
                      p.port()});
  }
  SweepJudgement j;
  for (const auto& l : result.listeners()) {
    const int transport = l.transport() == cleansweep::v1::TRANSPORT_UDP
                              ? cleansweep::v1::TRANSPORT_UDP
                              : cleansweep::v1::TRANSPORT_TCP;
    if (!backdoors.contains({transport, l.local().port()})) continue;
    j.reasons.push_back(absl::StrCat("listening on backdoor port ", l.local().port(), "/",
                                     TransportName(l.transport()), " (", Quote(l.local().ip()),
                                     "): ", DescribeProcesses(l.processes())));
  }
  for (const auto& e : result.hosts_redirects()) {
    j.reasons.push_back(absl::StrCat("hosts file ", Quote(result.hosts_file()), " line ", e.line(),
                                     " sends ", Quote(e.name()), " to ", Quote(e.address()),
                                     " (protected domain ", Quote(e.domain()), ")"));
  }
  if (!j.reasons.empty()) {
    j.verdict = cleansweep::v1::SWEEP_VERDICT_FOUND;
    return j;
  }
  for (const std::string& e : result.errors()) {
    j.reasons.push_back(absl::StrCat("not checked: ", Quote(e)));
  }
  j.verdict = j.reasons.empty() ? cleansweep::v1::SWEEP_VERDICT_CLEAN
                                : cleansweep::v1::SWEEP_VERDICT_INCOMPLETE;
  return j;
}

absl::Status ValidateSweepResult(const cleansweep::v1::SweepResult& r) {
  if (r.listeners_size() > kMaxSweepListeners) {
    return absl::InvalidArgumentError("SweepResult has too many listeners");
  }
  if (r.smtp_connections_size() > kMaxSweepConnections) {
    return absl::InvalidArgumentError("SweepResult has too many SMTP connections");
  }
  if (r.hosts_redirects_size() > kMaxSweepHostsEntries) {
    return absl::InvalidArgumentError("SweepResult has too many hosts-file entries");
  }
  if (r.errors_size() > kMaxSweepErrors) {
    return absl::InvalidArgumentError("SweepResult has too many errors");
  }
  if (r.checked_ports_size() > 2 * 65536) {
    return absl::InvalidArgumentError("SweepResult has too many checked ports");
  }
  auto processes_ok = [](const auto& list) {
    if (list.size() > kMaxSweepProcessesPerSocket) return false;
    for (const auto& p : list) {
      if (p.name().size() > kMaxSweepString || p.exe().size() > kMaxSweepString) return false;
    }
    return true;
  };
  for (const auto& l : r.listeners()) {
    if (!processes_ok(l.processes()))
      return absl::InvalidArgumentError("SweepResult.listeners: processes out of bounds");
    if (l.local().ip().size() > 64) return TooLong("listeners.local.ip");
  }
  for (const auto& c : r.smtp_connections()) {
    if (!processes_ok(c.processes()))
      return absl::InvalidArgumentError("SweepResult.smtp_connections: processes out of bounds");
    if (c.local().ip().size() > 64 || c.remote().ip().size() > 64 || c.state().size() > 64) {
      return TooLong("smtp_connections");
    }
  }
  for (const auto& e : r.hosts_redirects()) {
    if (e.name().size() > kMaxSweepString || e.address().size() > kMaxSweepString ||
        e.domain().size() > kMaxSweepString) {
      return TooLong("hosts_redirects");
    }
  }
  for (const auto& e : r.errors()) {
    if (e.size() > kMaxSweepString) return TooLong("errors");
  }
  if (r.hosts_file().size() > kMaxSweepString) return TooLong("hosts_file");
  if (r.capture().interfaces_size() > 256 || r.capture().malformed_size() > 1024) {
    return absl::InvalidArgumentError("SweepResult.capture out of bounds");
  }
  if (r.platform().size() > 64) return TooLong("platform");
  return absl::OkStatus();
}

}  // namespace cleansweep::collector
