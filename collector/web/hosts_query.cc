#include "collector/web/hosts_query.h"

#include <algorithm>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cleansweep::collector::web {
namespace {

const std::vector<std::string>& SortKeys() {
  static const auto* keys = new std::vector<std::string>{
      "hostname", "agent",    "address", "lastSeen", "status",  "coverage24h",
      "coverage7d", "loss",   "backlog", "verdict",  "findings"};
  return *keys;
}

const std::vector<std::string>& Verdicts() {
  static const auto* v = new std::vector<std::string>{
      "unknown", "clean", "notice", "suspicious", "mass-mailing", "worm-scanning"};
  return *v;
}

absl::Status BadParam(absl::string_view name, absl::string_view value,
                      absl::string_view accepted) {
  return absl::InvalidArgumentError(
      absl::StrCat("parameter ", name, "=", value, ": expected ", accepted));
}

bool Contains(absl::string_view haystack, absl::string_view lower_needle) {
  return absl::StrContains(absl::AsciiStrToLower(haystack), lower_needle);
}

bool Matches(const HostView& h, const HostsQuery& q, const std::string& lower_q) {
  const HostRow& r = h.day;
  if (!q.status.empty()) {
    const HostStatus want = q.status == "reporting" ? HostStatus::kReporting
                            : q.status == "silent"  ? HostStatus::kSilent
                                                    : HostStatus::kNeverReported;
    if (r.status != want) return false;
  }
  if (!q.verdict.empty() && h.verdict != q.verdict) return false;
  if (lower_q.empty()) return true;
  if (Contains(r.hostname, lower_q) || Contains(r.agent_id, lower_q) ||
      Contains(r.agent_hostname, lower_q) || Contains(r.owner, lower_q)) {
    return true;
  }
  for (const std::string& a : r.addresses) {
    if (Contains(a, lower_q)) return true;
  }
  return false;
}

int StatusRank(HostStatus s) {
  switch (s) {
    case HostStatus::kReporting: return 0;
    case HostStatus::kSilent: return 1;
    case HostStatus::kNeverReported: return 2;
  }
  return 3;
}

// -1, 0, 1 comparing a and b on `key` (ascending).
int Compare(const HostView& a, const HostView& b, const std::string& key) {
  auto cmp = [](const auto& x, const auto& y) { return x < y ? -1 : (y < x ? 1 : 0); };
  const HostRow& ra = a.day;
  const HostRow& rb = b.day;
  if (key == "agent") return cmp(ra.agent_id, rb.agent_id);
  if (key == "address") {
    const std::string none;
    return cmp(ra.addresses.empty() ? none : ra.addresses[0],
               rb.addresses.empty() ? none : rb.addresses[0]);
  }
  if (key == "lastSeen") {
    return cmp(ra.last_seen.value_or(absl::InfinitePast()),
               rb.last_seen.value_or(absl::InfinitePast()));
  }
  if (key == "status") return cmp(StatusRank(ra.status), StatusRank(rb.status));
  if (key == "coverage24h") return cmp(ra.coverage.fraction, rb.coverage.fraction);
  if (key == "coverage7d") return cmp(a.week.fraction, b.week.fraction);
  if (key == "loss") return cmp(CaptureLossPercent(ra.loss), CaptureLossPercent(rb.loss));
  if (key == "backlog") {
    return cmp(ra.spool ? ra.spool->events : 0, rb.spool ? rb.spool->events : 0);
  }
  if (key == "verdict") return cmp(VerdictRank(a.verdict), VerdictRank(b.verdict));
  if (key == "findings") return cmp(a.findings, b.findings);
  return 0;  // hostname: the tie-break below
}

struct Candidate {
  const HostView* view;
  std::string lower_name;  // computed once per query, not per comparison
};

int CompareNames(const Candidate& a, const Candidate& b) {
  if (a.lower_name != b.lower_name) return a.lower_name < b.lower_name ? -1 : 1;
  const std::string& ia = a.view->day.agent_id;
  const std::string& ib = b.view->day.agent_id;
  return ia == ib ? 0 : (ia < ib ? -1 : 1);
}

}  // namespace

int VerdictRank(absl::string_view verdict) {
  const auto& v = Verdicts();
  auto it = std::find(v.begin(), v.end(), verdict);
  return it == v.end() ? 0 : static_cast<int>(it - v.begin());
}

absl::StatusOr<HostsQuery> ParseHostsQuery(const std::map<std::string, std::string>& params) {
  HostsQuery q;
  auto get = [&params](const char* name) -> const std::string* {
    auto it = params.find(name);
    return it == params.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const std::string* v = get("q")) q.q = *v;
  if (const std::string* v = get("status")) {
    if (*v != "reporting" && *v != "silent" && *v != "never") {
      return BadParam("status", *v, "reporting, silent or never");
    }
    q.status = *v;
  }
  if (const std::string* v = get("verdict")) {
    if (std::find(Verdicts().begin(), Verdicts().end(), *v) == Verdicts().end()) {
      return BadParam("verdict", *v, absl::StrJoin(Verdicts(), ", "));
    }
    q.verdict = *v;
  }
  if (const std::string* v = get("sort")) {
    if (std::find(SortKeys().begin(), SortKeys().end(), *v) == SortKeys().end()) {
      return BadParam("sort", *v, absl::StrJoin(SortKeys(), ", "));
    }
    q.sort = *v;
  }
  if (const std::string* v = get("order")) {
    if (*v != "asc" && *v != "desc") return BadParam("order", *v, "asc or desc");
    q.descending = *v == "desc";
  }
  if (const std::string* v = get("offset")) {
    if (!absl::SimpleAtoi(*v, &q.offset) || !absl::ascii_isdigit(v->front())) {
      return BadParam("offset", *v, "a number of rows from 0");
    }
  }
  if (const std::string* v = get("limit")) {
    if (!absl::SimpleAtoi(*v, &q.limit) || !absl::ascii_isdigit(v->front()) || q.limit < 1 ||
        q.limit > kMaxPageSize) {
      return BadParam("limit", *v, absl::StrCat("a number of rows from 1 to ", kMaxPageSize));
    }
  }
  return q;
}

HostsPage QueryHosts(const StatusSnapshot& snapshot, const HostsQuery& query) {
  const std::string lower_q = absl::AsciiStrToLower(query.q);
  std::vector<Candidate> rows;
  for (const HostView& h : snapshot.hosts) {
    if (Matches(h, query, lower_q)) rows.push_back({&h, absl::AsciiStrToLower(h.day.hostname)});
  }
  const bool by_name = query.sort == "hostname";
  std::stable_sort(rows.begin(), rows.end(), [&](const Candidate& a, const Candidate& b) {
    if (!by_name) {
      const int c = Compare(*a.view, *b.view, query.sort);
      if (c != 0) return query.descending ? c > 0 : c < 0;
    }
    const int c = CompareNames(a, b);
    return by_name && query.descending ? c > 0 : c < 0;
  });
  HostsPage page;
  page.total = rows.size();
  const size_t begin = std::min(query.offset, rows.size());
  const size_t end = std::min(rows.size(), begin + std::min(query.limit, rows.size() - begin));
  for (size_t i = begin; i < end; ++i) page.rows.push_back(rows[i].view);
  return page;
}

}  // namespace cleansweep::collector::web
