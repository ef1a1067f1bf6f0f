#include "collector/audit/render.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "collector/detect/compiled_rules.h"
#include "collector/detect/evaluate.h"
#include "common/time_util.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::ActivityCount;
using cleansweep::v1::AuditReport;
using google::protobuf::util::TimeUtil;

std::string Time(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return FormatTimeUtc(absl::FromUnixSeconds(t.seconds()));
}

std::string Activity(const ActivityCount& a) {
  if (a.count() == 0) return "-";
  return absl::StrCat(a.count(), " (", a.distinct(), " distinct) ", Time(a.first()), " .. ",
                      Time(a.last()));
}

std::string Pct(double f) { return absl::StrFormat("%.1f %%", 100 * f); }

std::string Loss(const cleansweep::v1::HostCoverage& h) {
  const uint64_t lost = h.capture_dropped() + h.capture_interface_dropped();
  if (h.capture_received() == 0) return lost ? absl::StrCat(lost, " dropped") : "-";
  return absl::StrFormat("%d of %d packets (%.3f %%)", lost, h.capture_received(),
                         100.0 * static_cast<double>(lost) /
                             static_cast<double>(h.capture_received()));
}

const char* VerdictWord(cleansweep::v1::SweepVerdict v) {
  switch (v) {
    case cleansweep::v1::SWEEP_VERDICT_FOUND: return "FOUND";
    case cleansweep::v1::SWEEP_VERDICT_INCOMPLETE: return "incomplete";
    case cleansweep::v1::SWEEP_VERDICT_CLEAN: return "clean";
    default: return "no answer";
  }
}

std::string HostLabel(const cleansweep::v1::SweepHostAnswer& h) {
  std::string out = h.hostname();
  if (!h.addresses().empty() && h.addresses(0) != h.hostname()) {
    absl::StrAppend(&out, " (", h.addresses(0), ")");
  }
  return out;
}

// One line per thing found: the collector's reasons, or (external reports,
// without them) what the structured fields still say.
std::vector<std::string> FoundLines(const cleansweep::v1::SweepHostAnswer& h) {
  std::vector<std::string> out(h.reasons().begin(), h.reasons().end());
  if (!out.empty()) return out;
  for (const auto& l : h.backdoor_listeners()) {
    std::string line = absl::StrCat("listening on backdoor port ", l.local().port(), "/",
                                    l.transport() == cleansweep::v1::TRANSPORT_UDP ? "udp" : "tcp");
    for (const auto& p : l.processes()) absl::StrAppend(&line, ", pid ", p.pid(), " ", p.name());
    out.push_back(std::move(line));
  }
  for (const auto& e : h.hosts_redirects()) {
    out.push_back(absl::StrCat("hosts file line ", e.line(), " redirects ", e.name(),
                               " (protected domain ", e.domain(), ")"));
  }
  return out;
}

std::string SweepHeading(const cleansweep::v1::AuditSweep& s) {
  return absl::StrCat("sweep ", s.sweep_id(), " issued ", Time(s.issued_time()),
                      s.issued_before_window() ? " (before the window)" : "", ", expires ",
                      Time(s.expires_time()), s.expired() ? " (expired)" : "");
}

std::string SweepCounts(const cleansweep::v1::AuditSweep& s) {
  std::string out = absl::StrCat(s.asked(), " host(s) asked, ", s.delivered(), " reached, ",
                                 s.answered(), " answered: ", s.found(), " found something, ",
                                 s.incomplete(), " incomplete");
  if (s.asked() > s.answered()) {
    absl::StrAppend(&out, "; ", s.asked() - s.answered(), " did not answer",
                    s.expired() ? " (and never will: the sweep expired)" : "");
  }
  return out;
}

