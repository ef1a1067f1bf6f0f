#include "collector/audit/verdict.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "collector/detect/evaluate.h"
#include "common/time_util.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AuditReport;
using google::protobuf::util::TimeUtil;

std::string Day(const google::protobuf::Timestamp& t) {
  return FormatTimeUtc(absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t)));
}

std::string Percent(double f) { return absl::StrFormat("%.1f %%", 100 * f); }

// "ws07 (10.20.1.7)": the host whose reported addresses hold `address`, or
// the address alone (an agent may also see other hosts' traffic, so the
// agent id does not name the host).
std::string HostName(const AuditReport& r, const std::string& address) {
  for (const auto& h : r.coverage().hosts()) {
    for (const auto& a : h.addresses()) {
      if (a == address && h.hostname() != address) {
        return absl::StrCat(h.hostname(), " (", address, ")");
      }
    }
  }
  return address;
}

// What a sweep reported, for an external reader: the port, transport and
// process names stay (they describe the worm); the addresses and executable
// paths (which name users and directories) go.
void RedactSweepEvidence(cleansweep::v1::ListeningSocket* listener,
                         cleansweep::v1::HostsFileEntry* entry) {
  if (listener != nullptr) {
    listener->mutable_local()->clear_ip();
    for (auto& p : *listener->mutable_processes()) p.clear_exe();
  }
  if (entry != nullptr) entry->clear_address();
}

}  // namespace

cleansweep::v1::Verdict DecideVerdict(const AuditReport& r) {
  cleansweep::v1::Verdict v;
  const std::string window = absl::StrCat(Day(r.from()), " and ", Day(r.to()));
  const std::string site = r.site().empty() ? "our network" : r.site();
  // Flagged host -> what it did, in first-seen order.
  std::vector<std::pair<std::string, std::vector<std::string>>> flagged;
  auto flag = [&flagged](const std::string& host, std::string what) {
    for (auto& [h, list] : flagged) {
      if (h == host) {
        list.push_back(std::move(what));
        return;
      }
    }
    flagged.push_back({host, {std::move(what)}});
  };
  for (const auto& hv : r.findings().verdicts()) {
    if (hv.severity() < cleansweep::v1::SEVERITY_SUSPICIOUS) continue;
    flag(HostName(r, hv.host()), std::string(SeverityName(hv.severity())));
    v.add_reasons(absl::StrCat(HostName(r, hv.host()), ": ",
                               SeverityName(hv.severity()), " (", hv.findings(), " findings)"));
  }
  // What a sweep saw on the host itself says more than a severity name.
  for (const auto& f : r.findings().findings()) {
    if (f.signal() == cleansweep::v1::SIGNAL_SWEEP_BACKDOOR_LISTENER &&
        f.severity() >= cleansweep::v1::SEVERITY_SUSPICIOUS) {
      flag(HostName(r, f.host()), "a backdoor listener found by a sweep");
    }
  }
  for (const auto& s : r.sweeps().sweeps()) {
    v.add_reasons(absl::StrCat("sweep ", s.sweep_id(), " (issued ", Day(s.issued_time()),
                               s.issued_before_window() ? ", before the window" : "", "): ",
                               s.answered(), " of ", s.asked(), " asked hosts answered, ",
                               s.found(), " found something"));
  }
  bool complaint_ours_unnamed = false, complaint_gap = false;
  std::vector<std::string> not_ours;
  for (const auto& c : r.complaints()) {
    if (c.origin_is_ours() && c.suspects_size() > 0) {
      for (const auto& s : c.suspects()) {
        flag(HostName(r, s.host()), "sent SMTP when the reported message left");
        v.add_reasons(absl::StrCat(c.source(), ": origin ", c.origin_ip(),
                                   " is ours and ", HostName(r, s.host()),
                                   " talked SMTP to it at that time"));
      }
    } else if (c.origin_is_ours()) {
      complaint_ours_unnamed = true;
      v.add_reasons(absl::StrCat(c.source(), ": origin ", c.origin_ip(),
                                 " is ours, but no host of ours talked SMTP at that time"));
    } else if (!c.origin_ip().empty()) {
      not_ours.push_back(c.origin_ip());
      v.add_reasons(absl::StrCat(c.source(), ": ", c.decision()));
    }
    if (c.coverage_gap_at_time()) {
      complaint_gap = true;
      v.add_reasons(absl::StrCat(c.source(), ": an expected host was not watched at ",
                                 Day(c.origin_time())));
    }
  }
  if (r.has_dmarc() && r.dmarc().messages() > 0) {
    v.add_reasons(absl::StrCat("DMARC reports: ", r.dmarc().messages() - r.dmarc().messages_from_ours(),
                               " of ", r.dmarc().messages(),
                               " messages using our domains came from addresses that are not ours"));
  }
  const auto& cov = r.coverage();
  const bool coverage_low = cov.covered_fraction() + 1e-12 < cov.required_fraction();
  v.add_reasons(absl::StrCat(cov.watched_whole(), " of ", cov.expected(),
                             " expected hosts watched for the whole window (",
                             Percent(cov.covered_fraction()), "; required ",
                             Percent(cov.required_fraction()), ")"));
  if (!flagged.empty()) {
    v.set_kind("infected");
    v.set_exit_code(kAuditInfected);
    std::vector<std::string> parts;
    for (const auto& [host, what] : flagged) {
      parts.push_back(absl::StrCat(host, ": ", absl::StrJoin(what, ", ")));
    }
    v.set_sentence(absl::StrCat(
        "Between ", window, ", ",
        flagged.size() == 1 ? std::string("one host") : absl::StrCat(flagged.size(), " hosts"),
        " of ", site, " showed worm or mass-mailing behaviour (", absl::StrJoin(parts, "; "),
        "); we are isolating and cleaning ", flagged.size() == 1 ? "it" : "them", "."));
  } else if (coverage_low || complaint_gap || complaint_ours_unnamed) {
    v.set_kind("inconclusive");
    v.set_exit_code(kAuditInconclusive);
    std::string why;
    if (coverage_low) {
      why = absl::StrCat("only ", cov.watched_whole(), " of ", cov.expected(),
                         " expected hosts were watched for the whole period (",
                         Percent(cov.covered_fraction()), " covered, ",
                         Percent(cov.required_fraction()), " required)");
    } else if (complaint_gap) {
      why = "some of our hosts were not watched at the time the message was sent";
    } else {
      why = "the message left through our own address, but no host of ours can be named";
    }
    v.set_sentence(absl::StrCat("Between ", window,
                                " we cannot yet rule out that the message came from ", site,
                                ": ", why, "."));
  } else {
    v.set_kind("clean");
    v.set_exit_code(kAuditClean);
    // "All" only when it is true: a site may accept "clean" below full
    // coverage (clean_coverage < 1), and the sentence goes to the complainant.
    std::string sentence =
        cov.watched_whole() == cov.expected()
            ? absl::StrCat("Between ", window, " all ", cov.expected(), " expected hosts of ",
                           site, " were watched (", Percent(cov.covered_fraction()), ")")
            : absl::StrCat("Between ", window, " ", cov.watched_whole(), " of ", cov.expected(),
                           " expected hosts of ", site, " were watched for the whole window (",
                           Percent(cov.covered_fraction()), "; ",
                           Percent(cov.required_fraction()), " required)");
    absl::StrAppend(&sentence, " and none showed worm or mass-mailing behaviour");
    if (!not_ours.empty()) {
      absl::StrAppend(&sentence, "; the message you reported entered your system from ",
                      absl::StrJoin(not_ours, ", "), ", which is not ours");
    }
    v.set_sentence(absl::StrCat(sentence, "."));
  }
  return v;
}

