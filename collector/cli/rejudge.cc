#include "collector/cli/rejudge.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "collector/detect/evaluate.h"
#include "collector/cli/format.h"
#include "collector/detect/ip_address.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Finding;
using cleansweep::v1::FindingReport;
using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

void DescribeEvidence(EventStore& store, Finding* finding) {
  for (cleansweep::v1::EvidenceRef& e : *finding->mutable_evidence()) {
    absl::StatusOr<StoredEvent> se = store.GetEvent(e.agent_id(), e.sequence());
    if (se.ok()) e.set_summary(EventSummary(se->event));
  }
}

void FillVerdicts(FindingReport* report) {
  std::map<std::string, cleansweep::v1::HostVerdict> by_host;
  for (const Finding& f : report->findings()) {
    cleansweep::v1::HostVerdict& v = by_host[f.host()];
    if (v.host().empty()) {
      v.set_host(f.host());
      v.set_agent_id(f.agent_id());
    }
    v.set_severity(std::max(v.severity(), f.severity()));
    v.set_findings(v.findings() + 1);
  }
  std::vector<cleansweep::v1::HostVerdict> verdicts;
  for (auto& [host, v] : by_host) verdicts.push_back(std::move(v));
  auto address = [](const std::string& h) { return ParseIpAddress(h).value_or(IpAddress{}); };
  std::stable_sort(verdicts.begin(), verdicts.end(), [&](const auto& a, const auto& b) {
    if (a.severity() != b.severity()) return a.severity() > b.severity();
    return address(a.host()) < address(b.host());
  });
  report->clear_verdicts();
  for (auto& v : verdicts) *report->add_verdicts() = std::move(v);
}

absl::StatusOr<FindingReport> Rejudge(EventStore& store,
                                      std::shared_ptr<const CompiledRules> rules, absl::Time from,
                                      absl::Time to,
                                      const std::function<void(uint64_t events)>& progress,
                                      RejudgeStats* stats) {
  const absl::Time start = absl::Now();
  // One window before `from`, so a window ending just after it is complete.
  const absl::Time read_from = from - absl::Microseconds(rules->max_window_us);
  Evaluation eval(rules);
  cleansweep::v1::Event event;
  uint64_t read = 0;
  RETURN_IF_ERROR(store.ScanEvents(
      read_from, to, [&](absl::string_view agent_id, absl::string_view payload) -> absl::Status {
        if (!event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
          return absl::DataLossError(absl::StrCat("a stored event of agent ", agent_id,
                                                  " does not parse; the database is damaged"));
        }
        eval.Add(agent_id, event);
        if (++read % (1 << 20) == 0 && progress) progress(read);
        return absl::OkStatus();
      }));
  FindingReport report;
  report.set_rules_digest(rules->digest());
  *report.mutable_from() = ToProto(from);
  *report.mutable_to() = ToProto(to);
  report.set_events_judged(eval.events_added());
  report.set_hosts_judged(eval.hosts());
  const int64_t from_us = absl::ToUnixMicros(from), to_us = absl::ToUnixMicros(to);
  for (Finding& f : eval.Judge()) {
    if (TimeUtil::TimestampToMicroseconds(f.last_time()) < from_us ||
        TimeUtil::TimestampToMicroseconds(f.first_time()) > to_us) {
      continue;
    }
    *report.add_findings() = std::move(f);
  }
  if (stats) {
    stats->events = read;
    stats->elapsed = absl::Now() - start;
  }
  for (Finding& f : *report.mutable_findings()) DescribeEvidence(store, &f);
  FillVerdicts(&report);
  return report;
}

}  // namespace cleansweep::collector
