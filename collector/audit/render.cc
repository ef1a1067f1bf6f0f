#include "collector/audit/render.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
                    f.peak(), " in one window (threshold ", f.threshold(), "), ", Time(f.first_time()),
                    " .. ", Time(f.last_time()), "\n");
    for (const auto& e : f.evidence()) {
      absl::StrAppend(&o, "      ", Time(e.time()), " ", e.summary(), "\n");
    }
  }

  if (!r.complaints().empty()) absl::StrAppend(&o, "\n4. The complaint\n");
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
    absl::StrAppend(&o, "\n5. DMARC aggregate reports\n   ", d.reports_size(), " reports about our domains, ",
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
  absl::StrAppend(&o, "</table>\n");
  if (!r.complaints().empty()) absl::StrAppend(&o, "<h2>4. The complaint</h2>\n");
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
    absl::StrAppend(&o, "<h2>5. DMARC</h2><p>", r.dmarc().reports_size(), " reports, ",
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