void RedactForExternal(AuditReport* r) {
  r->set_audience("external");
  std::map<std::string, std::string> label_by_agent, label_by_address;
  int next = 0;
  auto label_for_agent = [&](const std::string& agent) -> std::string {
    auto [it, added] = label_by_agent.emplace(agent, "");
    if (added) it->second = absl::StrCat("host ", ++next);
    return it->second;
  };
  for (auto& h : *r->mutable_coverage()->mutable_hosts()) {
    const std::string label = label_for_agent(h.agent_id().empty() ? h.hostname() : h.agent_id());
    for (const auto& a : h.addresses()) label_by_address[a] = label;
    h.set_hostname(label);
    h.clear_agent_id();
    h.clear_addresses();
  }
  // Addresses no coverage row holds get labels of their own.
  auto label = [&](const std::string& address, const std::string& /*agent*/) {
    auto a = label_by_address.find(address);
    if (a != label_by_address.end()) return a->second;
    return label_by_address[address] = label_for_agent(absl::StrCat("address ", address));
  };
  for (auto& e : *r->mutable_egress()) {
    e.set_host(label(e.host(), e.agent_id()));
    e.clear_agent_id();
  }
  auto* findings = r->mutable_findings();
  for (auto& f : *findings->mutable_findings()) {
    f.set_host(label(f.host(), f.agent_id()));
    f.clear_agent_id();
    for (auto& ev : *f.mutable_evidence()) {
      ev.clear_agent_id();
      ev.clear_summary();
    }
  }
  for (auto& f : *findings->mutable_findings()) {
    for (auto& ev : *f.mutable_evidence()) {
      RedactSweepEvidence(ev.has_listener() ? ev.mutable_listener() : nullptr,
                          ev.has_hosts_entry() ? ev.mutable_hosts_entry() : nullptr);
    }
  }
  for (auto& sweep : *r->mutable_sweeps()->mutable_sweeps()) {
    for (auto& h : *sweep.mutable_hosts()) {
      h.set_hostname(label_for_agent(h.agent_id()));
      h.clear_agent_id();
      h.clear_addresses();
      h.clear_reasons();
      for (auto& l : *h.mutable_backdoor_listeners()) RedactSweepEvidence(&l, nullptr);
      for (auto& e : *h.mutable_hosts_redirects()) RedactSweepEvidence(nullptr, &e);
    }
  }
  for (auto& hv : *findings->mutable_verdicts()) {
    hv.set_host(label(hv.host(), hv.agent_id()));
    hv.clear_agent_id();
  }
  for (auto& c : *r->mutable_complaints()) {
    for (auto& s : *c.mutable_suspects()) {
      s.set_host(label(s.host(), s.agent_id()));
      s.clear_agent_id();
      for (auto& ev : *s.mutable_evidence()) {
        ev.clear_agent_id();
        ev.clear_summary();
      }
    }
  }
}

}  // namespace cleansweep::collector
