#include "collector/web/sweeps_api.h"

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/web/json_writer.h"
#include "common/status_macros.h"

namespace cleansweep::collector::web {
namespace {

using cleansweep::v1::SweepAgentStatus;
using cleansweep::v1::SweepStatus;

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// Unset timestamps are null.
std::optional<absl::Time> MaybeTime(bool set, const google::protobuf::Timestamp& ts) {
  if (!set) return std::nullopt;
  return ToTime(ts);
}

const char* StatusOf(cleansweep::v1::SweepVerdict v) {
  switch (v) {
    case cleansweep::v1::SWEEP_VERDICT_FOUND: return "found";
    case cleansweep::v1::SWEEP_VERDICT_CLEAN: return "clean";
    case cleansweep::v1::SWEEP_VERDICT_INCOMPLETE: return "incomplete";
    default: return "no answer";
  }
}

int Order(cleansweep::v1::SweepVerdict v) {
  switch (v) {
    case cleansweep::v1::SWEEP_VERDICT_FOUND: return 0;
    case cleansweep::v1::SWEEP_VERDICT_INCOMPLETE: return 1;
    case cleansweep::v1::SWEEP_VERDICT_CLEAN: return 2;
    default: return 3;
  }
}

const char* TransportName(cleansweep::v1::Transport t) {
  return t == cleansweep::v1::TRANSPORT_UDP ? "udp" : "tcp";
}

// The sweep object's fields (the caller opens and closes the object).
void WriteSweepFields(const SweepStatus& s, JsonWriter* w) {
  w->Key("id").String(s.request().sweep_id())
      .Key("issued").Time(ToTime(s.request().issued_time()))
      .Key("expires").Time(ToTime(s.request().expires_time()))
      .Key("expired").Bool(s.expired())
      .Key("asked").Uint(s.asked())
      .Key("delivered").Uint(s.delivered())
      .Key("answered").Uint(s.answered())
      .Key("found").Uint(s.found())
      .Key("incomplete").Uint(s.incomplete());
}

void WriteReasons(const SweepAgentStatus& a, JsonWriter* w) {
  w->Key("reasons").BeginArray();
  for (const std::string& r : a.reasons()) w->String(r);
  w->EndArray();
}

void WriteProcesses(
    const google::protobuf::RepeatedPtrField<cleansweep::v1::ProcessInfo>& processes,
    JsonWriter* w) {
  w->Key("processes").BeginArray();
  for (const auto& p : processes) {
    w->BeginObject()
        .Key("pid").Uint(p.pid())
        .Key("name").String(p.name())
        .Key("exe").String(p.exe())
        .EndObject();
  }
  w->EndArray();
}

std::string Endpoint(const cleansweep::v1::Endpoint& e) {
  // IPv6 in brackets, so that the port reads apart from the address.
  return e.ip().find(':') != std::string::npos ? absl::StrCat("[", e.ip(), "]:", e.port())
                                               : absl::StrCat(e.ip(), ":", e.port());
}

void WriteResult(const SweepStatus& s, const SweepAgentStatus& a, JsonWriter* w) {
  const cleansweep::v1::SweepResult& r = a.result();
  std::vector<std::pair<int, uint32_t>> backdoors;
  for (const auto& p : s.request().backdoor_ports()) {
    backdoors.push_back({p.transport() == cleansweep::v1::TRANSPORT_UDP, p.port()});
  }
  w->BeginObject()
      .Key("sweepId").String(s.request().sweep_id())
      .Key("issued").Time(ToTime(s.request().issued_time()))
      .Key("expired").Bool(s.expired())
      .Key("delivered").Time(MaybeTime(a.has_delivered_time(), a.delivered_time()))
      .Key("time").Time(MaybeTime(a.has_answered_time(), a.answered_time()))
      .Key("status").String(StatusOf(a.verdict()));
  WriteReasons(a, w);
  w->Key("platform").String(r.platform())
      .Key("hostsFile").String(r.hosts_file())
      .Key("hostsEntries").Uint(r.hosts_entries())
      .Key("listeners").BeginArray();
  for (const auto& l : r.listeners()) {
    const std::pair<int, uint32_t> key{l.transport() == cleansweep::v1::TRANSPORT_UDP,
                                       l.local().port()};
    w->BeginObject()
        .Key("transport").String(TransportName(l.transport()))
        .Key("address").String(l.local().ip())
        .Key("port").Uint(l.local().port())
        .Key("backdoor").Bool(std::find(backdoors.begin(), backdoors.end(), key) != backdoors.end());
    WriteProcesses(l.processes(), w);
    w->EndObject();
  }
  w->EndArray().Key("smtpConnections").BeginArray();
  for (const auto& c : r.smtp_connections()) {
    w->BeginObject()
        .Key("local").String(Endpoint(c.local()))
        .Key("remote").String(Endpoint(c.remote()))
        .Key("state").String(c.state());
    WriteProcesses(c.processes(), w);
    w->EndObject();
  }
  w->EndArray().Key("hostsRedirects").BeginArray();
  for (const auto& e : r.hosts_redirects()) {
    w->BeginObject()
        .Key("line").Uint(e.line())
        .Key("name").String(e.name())
        .Key("address").String(e.address())
        .Key("domain").String(e.domain())
        .EndObject();
  }
  w->EndArray().Key("errors").BeginArray();
  for (const std::string& e : r.errors()) w->String(e);
  w->EndArray()
      .Key("unattributed").Uint(r.unattributed())
      .Key("omitted").Uint(r.omitted())
      .EndObject();
}

}  // namespace

absl::StatusOr<std::string> SweepsJson(EventStore& store, const StatusSnapshot& snapshot,
                                       const std::map<std::string, std::string>& params) {
  JsonWriter w;
  w.BeginObject().Key("now").Time(snapshot.now);
  auto id = params.find("id");
  if (id != params.end()) {
    SweepQuery one;
    one.sweep_id = id->second;
    one.with_results = false;
    ASSIGN_OR_RETURN(std::vector<SweepStatus> found, store.ListSweeps(one, snapshot.now));
    if (id->second.empty() || found.empty()) {
      return absl::NotFoundError(absl::StrCat("no sweep ", id->second.substr(0, 64)));
    }
    SweepStatus& s = found[0];
    std::vector<SweepAgentStatus*> agents;
    for (auto& a : *s.mutable_agents()) agents.push_back(&a);
    auto name = [&](const SweepAgentStatus& a) -> std::string {
      auto at = snapshot.by_agent.find(a.agent_id());
      if (at != snapshot.by_agent.end()) return snapshot.hosts[at->second].day.hostname;
      return a.hostname().empty() ? a.agent_id() : a.hostname();
    };
    std::stable_sort(agents.begin(), agents.end(), [&](const auto* x, const auto* y) {
      return std::make_tuple(Order(x->verdict()), name(*x), x->agent_id()) <
             std::make_tuple(Order(y->verdict()), name(*y), y->agent_id());
    });
    w.Key("sweep").BeginObject();
    WriteSweepFields(s, &w);
    w.Key("hosts").BeginArray();
    for (const SweepAgentStatus* a : agents) {
      auto at = snapshot.by_agent.find(a->agent_id());
      w.BeginObject().Key("key");
      if (at != snapshot.by_agent.end()) {
        w.String(snapshot.hosts[at->second].key);
      } else {
        w.Null();
      }
      w.Key("hostname").String(name(*a))
          .Key("agentId").String(a->agent_id())
          .Key("delivered").Time(MaybeTime(a->has_delivered_time(), a->delivered_time()))
          .Key("answered").Time(MaybeTime(a->has_answered_time(), a->answered_time()))
          .Key("status").String(StatusOf(a->verdict()));
      WriteReasons(*a, &w);
      w.EndObject();
    }
    w.EndArray().EndObject().EndObject();
    return std::move(w).Take();
  }
  SweepQuery list;
  list.limit = kMaxListedSweeps + 1;
  list.with_agents = false;
  ASSIGN_OR_RETURN(std::vector<SweepStatus> sweeps, store.ListSweeps(list, snapshot.now));
  w.Key("sweeps").BeginArray();
  for (size_t i = 0; i < sweeps.size() && i < kMaxListedSweeps; ++i) {
    w.BeginObject();
    WriteSweepFields(sweeps[i], &w);
    w.EndObject();
  }
  w.EndArray()
      .Key("more").Bool(sweeps.size() > kMaxListedSweeps)
      .Key("available").Bool(true)
      .EndObject();
  return std::move(w).Take();
}

std::string LastSweepJson(const StatusSnapshot& snapshot) {
  if (!snapshot.last_sweep) return "null";
  JsonWriter w;
  w.BeginObject();
  WriteSweepFields(*snapshot.last_sweep, &w);
  w.EndObject();
  return std::move(w).Take();
}

std::string HostLastSweepJson(const HostView& host) {
  if (!host.last_sweep) return "null";
  const SweepAgentStatus& a = host.last_sweep->answer;
  JsonWriter w;
  w.BeginObject()
      .Key("sweepId").String(host.last_sweep->sweep_id)
      .Key("issued").Time(host.last_sweep->issued)
      .Key("time").Time(MaybeTime(a.has_answered_time(), a.answered_time()))
      .Key("status").String(StatusOf(a.verdict()))
      .EndObject();
  return std::move(w).Take();
}

absl::StatusOr<std::string> HostSweepsJson(EventStore& store, const StatusSnapshot& snapshot,
                                           const HostView& host) {
  if (host.day.agent_id.empty()) return std::string("[]");
  SweepQuery mine;
  mine.agent_id = host.day.agent_id;
  mine.limit = kMaxHostSweeps;
  ASSIGN_OR_RETURN(std::vector<SweepStatus> sweeps, store.ListSweeps(mine, snapshot.now));
  JsonWriter w;
  w.BeginArray();
  for (const SweepStatus& s : sweeps) {
    for (const SweepAgentStatus& a : s.agents()) WriteResult(s, a, &w);
  }
  w.EndArray();
  return std::move(w).Take();
}

}  // namespace cleansweep::collector::web
