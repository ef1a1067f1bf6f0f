#include "collector/sweep/sweep_answers.h"

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "collector/detect/ip_address.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using google::protobuf::util::TimeUtil;

// How far `at` lies outside the period [first_seen, valid_to): zero inside
// it, and a period that ended at `at` is a microsecond away.
absl::Duration Distance(const AddressRecord& r, absl::Time at) {
  if (at < r.first_seen) return r.first_seen - at;
  if (r.valid_to && at >= *r.valid_to) return at - *r.valid_to + absl::Microseconds(1);
  return absl::ZeroDuration();
}

// Loopback, link-local and unspecified addresses say nothing about which
// machine it is.
bool Special(const IpAddress& a) {
  const auto& b = a.bytes;
  if (!a.ipv6) return b[0] == 127 || (b[0] == 169 && b[1] == 254) || b[0] == 0;
  bool zero_but_last = true;
  for (int i = 0; i < 15; ++i) zero_but_last &= b[i] == 0;
  if (zero_but_last && (b[15] == 1 || b[15] == 0)) return true;  // ::1, ::
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;                   // fe80::/10
}

}  // namespace

std::vector<std::string> HostAddressesAt(absl::Span<const AddressRecord> periods,
                                         const CompiledRules& rules, absl::string_view agent_id,
                                         absl::Time at) {
  std::optional<absl::Duration> nearest;
  for (const AddressRecord& r : periods) {
    if (r.agent_id != agent_id) continue;
    const absl::Duration d = Distance(r, at);
    if (!nearest || d < *nearest) nearest = d;
  }
  if (!nearest) return {};
  using Rank = std::tuple<bool, bool, bool, std::string, std::string>;
  std::vector<std::pair<Rank, std::string>> ranked;
  for (const AddressRecord& r : periods) {
    if (r.agent_id != agent_id || Distance(r, at) != *nearest) continue;
    const std::optional<IpAddress> ip = ParseIpAddress(r.address);
    if (!ip) continue;
    const std::string text = ip->ToString();
    ranked.push_back({Rank{!rules.internal.Contains(*ip), Special(*ip), ip->ipv6, r.interface,
                           text},
                      text});
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> out;
  for (auto& [rank, text] : ranked) {
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
  }
  return out;
}

std::string HostAddressAt(absl::Span<const AddressRecord> periods, const CompiledRules& rules,
                          absl::string_view agent_id, absl::Time at) {
  std::vector<std::string> all = HostAddressesAt(periods, rules, agent_id, at);
  return all.empty() ? std::string(agent_id) : std::move(all.front());
}

absl::StatusOr<std::vector<SweepAnswerFacts>> LoadFoundSweepAnswers(EventStore& store,
                                                                    const CompiledRules& rules,
                                                                    absl::string_view agent_id,
                                                                    absl::Time from,
                                                                    absl::Time to) {
  SweepAnswerQuery query;
  query.agent_id = std::string(agent_id);
  query.from = from;
  query.to = to;
  query.found_only = true;
  ASSIGN_OR_RETURN(std::vector<StoredSweepAnswer> stored, store.ListSweepAnswers(query));
  // Each answering agent's address history, read once.
  std::map<std::string, std::vector<AddressRecord>> history;
  for (const StoredSweepAnswer& s : stored) {
    if (history.contains(s.agent_id)) continue;
    AddressHistoryFilter filter;
    filter.host = s.agent_id;
    ASSIGN_OR_RETURN(history[s.agent_id], store.ListAddressHistory(filter));
  }
  std::vector<SweepAnswerFacts> out;
  out.reserve(stored.size());
  for (StoredSweepAnswer& s : stored) {
    SweepAnswerFacts& a = out.emplace_back();
    a.sweep_id = s.request.sweep_id();
    a.agent_id = s.agent_id;
    a.answered_time =
        absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(s.answer.answered_time()));
    a.host = HostAddressAt(history[s.agent_id], rules, s.agent_id, a.answered_time);
    a.request = std::move(s.request);
    a.result = std::move(*s.answer.mutable_result());
  }
  return out;
}

absl::StatusOr<std::vector<cleansweep::v1::Finding>> JudgeStoredSweepAnswers(
    EventStore& store, const CompiledRules& rules, absl::string_view agent_id, absl::Time from,
    absl::Time to, uint64_t* read) {
  if (rules.sweep_rules.empty()) {
    if (read) *read = 0;
    return std::vector<cleansweep::v1::Finding>();
  }
  ASSIGN_OR_RETURN(std::vector<SweepAnswerFacts> answers,
                   LoadFoundSweepAnswers(store, rules, agent_id, from, to));
  if (read) *read = answers.size();
  return JudgeSweepAnswers(rules, answers);
}

}  // namespace cleansweep::collector
