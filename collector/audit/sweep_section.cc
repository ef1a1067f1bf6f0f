#include "collector/audit/sweep_section.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "collector/sweep/sweep_answers.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AuditSweep;
using cleansweep::v1::SweepHostAnswer;
using cleansweep::v1::SweepStatus;
using google::protobuf::util::TimeUtil;

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

int Order(cleansweep::v1::SweepVerdict v) {
  switch (v) {
    case cleansweep::v1::SWEEP_VERDICT_FOUND: return 0;
    case cleansweep::v1::SWEEP_VERDICT_INCOMPLETE: return 1;
    case cleansweep::v1::SWEEP_VERDICT_CLEAN: return 2;
    default: return 3;  // no answer
  }
}

// The sockets the sweep judge calls backdoors (sweep_judge.cc: an unset
// transport is TCP).
bool OnBackdoorPort(const cleansweep::v1::SweepRequest& request,
                    const cleansweep::v1::ListeningSocket& l) {
  auto normal = [](cleansweep::v1::Transport t) {
    return t == cleansweep::v1::TRANSPORT_UDP ? cleansweep::v1::TRANSPORT_UDP
                                              : cleansweep::v1::TRANSPORT_TCP;
  };
  for (const auto& p : request.backdoor_ports()) {
    if (p.port() == l.local().port() && normal(p.transport()) == normal(l.transport())) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<cleansweep::v1::SweepSection> LoadSweepSection(
    EventStore& store, const CompiledRules& rules, const cleansweep::v1::CoverageSection& coverage,
    absl::Time from, absl::Time to, absl::Time now) {
  // Which sweeps: issued in the window, or found something in it.
  std::set<std::string> ids;
  SweepQuery issued;
  issued.issued_from = from;
  issued.issued_to = to;
  issued.with_agents = false;
  ASSIGN_OR_RETURN(std::vector<SweepStatus> in_window, store.ListSweeps(issued, now));
  for (const SweepStatus& s : in_window) ids.insert(s.request().sweep_id());
  SweepAnswerQuery found;
  found.from = from;
  found.to = to;
  found.found_only = true;
  ASSIGN_OR_RETURN(std::vector<StoredSweepAnswer> answers, store.ListSweepAnswers(found));
  for (const StoredSweepAnswer& a : answers) ids.insert(a.request.sweep_id());
  if (ids.empty()) {
    SweepQuery before;
    before.issued_to = to;
    before.limit = 1;
    before.with_agents = false;
    ASSIGN_OR_RETURN(std::vector<SweepStatus> latest, store.ListSweeps(before, now));
    for (const SweepStatus& s : latest) ids.insert(s.request().sweep_id());
  }

  std::map<std::string, std::string> inventory_name;  // agent id -> hostname
  for (const auto& h : coverage.hosts()) {
    if (!h.agent_id().empty()) inventory_name.emplace(h.agent_id(), h.hostname());
  }
  std::map<std::string, std::vector<AddressRecord>> history;  // by agent, read once
  auto addresses = [&](const std::string& agent,
                       absl::Time at) -> absl::StatusOr<std::vector<std::string>> {
    auto it = history.find(agent);
    if (it == history.end()) {
      AddressHistoryFilter filter;
      filter.host = agent;
      ASSIGN_OR_RETURN(std::vector<AddressRecord> periods, store.ListAddressHistory(filter));
      it = history.emplace(agent, std::move(periods)).first;
    }
    return HostAddressesAt(it->second, rules, agent, at);
  };

  cleansweep::v1::SweepSection section;
  std::vector<AuditSweep> sweeps;
  for (const std::string& id : ids) {
    SweepQuery one;
    one.sweep_id = id;
    ASSIGN_OR_RETURN(std::vector<SweepStatus> got, store.ListSweeps(one, now));
    if (got.empty()) continue;  // gone between the two reads
    SweepStatus& s = got[0];
    AuditSweep& a = sweeps.emplace_back();
    a.set_sweep_id(id);
    *a.mutable_issued_time() = s.request().issued_time();
    *a.mutable_expires_time() = s.request().expires_time();
    a.set_expired(s.expired());
    a.set_issued_before_window(TimeOf(s.request().issued_time()) < from);
    a.set_asked(s.asked());
    a.set_delivered(s.delivered());
    a.set_answered(s.answered());
    a.set_found(s.found());
    a.set_incomplete(s.incomplete());
    std::vector<SweepHostAnswer> hosts;
    for (auto& agent : *s.mutable_agents()) {
      SweepHostAnswer& h = hosts.emplace_back();
      auto name = inventory_name.find(agent.agent_id());
      h.set_hostname(name != inventory_name.end() ? name->second
                     : agent.hostname().empty()   ? agent.agent_id()
                                                  : agent.hostname());
      h.set_agent_id(agent.agent_id());
      const bool answered = agent.has_answered_time();
      const absl::Time at =
          answered ? TimeOf(agent.answered_time()) : TimeOf(s.request().issued_time());
      ASSIGN_OR_RETURN(std::vector<std::string> held, addresses(agent.agent_id(), at));
      for (std::string& ip : held) h.add_addresses(std::move(ip));
      if (agent.has_delivered_time()) *h.mutable_delivered_time() = agent.delivered_time();
      if (answered) {
        *h.mutable_answered_time() = agent.answered_time();
        h.set_answered_after_window(at > to);
      } else {
        section.set_unanswered(section.unanswered() + 1);
      }
      h.set_verdict(agent.verdict());
      for (const std::string& r : agent.reasons()) h.add_reasons(r);
      for (const auto& l : agent.result().listeners()) {
        if (OnBackdoorPort(s.request(), l)) *h.add_backdoor_listeners() = l;
      }
      for (const auto& e : agent.result().hosts_redirects()) *h.add_hosts_redirects() = e;
    }
    std::stable_sort(hosts.begin(), hosts.end(), [](const auto& x, const auto& y) {
      return std::make_tuple(Order(x.verdict()), x.hostname(), x.agent_id()) <
             std::make_tuple(Order(y.verdict()), y.hostname(), y.agent_id());
    });
    for (SweepHostAnswer& h : hosts) *a.add_hosts() = std::move(h);
  }
  std::stable_sort(sweeps.begin(), sweeps.end(), [](const AuditSweep& x, const AuditSweep& y) {
    const int64_t tx = TimeUtil::TimestampToMicroseconds(x.issued_time());
    const int64_t ty = TimeUtil::TimestampToMicroseconds(y.issued_time());
    return tx != ty ? tx > ty : x.sweep_id() < y.sweep_id();
  });
  for (AuditSweep& a : sweeps) *section.add_sweeps() = std::move(a);
  return section;
}

}  // namespace cleansweep::collector
