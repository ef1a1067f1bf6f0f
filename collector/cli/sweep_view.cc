#include "collector/cli/sweep_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "collector/sweep/sweep_judge.h"
#include "common/time_util.h"

namespace cleansweep::collector {
namespace {

std::string Time(const google::protobuf::Timestamp& ts) {
  return FormatTimeUtc(absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos()));
}

std::string Endpoint(const cleansweep::v1::Endpoint& e) {
  const std::string ip = EscapeForDisplay(e.ip());
  return ip.find(':') != std::string::npos ? absl::StrCat("[", ip, "]:", e.port())
                                           : absl::StrCat(ip, ":", e.port());
}

const char* VerdictName(cleansweep::v1::SweepVerdict v) {
  switch (v) {
    case cleansweep::v1::SWEEP_VERDICT_CLEAN:
      return "clean";
    case cleansweep::v1::SWEEP_VERDICT_FOUND:
      return "FOUND";
    case cleansweep::v1::SWEEP_VERDICT_INCOMPLETE:
      return "incomplete";
    default:
      return "no answer";
  }
}

void AppendFacts(const cleansweep::v1::SweepResult& r, std::string* out) {
  for (const auto& l : r.listeners()) {
    absl::StrAppend(out, "    listening ",
                    l.transport() == cleansweep::v1::TRANSPORT_UDP ? "udp " : "tcp ",
                    Endpoint(l.local()), "  ", DescribeProcesses(l.processes()), "\n");
  }
  for (const auto& c : r.smtp_connections()) {
    absl::StrAppend(out, "    smtp ", Endpoint(c.local()), " -> ", Endpoint(c.remote()), " ",
                    EscapeForDisplay(c.state()), "  ", DescribeProcesses(c.processes()), "\n");
  }
  for (const auto& e : r.hosts_redirects()) {
    absl::StrAppend(out, "    hosts ", EscapeForDisplay(r.hosts_file()), ":", e.line(), " ",
                    EscapeForDisplay(e.address()), " ", EscapeForDisplay(e.name()), "\n");
  }
  for (const auto& e : r.errors()) {
    absl::StrAppend(out, "    not checked: ", EscapeForDisplay(e), "\n");
  }
  if (r.omitted() > 0) absl::StrAppend(out, "    (", r.omitted(), " more not listed)\n");
  std::string capture;
  for (const auto& i : r.capture().interfaces()) {
    absl::StrAppend(&capture, capture.empty() ? "" : ", ", EscapeForDisplay(i.name()),
                    i.up() ? "" : " (down)", " dropped ", i.dropped() + i.interface_dropped(),
                    " of ", i.received());
  }
  absl::StrAppend(out, "    capture: ", capture.empty() ? "no interface reported" : capture,
                  "; checked ", r.checked_ports_size(), " port(s), ", r.hosts_entries(),
                  " hosts-file entr(ies) in ", EscapeForDisplay(r.hosts_file()), "\n");
}

}  // namespace

int SweepExitCode(const cleansweep::v1::SweepStatus& s) {
  if (s.found() > 0) return kSweepFound;
  if (s.answered() < s.asked() || s.incomplete() > 0) return kSweepUnanswered;
  return kSweepClean;
}

std::string SweepIssuedLine(const cleansweep::v1::SweepStatus& s) {
  return absl::StrCat("sweep ", s.request().sweep_id(), ": ", s.asked(), " agent(s) asked, ",
                      s.delivered(), " reached now; expires ", Time(s.request().expires_time()));
}

std::string SweepProgressLine(const cleansweep::v1::SweepStatus& s) {
  return absl::StrCat("answered ", s.answered(), "/", s.asked(), ": ", s.found(), " found, ",
                      s.incomplete(), " incomplete");
}

std::string SweepReport(const cleansweep::v1::SweepStatus& s) {
  std::string out =
      absl::StrCat("sweep ", s.request().sweep_id(), " issued ", Time(s.request().issued_time()),
                   ", expires ", Time(s.request().expires_time()), s.expired() ? " (expired)" : "",
                   "\n", SweepProgressLine(s), "\n");
  for (const auto& a : s.agents()) {
    absl::StrAppend(&out, a.agent_id(),
                    a.hostname().empty() || a.hostname() == a.agent_id()
                        ? ""
                        : absl::StrCat(" (", EscapeForDisplay(a.hostname()), ")"),
                    ": ", VerdictName(a.verdict()));
    if (a.verdict() == cleansweep::v1::SWEEP_VERDICT_UNSPECIFIED) {
      absl::StrAppend(&out, a.has_delivered_time()
                                ? absl::StrCat(" (asked ", Time(a.delivered_time()), ")")
                            : s.expired() ? " (never connected before the sweep expired)"
                                          : " (not connected yet)");
    } else {
      absl::StrAppend(&out, " at ", Time(a.answered_time()));
    }
    absl::StrAppend(&out, "\n");
    for (const std::string& r : a.reasons()) absl::StrAppend(&out, "  ", r, "\n");
    if (a.has_result()) AppendFacts(a.result(), &out);
  }
  return out;
}

std::string SweepListTable(const std::vector<cleansweep::v1::SweepStatus>& sweeps) {
  std::string out = absl::StrFormat("%-32s  %-20s  %-20s  %5s  %8s  %5s  %s\n", "SWEEP", "ISSUED",
                                    "EXPIRES", "ASKED", "ANSWERED", "FOUND", "STATE");
  for (const auto& s : sweeps) {
    absl::StrAppend(
        &out,
        absl::StrFormat("%-32s  %-20s  %-20s  %5d  %8d  %5d  %s\n", s.request().sweep_id(),
                        FormatTimeUtc(absl::FromUnixSeconds(s.request().issued_time().seconds())),
                        FormatTimeUtc(absl::FromUnixSeconds(s.request().expires_time().seconds())),
                        s.asked(), s.answered(), s.found(),
                        s.answered() == s.asked() ? "complete"
                        : s.expired()             ? "expired"
                                                  : "open"));
  }
  return out;
}

}  // namespace cleansweep::collector