std::string AnswerTime(const cleansweep::v1::SweepHostAnswer& h) {
  if (!h.has_answered_time()) {
    return h.has_delivered_time() ? absl::StrCat("asked at ", Time(h.delivered_time()))
                                  : std::string("never reached");
  }
  return absl::StrCat("at ", Time(h.answered_time()),
                      h.answered_after_window() ? " (after the window)" : "");
}

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string AuditText(const AuditReport& r) {
  std::string o;
  absl::StrAppend(&o, "AUDIT ", r.site().empty() ? "" : absl::StrCat(r.site(), " "),
                  Time(r.from()), " .. ", Time(r.to()), "\n");
  absl::StrAppend(&o, "Verdict: ", r.verdict().kind(), "\n\n", r.verdict().sentence(), "\n\n");
  for (const auto& reason : r.verdict().reasons()) absl::StrAppend(&o, "  - ", reason, "\n");

  const auto& cov = r.coverage();
  absl::StrAppend(&o, "\n1. Coverage\n   ", cov.expected(), " hosts expected; ",
                  cov.watched_whole(), " watched the whole window, ", cov.watched_partly(),
                  " partly, ", cov.never(), " never (", Pct(cov.covered_fraction()),
                  " covered; ", Pct(cov.required_fraction()), " required for \"clean\")\n");
  for (const auto& h : cov.hosts()) {
    absl::StrAppend(&o, "   ", absl::StrFormat("%-24s", h.hostname()), " ", h.watched(), " ",
                    Pct(h.covered_fraction()), "; capture loss ", Loss(h));
    if (h.lost_events() > 0) absl::StrAppend(&o, "; ", h.lost_events(), " events lost");
    absl::StrAppend(&o, "\n");
    for (const auto& g : h.gaps()) {
      absl::StrAppend(&o, "      not watched ", Time(g.start()), " .. ", Time(g.end()), "\n");
    }
  }

  absl::StrAppend(&o, "\n2. Egress (per internal host)\n");
  if (r.egress().empty()) absl::StrAppend(&o, "   no SMTP, MX lookups or worm-port contacts\n");
  // Hosts that only submitted through the relay are the normal case: one line for all.
  uint64_t relay_only_hosts = 0, relay_only_sessions = 0;
  for (const auto& e : r.egress()) {
    if (e.smtp_direct_external().count() + e.smtp_other().count() + e.mx_lookups().count() +
            e.worm_ports().count() ==
        0) {
      ++relay_only_hosts;
      relay_only_sessions += e.smtp_via_relay().count();
    }
  }
  if (relay_only_hosts > 0) {
    absl::StrAppend(&o, "   ", relay_only_hosts, " hosts sent mail only through the approved relay (",
                    relay_only_sessions, " SMTP sessions) and nothing else watched\n");
  }
  for (const auto& e : r.egress()) {
    if (e.smtp_direct_external().count() + e.smtp_other().count() + e.mx_lookups().count() +
            e.worm_ports().count() ==
        0) {
      continue;
    }
    absl::StrAppend(&o, "   ", e.host(), e.agent_id().empty() ? "" : absl::StrCat(" (", e.agent_id(), ")"), "\n");
    absl::StrAppend(&o, "      SMTP via approved relay: ", Activity(e.smtp_via_relay()), "\n");
    absl::StrAppend(&o, "      SMTP directly to external servers: ",
                    Activity(e.smtp_direct_external()), "\n");
    if (e.smtp_other().count()) {
      absl::StrAppend(&o, "      SMTP to other internal servers: ", Activity(e.smtp_other()), "\n");
    }
    absl::StrAppend(&o, "      MX lookups: ", Activity(e.mx_lookups()), "\n");
    absl::StrAppend(&o, "      worm-port contacts: ", Activity(e.worm_ports()), "\n");
  }

  absl::StrAppend(&o, "\n3. Findings (rules ", r.rules_digest().substr(0, 16), "...)\n");
  if (r.findings().findings().empty()) absl::StrAppend(&o, "   none\n");
  for (const auto& f : r.findings().findings()) {
    absl::StrAppend(&o, "   ", f.host(), "  ", SeverityName(f.severity()), "  ", f.rule(), ": ",
                    f.peak(), IsSweepSignal(f.signal()) ? " found by one sweep answer" : " in one window",
                    " (threshold ", f.threshold(), "), ", Time(f.first_time()), " .. ",
                    Time(f.last_time()), "\n");
    for (const auto& e : f.evidence()) {
      absl::StrAppend(&o, "      ", Time(e.time()), " ", e.summary(), "\n");
    }
  }

  absl::StrAppend(&o, "\n4. Sweeps (each host checked itself for backdoors)\n");
  if (r.sweeps().sweeps().empty()) absl::StrAppend(&o, "   no sweep was issued up to the end of the window\n");
  for (const auto& s : r.sweeps().sweeps()) {
    absl::StrAppend(&o, "   ", SweepHeading(s), "\n   ", SweepCounts(s), "\n");
    uint64_t clean = 0;
    for (const auto& h : s.hosts()) {
      if (h.verdict() == cleansweep::v1::SWEEP_VERDICT_CLEAN) {
        ++clean;
        continue;
      }
      absl::StrAppend(&o, "      ", HostLabel(h), ": ", VerdictWord(h.verdict()), " ",
                      AnswerTime(h), "\n");
      for (const std::string& line : FoundLines(h)) absl::StrAppend(&o, "         ", line, "\n");
    }
    if (clean > 0) absl::StrAppend(&o, "      ", clean, " host(s) answered clean\n");
  }

  if (!r.complaints().empty()) absl::StrAppend(&o, "\n5. The complaint\n");
  for (const auto& c : r.complaints()) {
    absl::StrAppend(&o, "   ", c.source(), " (", c.kind(), ")\n");
    if (!c.feedback_type().empty()) {
      absl::StrAppend(&o, "      feedback type ", c.feedback_type(), ", source IP ",
                      c.arf_source_ip(), "\n");
    }
    absl::StrAppend(&o, "      From: ", c.from(), "\n      Return-Path: ", c.return_path(),
                    "\n      Message-ID: ", c.message_id(), "\n      Date: ", c.date(),
                    "\n      Subject: ", c.subject(), "\n");
    for (int i = 0; i < c.hops_size(); ++i) {
      const auto& h = c.hops(i);
      absl::StrAppend(&o, "      hop ", i + 1, c.hops(i).untrusted() ? " (untrusted)" : "", ": from ",
                      h.from_name(), " [", h.from_ip(), "] by ", h.by(), " ",
                      Time(h.date()), "\n");
    }
    for (const auto& a : c.auth()) {
      absl::StrAppend(&o, "      ", a.method(), "=", a.result(), " ", a.detail(), "\n");
    }
    absl::StrAppend(&o, "      origin ", c.origin_ip().empty() ? "unknown" : c.origin_ip(), " (",
                    c.boundary(), ")\n      ", c.decision(), "\n");
    for (const auto& s : c.suspects()) {
      absl::StrAppend(&o, "      suspect ", s.host(), ": ", s.sessions(), " SMTP sessions\n");
      for (const auto& ev : s.evidence()) {
        absl::StrAppend(&o, "         ", Time(ev.time()), " ", ev.summary(), "\n");
      }
    }
    for (const auto& w : c.warnings()) absl::StrAppend(&o, "      warning: ", w, "\n");
  }

  if (r.has_dmarc()) {
    const auto& d = r.dmarc();
    absl::StrAppend(&o, "\n6. DMARC aggregate reports\n   ", d.reports_size(), " reports about our domains, ",
                    d.messages(), " messages, ", d.messages_from_ours(), " from our addresses\n");
    for (const auto& x : d.sources()) {
      absl::StrAppend(&o, "   ", absl::StrFormat("%-39s", x.source_ip()), " ",
                      x.ours() ? "ours    " : "NOT ours", " ", x.messages(), " messages, DMARC pass ",
                      x.dmarc_pass(), " (DKIM aligned ", x.dkim_aligned_pass(), ", SPF aligned ",
                      x.spf_aligned_pass(), ")");
      for (const auto& [disp, n] : x.dispositions()) absl::StrAppend(&o, ", ", disp, " ", n);
      absl::StrAppend(&o, "\n");
    }
    for (const auto& w : d.warnings()) absl::StrAppend(&o, "   warning: ", w, "\n");
    for (const auto& k : d.skipped()) absl::StrAppend(&o, "   skipped: ", k, "\n");
  }

  absl::StrAppend(&o, "\nEvidence SHA-256: ", r.evidence_sha256(), "\n");
  if (r.has_signature()) {
    absl::StrAppend(&o, "Signed (", r.signature().algorithm(), ") by key ",
                    r.signature().public_key(), "\n");
  }
  absl::StrAppend(&o, "Generated ", Time(r.generated_at()), " for an ", r.audience(),
                  " audience.\n");
  return o;
}

