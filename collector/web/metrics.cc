// GET /metrics (status_api.h): Prometheus text exposition format 0.0.4.
#include <map>

#include "absl/strings/str_cat.h"
#include "collector/detect/evaluate.h"
#include "collector/web/status_api.h"

namespace cleansweep::collector::web {
namespace {

void Family(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void Sample(std::string* out, absl::string_view name, uint64_t value,
            absl::string_view labels = "") {
  absl::StrAppend(out, name, labels.empty() ? "" : "{", labels, labels.empty() ? "" : "}", " ",
                  value, "\n");
}

}  // namespace

std::string MetricsText(const StatusSnapshot& s, const LiveCounters& live) {
  std::string out;
  if (live.events_ingested) {
    Family(&out, "cleansweep_events_ingested_total", "counter",
           "Events durably stored by this collector process since it started.");
    Sample(&out, "cleansweep_events_ingested_total", *live.events_ingested);
  }
  Family(&out, "cleansweep_events_stored", "gauge", "Events in the store, every agent.");
  Sample(&out, "cleansweep_events_stored", s.events_stored);
  if (live.connected_agents) {
    Family(&out, "cleansweep_agents_connected", "gauge",
           "Agent streams connected and authenticated now.");
    Sample(&out, "cleansweep_agents_connected", *live.connected_agents);
  }

  uint64_t reporting = 0, silent = 0, never = 0, expected = 0, received = 0, dropped = 0;
  std::map<std::string, uint64_t> verdicts = {{"unknown", 0},    {"clean", 0},
                                              {"notice", 0},     {"suspicious", 0},
                                              {"mass-mailing", 0}, {"worm-scanning", 0}};
  for (const HostView& h : s.hosts) {
    switch (h.day.status) {
      case HostStatus::kReporting: ++reporting; break;
      case HostStatus::kSilent: ++silent; break;
      case HostStatus::kNeverReported: ++never; break;
    }
    if (h.day.in_inventory) ++expected;
    ++verdicts[h.verdict];
    received += h.day.loss.received;
    dropped += h.day.loss.dropped + h.day.loss.interface_dropped;
  }
  Family(&out, "cleansweep_hosts", "gauge",
         "Expected or seen hosts by status (reporting, silent, never_reported).");
  Sample(&out, "cleansweep_hosts", reporting, "status=\"reporting\"");
  Sample(&out, "cleansweep_hosts", silent, "status=\"silent\"");
  Sample(&out, "cleansweep_hosts", never, "status=\"never_reported\"");
  Family(&out, "cleansweep_hosts_expected", "gauge", "Hosts in the inventory.");
  Sample(&out, "cleansweep_hosts_expected", expected);
  Family(&out, "cleansweep_hosts_verdict", "gauge",
         "Hosts by verdict (worst stored finding of the last 24 h).");
  for (const char* v : {"unknown", "clean", "notice", "suspicious", "mass-mailing",
                        "worm-scanning"}) {
    Sample(&out, "cleansweep_hosts_verdict", verdicts[v], absl::StrCat("verdict=\"", v, "\""));
  }

  std::map<std::string, uint64_t> findings = {
      {"notice", 0}, {"suspicious", 0}, {"mass-mailing", 0}, {"worm-scanning", 0}};
  for (const cleansweep::v1::Finding& f : s.findings) {
    ++findings[std::string(SeverityName(f.severity()))];
  }
  Family(&out, "cleansweep_findings", "gauge",
         "Stored findings of the live detector in the last 24 h, by severity.");
  for (const char* v : {"notice", "suspicious", "mass-mailing", "worm-scanning"}) {
    Sample(&out, "cleansweep_findings", findings[v], absl::StrCat("severity=\"", v, "\""));
  }

  Family(&out, "cleansweep_capture_packets_received", "gauge",
         "Packets the agents' captures received in the last 24 h, every host.");
  Sample(&out, "cleansweep_capture_packets_received", received);
  Family(&out, "cleansweep_capture_packets_dropped", "gauge",
         "Packets the agents' captures dropped (kernel and interface) in the last 24 h.");
  Sample(&out, "cleansweep_capture_packets_dropped", dropped);
  if (live.store_bytes) {
    Family(&out, "cleansweep_store_size_bytes", "gauge",
           "Size of the database file and its write-ahead log.");
    Sample(&out, "cleansweep_store_size_bytes", *live.store_bytes);
  }
  return out;
}

}  // namespace cleansweep::collector::web
