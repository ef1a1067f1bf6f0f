// GET /api/v1/findings (status_api.h).
#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collector/cli/rejudge.h"
#include "collector/detect/evaluate.h"
#include "collector/web/finding_json.h"
#include "collector/web/json_writer.h"
#include "collector/web/status_api.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace cleansweep::collector::web {
namespace {

constexpr size_t kDefaultFindingsPage = 100;

struct FindingsQuery {
  absl::Time from;
  std::string severity;
  std::string q;  // lower case
  size_t offset = 0;
  size_t limit = kDefaultFindingsPage;
};

absl::StatusOr<FindingsQuery> ParseFindingsQuery(
    const std::map<std::string, std::string>& params, absl::Time now) {
  FindingsQuery q;
  q.from = now - kDayWindow;
  auto get = [&params](const char* name) -> const std::string* {
    auto it = params.find(name);
    return it == params.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const std::string* v = get("since")) {
    absl::StatusOr<absl::Time> from = ParseTimeFlag(*v, now);
    if (!from.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("parameter since=", *v, ": ",
                                                     from.status().message()));
    }
    q.from = *from;
  }
  if (const std::string* v = get("severity")) {
    if (*v != "notice" && *v != "suspicious" && *v != "mass-mailing" && *v != "worm-scanning") {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter severity=", *v, ": expected notice, suspicious, mass-mailing or "
          "worm-scanning"));
    }
    q.severity = *v;
  }
  if (const std::string* v = get("q")) q.q = absl::AsciiStrToLower(*v);
  if (const std::string* v = get("offset")) {
    if (!absl::SimpleAtoi(*v, &q.offset) || !absl::ascii_isdigit(v->front())) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter offset=", *v, ": expected a number from 0"));
    }
  }
  if (const std::string* v = get("limit")) {
    if (!absl::SimpleAtoi(*v, &q.limit) || !absl::ascii_isdigit(v->front()) || q.limit < 1 ||
        q.limit > kMaxPageSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter limit=", *v, ": expected a number from 1 to ", kMaxPageSize));
    }
  }
  return q;
}

bool Matches(const cleansweep::v1::Finding& f, const FindingsQuery& q, const StatusSnapshot& s) {
  if (!q.severity.empty() && SeverityName(f.severity()) != q.severity) return false;
  if (q.q.empty()) return true;
  auto has = [&q](absl::string_view text) {
    return absl::StrContains(absl::AsciiStrToLower(text), q.q);
  };
  const HostView* host = s.HostOfFinding(f);
  return has(f.host()) || has(f.agent_id()) || has(f.rule()) ||
         (host != nullptr && has(host->day.hostname));
}

}  // namespace

absl::StatusOr<std::string> FindingsJson(EventStore& store, const StatusSnapshot& s,
                                         const std::map<std::string, std::string>& params) {
  ASSIGN_OR_RETURN(FindingsQuery q, ParseFindingsQuery(params, s.now));
  ASSIGN_OR_RETURN(std::vector<cleansweep::v1::Finding> stored,
                   store.ListFindings(q.from, absl::InfiniteFuture()));
  std::vector<cleansweep::v1::Finding> shown;
  for (cleansweep::v1::Finding& f : stored) {
    if (Matches(f, q, s)) shown.push_back(std::move(f));
  }
  std::stable_sort(shown.begin(), shown.end(),
                   [](const cleansweep::v1::Finding& a, const cleansweep::v1::Finding& b) {
                     return std::make_pair(a.fired_time().seconds(), a.fired_time().nanos()) >
                            std::make_pair(b.fired_time().seconds(), b.fired_time().nanos());
                   });
  JsonWriter w;
  w.BeginObject()
      .Key("now").Time(s.now)
      .Key("from").Time(q.from)
      .Key("total").Uint(shown.size())
      .Key("offset").Uint(q.offset)
      .Key("limit").Uint(q.limit)
      .Key("findings").BeginArray();
  for (size_t i = q.offset; i < shown.size() && i < q.offset + q.limit; ++i) {
    DescribeEvidence(store, &shown[i]);
    WriteFinding(shown[i], s, &w);
  }
  w.EndArray().EndObject();
  return std::move(w).Take();
}

}  // namespace cleansweep::collector::web