std::string AuditHtml(const AuditReport& r) {
  auto e = [](absl::string_view s) { return HtmlEscape(s); };
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>cleansweep audit</title><style>"
      "body{font:14px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}"
      "h1{font-size:1.4em}h2{font-size:1.1em;border-bottom:1px solid #ccc;margin-top:1.6em}"
      "table{border-collapse:collapse;width:100%;margin:.5em 0}"
      "td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}"
      "th{background:#f4f4f4}.v{font-size:1.15em;padding:.7em;border-radius:4px}"
      ".clean{background:#e6f4ea}.infected{background:#fde7e7}.inconclusive{background:#fff4d6}"
      "code{font-size:.9em;word-break:break-all}"
      "@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}"
      "</style></head><body>\n";
  absl::StrAppend(&o, "<h1>Audit ", e(r.site()), ": ", e(Time(r.from())), " – ", e(Time(r.to())),
                  "</h1>\n<p class=\"v ", e(r.verdict().kind()), "\"><strong>",
                  e(r.verdict().kind()), "</strong> — ", e(r.verdict().sentence()), "</p>\n<ul>");
  for (const auto& reason : r.verdict().reasons()) absl::StrAppend(&o, "<li>", e(reason), "</li>");
  const auto& cov = r.coverage();
  absl::StrAppend(&o, "</ul>\n<h2>1. Coverage</h2><p>", cov.expected(), " expected, ",
                  cov.watched_whole(), " watched the whole window, ", cov.watched_partly(),
                  " partly, ", cov.never(), " never (", e(Pct(cov.covered_fraction())),
                  "; required ", e(Pct(cov.required_fraction())), ").</p>\n<table><tr><th>Host</th>"
                  "<th>Watched</th><th>Covered</th><th>Gaps</th><th>Capture loss</th>"
                  "<th>Lost events</th></tr>\n");
  for (const auto& h : cov.hosts()) {
    std::string gaps;
    for (const auto& g : h.gaps()) {
      absl::StrAppend(&gaps, e(Time(g.start())), " – ", e(Time(g.end())), "<br>");
    }
    absl::StrAppend(&o, "<tr><td>", e(h.hostname()), "</td><td>", e(h.watched()), "</td><td>",
                    e(Pct(h.covered_fraction())), "</td><td>", gaps.empty() ? "-" : gaps,
                    "</td><td>", e(Loss(h)), "</td><td>", h.lost_events(), "</td></tr>\n");
  }
  absl::StrAppend(&o, "</table>\n<h2>2. Egress</h2><table><tr><th>Host</th><th>SMTP via relay</th>"
                      "<th>SMTP direct to external</th><th>MX lookups</th><th>Worm ports</th>"
                      "</tr>\n");
  for (const auto& g : r.egress()) {
    absl::StrAppend(&o, "<tr><td>", e(g.host()), "</td><td>", e(Activity(g.smtp_via_relay())),
                    "</td><td>", e(Activity(g.smtp_direct_external())), "</td><td>",
                    e(Activity(g.mx_lookups())), "</td><td>", e(Activity(g.worm_ports())),
                    "</td></tr>\n");
  }
  absl::StrAppend(&o, "</table>\n<h2>3. Findings</h2><p>Rules <code>", e(r.rules_digest()),
                  "</code></p><table><tr><th>Host</th><th>Severity</th><th>Rule</th><th>Peak "
                  "(threshold)</th><th>First – last</th><th>Evidence</th></tr>\n");
  for (const auto& f : r.findings().findings()) {
    std::string ev;
    for (const auto& x : f.evidence()) {
      absl::StrAppend(&ev, e(Time(x.time())), " ", e(x.summary()), "<br>");
    }
    absl::StrAppend(&o, "<tr><td>", e(f.host()), "</td><td>", e(SeverityName(f.severity())),
                    "</td><td>", e(f.rule()), "</td><td>", f.peak(), " (", f.threshold(),
                    ")</td><td>", e(Time(f.first_time())), " – ", e(Time(f.last_time())),
                    "</td><td>", ev, "</td></tr>\n");
  }
  absl::StrAppend(&o, "</table>\n<h2>4. Sweeps</h2>\n");
  if (r.sweeps().sweeps().empty()) {
    absl::StrAppend(&o, "<p>No sweep was issued up to the end of the window.</p>\n");
  }
  for (const auto& s : r.sweeps().sweeps()) {
    absl::StrAppend(&o, "<p><strong>", e(SweepHeading(s)), "</strong><br>", e(SweepCounts(s)),
                    "</p>\n<table><tr><th>Host</th><th>Answer</th><th>When</th>"
                    "<th>What was found</th></tr>\n");
    std::string clean;
    for (const auto& h : s.hosts()) {
      if (h.verdict() == cleansweep::v1::SWEEP_VERDICT_CLEAN) {
        absl::StrAppend(&clean, clean.empty() ? "" : ", ", e(HostLabel(h)));
        continue;
      }
      std::string found;
      for (const std::string& line : FoundLines(h)) absl::StrAppend(&found, e(line), "<br>");
      absl::StrAppend(&o, "<tr><td>", e(HostLabel(h)), "</td><td>", e(VerdictWord(h.verdict())),
                      "</td><td>", e(AnswerTime(h)), "</td><td>", found.empty() ? "-" : found,
                      "</td></tr>\n");
    }
    absl::StrAppend(&o, "</table>\n");
    if (!clean.empty()) absl::StrAppend(&o, "<p>Answered clean: ", clean, "</p>\n");
  }
  if (!r.complaints().empty()) absl::StrAppend(&o, "<h2>5. The complaint</h2>\n");
  for (const auto& c : r.complaints()) {
    absl::StrAppend(&o, "<h3>", e(c.source()), " (", e(c.kind()), ")</h3><p>From ", e(c.from()),
                    "<br>Message-ID ", e(c.message_id()), "<br>Date ", e(c.date()),
                    "<br>Subject ", e(c.subject()), "</p><table><tr><th>#</th><th>from</th>"
                    "<th>by</th><th>date</th><th>trust</th></tr>");
    for (int i = 0; i < c.hops_size(); ++i) {
      const auto& h = c.hops(i);
      absl::StrAppend(&o, "<tr><td>", i + 1, "</td><td>", e(h.from_name()), " [", e(h.from_ip()),
                      "]</td><td>", e(h.by()), "</td><td>", e(Time(h.date())), "</td><td>",
                      h.untrusted() ? "untrusted" : "recipient", "</td></tr>");
    }
    absl::StrAppend(&o, "</table><p><strong>", e(c.decision()), "</strong></p>\n");
  }
  if (r.has_dmarc()) {
    absl::StrAppend(&o, "<h2>6. DMARC</h2><p>", r.dmarc().reports_size(), " reports, ",
                    r.dmarc().messages(), " messages, ", r.dmarc().messages_from_ours(),
                    " from our addresses.</p><table><tr><th>Source</th><th>Ours</th>"
                    "<th>Messages</th><th>DMARC pass</th><th>DKIM aligned</th><th>SPF aligned</th>"
                    "<th>Dispositions</th><th>Reporters</th></tr>\n");
    for (const auto& d : r.dmarc().sources()) {
      std::string disp, rep;
      for (const auto& [k, n] : d.dispositions()) absl::StrAppend(&disp, e(k), " ", n, " ");
      for (const auto& x : d.reporters()) absl::StrAppend(&rep, e(x), " ");
      absl::StrAppend(&o, "<tr><td>", e(d.source_ip()), "</td><td>", d.ours() ? "yes" : "no",
                      "</td><td>", d.messages(), "</td><td>", d.dmarc_pass(), "</td><td>",
                      d.dkim_aligned_pass(), "</td><td>", d.spf_aligned_pass(), "</td><td>", disp,
                      "</td><td>", rep, "</td></tr>\n");
    }
    absl::StrAppend(&o, "</table>\n");
  }
  absl::StrAppend(&o, "<h2>Seal</h2><p>Evidence SHA-256 <code>", e(r.evidence_sha256()),
                  "</code>");
  if (r.has_signature()) {
    absl::StrAppend(&o, "<br>Ed25519 signature by key <code>", e(r.signature().public_key()),
                    "</code>");
  }
  absl::StrAppend(&o, "<br>Generated ", e(Time(r.generated_at())), " for an ", e(r.audience()),
                  " audience. Check with <code>cleansweep-collector audit verify "
                  "REPORT.json</code>.</p>\n</body></html>\n");
  return o;
}

}  // namespace cleansweep::collector
