// GET /api/v1/fleet (status_api.h).
#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/web/host_json.h"
#include "collector/web/hosts_query.h"
#include "collector/web/json_writer.h"
#include "collector/web/status_api.h"
#include "collector/web/sweeps_api.h"
#include "common/time_util.h"

namespace cleansweep::collector::web {
namespace {

// A day minus 86.4 s still counts as fully covered: heartbeats prove time
// between them, so the newest stretch up to `now` is always a little short.
constexpr double kFullCoverage = 0.999;

struct Attention {
  const HostView* host;
  int group;  // 0 flagged, 1 silent, 2 never reported
  std::string reason;
};

std::vector<Attention> AttentionList(const StatusSnapshot& s) {
  std::vector<Attention> out;
  for (const HostView& h : s.hosts) {
    if (VerdictRank(h.verdict) >= VerdictRank("notice")) {
      out.push_back({&h, 0, absl::StrCat(h.verdict, ": ", h.findings, " finding",
                                         h.findings == 1 ? "" : "s", " in 24 h")});
    } else if (h.day.status == HostStatus::kSilent) {
      out.push_back({&h, 1, absl::StrCat("silent since ", FormatTimeUtc(h.day.silent_since))});
    } else if (h.day.status == HostStatus::kNeverReported) {
      out.push_back({&h, 2, "never reported"});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Attention& a, const Attention& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.group == 0) return VerdictRank(a.host->verdict) > VerdictRank(b.host->verdict);
    if (a.group == 1) return a.host->day.silent_since < b.host->day.silent_since;
    return false;  // snapshot order: by hostname
  });
  return out;
}

}  // namespace

std::string FleetJson(const StatusSnapshot& s) {
  size_t expected = 0, reporting = 0, silent = 0, never = 0, full = 0, none = 0;
  double coverage_sum = 0;
  CaptureLoss loss;
  std::map<std::string, size_t> verdicts = {{"unknown", 0},    {"clean", 0},
                                            {"notice", 0},     {"suspicious", 0},
                                            {"mass-mailing", 0}, {"worm-scanning", 0}};
  for (const HostView& h : s.hosts) {
    const HostRow& r = h.day;
    if (r.in_inventory) ++expected;
    switch (r.status) {
      case HostStatus::kReporting: ++reporting; break;
      case HostStatus::kSilent: ++silent; break;
      case HostStatus::kNeverReported: ++never; break;
    }
    ++verdicts[h.verdict];
    coverage_sum += r.coverage.fraction;
    if (r.coverage.fraction >= kFullCoverage) ++full;
    if (r.coverage.covered <= absl::ZeroDuration()) ++none;
    loss.received += r.loss.received;
    loss.dropped += r.loss.dropped;
    loss.interface_dropped += r.loss.interface_dropped;
  }
  const size_t total = s.hosts.size();

  JsonWriter w;
  w.BeginObject()
      .Key("now").Time(s.now)
      .Key("window").BeginObject().Key("from").Time(s.now - kDayWindow).Key("to").Time(s.now)
      .EndObject()
      .Key("hosts").BeginObject()
      .Key("total").Uint(total)
      .Key("expected").Uint(expected)
      .Key("unexpected").Uint(total - expected)
      .Key("reporting").Uint(reporting)
      .Key("silent").Uint(silent)
      .Key("neverReported").Uint(never)
      .EndObject()
      .Key("verdicts").BeginObject();
  for (const char* v : {"unknown", "clean", "notice", "suspicious", "mass-mailing",
                        "worm-scanning"}) {
    w.Key(v).Uint(verdicts[v]);
  }
  w.EndObject()
      .Key("coverage24h").BeginObject()
      .Key("percent").Double(total == 0 ? 0.0 : 100.0 * coverage_sum / total)
      .Key("full").Uint(full)
      .Key("partial").Uint(total - full - none)
      .Key("none").Uint(none)
      .EndObject()
      .Key("captureLoss").BeginObject()
      .Key("received").Uint(loss.received)
      .Key("dropped").Uint(loss.dropped)
      .Key("interfaceDropped").Uint(loss.interface_dropped)
      .Key("percent").Double(CaptureLossPercent(loss))
      .EndObject()
      .Key("findings").Uint(s.findings.size())
      .Key("eventsStored").Uint(s.events_stored)
      .Key("attention").BeginArray();
  const std::vector<Attention> attention = AttentionList(s);
  for (size_t i = 0; i < attention.size() && i < kMaxAttention; ++i) {
    const HostRow& r = attention[i].host->day;
    w.BeginObject()
        .Key("key").String(attention[i].host->key)
        .Key("hostname").String(r.hostname)
        .Key("agentId").String(r.agent_id)
        .Key("status").String(StatusName(r.status))
        .Key("verdict").String(attention[i].host->verdict)
        .Key("reason").String(attention[i].reason)
        .EndObject();
  }
  w.EndArray()
      .Key("attentionTotal").Uint(attention.size())
      .Key("lastSweep").Raw(LastSweepJson(s))
      .EndObject();
  return std::move(w).Take();
}

}  // namespace cleansweep::collector::web
