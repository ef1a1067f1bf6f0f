#include "collector/sweep/sweep_findings.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collector/detect/evaluate.h"
#include "collector/sweep/sweep_judge.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::EvidenceRef;
using cleansweep::v1::Finding;
using cleansweep::v1::Signal;
using cleansweep::v1::Transport;
using google::protobuf::util::TimeUtil;

// The sweep judge reads an unset transport as TCP; so do the rules.
Transport Normal(Transport t) {
  return t == cleansweep::v1::TRANSPORT_UDP ? cleansweep::v1::TRANSPORT_UDP
                                            : cleansweep::v1::TRANSPORT_TCP;
}

const char* TransportName(Transport t) {
  return Normal(t) == cleansweep::v1::TRANSPORT_UDP ? "udp" : "tcp";
}

// What one answer counted for one rule: the count and one evidence item per
// counted socket or entry, in the answer's order.
struct Counted {
  int64_t count = 0;
  std::vector<EvidenceRef> items;
};

Counted Count(const CompiledRule& rule, const SweepAnswerFacts& a) {
  Counted c;
  EvidenceRef base;
  base.set_agent_id(a.agent_id);
  *base.mutable_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(a.answered_time));
  base.set_sweep_id(a.sweep_id);
  const std::string prefix = absl::StrCat("sweep ", EscapeForDisplay(a.sweep_id), ": ");
  if (rule.rule->signal() == Signal::SIGNAL_SWEEP_BACKDOOR_LISTENER) {
    std::set<std::pair<int, uint32_t>> asked, distinct;
    for (const auto& p : a.request.backdoor_ports()) asked.insert({Normal(p.transport()), p.port()});
    for (const auto& l : a.result.listeners()) {
      const Transport t = Normal(l.transport());
      const uint32_t port = l.local().port();
      if (!asked.contains({t, port})) continue;
      if (!rule.ports.empty() && !CompiledRules::InRanges(rule.ports, port, t)) continue;
      distinct.insert({t, port});
      EvidenceRef& e = c.items.emplace_back(base);
      *e.mutable_listener() = l;
      e.set_summary(absl::StrCat(prefix, "listening on backdoor port ", port, "/",
                                 TransportName(t), " (", EscapeForDisplay(l.local().ip()),
                                 "): ", DescribeProcesses(l.processes())));
    }
    c.count = static_cast<int64_t>(distinct.size());
  } else if (rule.rule->signal() == Signal::SIGNAL_SWEEP_HOSTS_REDIRECT) {
    std::set<std::string> names;
    for (const auto& h : a.result.hosts_redirects()) {
      names.insert(h.name());
      EvidenceRef& e = c.items.emplace_back(base);
      *e.mutable_hosts_entry() = h;
      e.set_summary(absl::StrCat(prefix, "hosts file ", EscapeForDisplay(a.result.hosts_file()),
                                 " line ", h.line(), " sends ", EscapeForDisplay(h.name()),
                                 " to ", EscapeForDisplay(h.address()), " (protected domain ",
                                 EscapeForDisplay(h.domain()), ")"));
    }
    c.count = static_cast<int64_t>(names.size());
  }
  return c;
}

struct Episode {
  size_t first = 0;  // index of the first firing answer
  size_t last = 0;   // of the last
  int64_t peak = 0;
  int64_t fired = 0;  // answers that fired
};

Finding MakeFinding(const CompiledRules& rules, const CompiledRule& rule,
                    const std::vector<const SweepAnswerFacts*>& answers,
                    const std::vector<Counted>& counted, const Episode& ep) {
  const cleansweep::v1::DetectionRule& r = *rule.rule;
  const SweepAnswerFacts& first = *answers[ep.first];
  const SweepAnswerFacts& last = *answers[ep.last];
  Finding f;
  f.set_host(first.host);
  f.set_agent_id(first.agent_id);
  f.set_rule(r.name());
  f.set_signal(r.signal());
  f.set_severity(r.severity());
  *f.mutable_window() = r.window();
  f.set_threshold(r.threshold());
  f.set_min_ratio(r.min_ratio());
  f.set_description(r.description());
  const auto at = [](const SweepAnswerFacts& a) {
    return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(a.answered_time));
  };
  *f.mutable_first_time() = at(first);
  *f.mutable_fired_time() = at(first);
  *f.mutable_last_time() = at(last);
  f.set_peak(ep.peak);
  f.set_total(ep.fired);
  const std::vector<EvidenceRef>& items = counted[ep.first].items;
  for (size_t i = 0; i < items.size() && i < static_cast<size_t>(kEvidenceFirst) + 1; ++i) {
    *f.add_evidence() = items[i];
  }
  if (ep.last != ep.first && !counted[ep.last].items.empty()) {
    *f.add_evidence() = counted[ep.last].items.front();
  }
  f.set_rules_digest(rules.digest());
  return f;
}

}  // namespace

std::vector<Finding> JudgeSweepAnswers(const CompiledRules& rules,
                                       absl::Span<const SweepAnswerFacts> answers) {
  // Each (host, agent)'s answers in time order (then by sweep id, so equal
  // times give one order).
  std::map<std::pair<std::string, std::string>, std::vector<const SweepAnswerFacts*>> by_host;
  for (const SweepAnswerFacts& a : answers) by_host[{a.host, a.agent_id}].push_back(&a);
  std::vector<Finding> out;
  for (auto& [key, list] : by_host) {
    std::stable_sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
      return std::tie(a->answered_time, a->sweep_id) < std::tie(b->answered_time, b->sweep_id);
    });
    for (const CompiledRule& rule : rules.sweep_rules) {
      std::vector<Counted> counted;
      counted.reserve(list.size());
      for (const SweepAnswerFacts* a : list) counted.push_back(Count(rule, *a));
      const absl::Duration window = absl::Microseconds(rule.window_us);
      std::optional<Episode> open;
      for (size_t i = 0; i < list.size(); ++i) {
        if (counted[i].count < rule.rule->threshold()) continue;
        if (open && list[i]->answered_time - list[open->last]->answered_time < window) {
          open->last = i;
          open->peak = std::max(open->peak, counted[i].count);
          ++open->fired;
          continue;
        }
        if (open) out.push_back(MakeFinding(rules, rule, list, counted, *open));
        open = Episode{i, i, counted[i].count, 1};
      }
      if (open) out.push_back(MakeFinding(rules, rule, list, counted, *open));
    }
  }
  SortFindings(&out);
  return out;
}

}  // namespace cleansweep::collector
