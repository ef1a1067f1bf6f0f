#include "collector/detect/evaluate.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <tuple>
#include <utility>

#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Finding;
using cleansweep::v1::Signal;
using google::protobuf::util::TimeUtil;

// What one fact adds to one rule's count.
struct Contribution {
  int64_t time_us;
  uint64_t key;    // distinct signals: what is counted once
  uint32_t group;  // fan-out: the port; 0 otherwise
  uint32_t units;  // summed signals: how much; ratio: 1 per attempt
  bool failed;     // ratio only
  uint32_t fact;   // index into the host's facts
};

enum class Mode { kDistinct, kSum, kRatio };

Mode ModeOf(Signal s) {
  switch (s) {
    case Signal::SIGNAL_SMTP_EXTERNAL_DESTINATIONS:
    case Signal::SIGNAL_MX_LOOKUPS:
    case Signal::SIGNAL_WORM_PORT_FANOUT:
      return Mode::kDistinct;
    case Signal::SIGNAL_FAILED_CONNECTION_RATIO:
      return Mode::kRatio;
    default:
      return Mode::kSum;
  }
}

// Whether (and how) `f` counts for `rule`.
bool Contributes(const CompiledRule& rule, const Fact& f, uint32_t index, Contribution* c) {
  const auto transport = static_cast<cleansweep::v1::Transport>(f.transport);
  const bool exempt = f.flags & kFactSourceExempt;
  const bool direct_smtp = f.kind == FactKind::kSmtp && !exempt && (f.flags & kFactExternal) &&
                           CompiledRules::InRanges(rule.ports, f.dst_port, transport);
  *c = Contribution{f.time_us, f.key, 0, 1, false, index};
  switch (rule.rule->signal()) {
    case Signal::SIGNAL_SMTP_EXTERNAL_DESTINATIONS:
    case Signal::SIGNAL_SMTP_EXTERNAL_ATTEMPTS:
      return direct_smtp;
    case Signal::SIGNAL_RCPT_COUNT:
      c->units = f.rcpt;
      return direct_smtp && f.rcpt > 0;
    case Signal::SIGNAL_FORGED_OWN_DOMAIN_SENDER:
      c->units = f.own_domain_from;
      return direct_smtp && f.own_domain_from > 0;
    case Signal::SIGNAL_MX_LOOKUPS:
      return f.kind == FactKind::kDns && !exempt &&
             (rule.ports.empty() || CompiledRules::InRanges(rule.ports, f.dst_port, transport));
    case Signal::SIGNAL_FAILED_CONNECTION_RATIO:
      if (f.kind == FactKind::kDns || (f.kind == FactKind::kSmtp && exempt)) return false;
      if (f.outcome == cleansweep::v1::CONNECTION_OUTCOME_UNSPECIFIED) return false;
      c->failed = f.Failed();
      return rule.ports.empty() || CompiledRules::InRanges(rule.ports, f.dst_port, transport);
    case Signal::SIGNAL_WORM_PORT_FANOUT:
      c->group = f.dst_port;
      return f.kind == FactKind::kWormPort &&
             CompiledRules::InRanges(rule.ports, f.dst_port, transport);
    default:
      return false;
  }
}

// A sliding window's running count.
class WindowCount {
 public:
  WindowCount(Mode mode, const cleansweep::v1::DetectionRule& rule) : mode_(mode), rule_(rule) {}

  void Add(const Contribution& c) { Apply(c, +1); }
  void Remove(const Contribution& c) { Apply(c, -1); }

  // The count in the rule's unit: distinct keys on the busiest group, the
  // summed units, or (ratio) the number of failures.
  int64_t Value() const {
    if (mode_ == Mode::kSum) return sum_;
    if (mode_ == Mode::kRatio) return failed_;
    int64_t best = 0;
    for (const auto& [group, n] : group_distinct_) best = std::max(best, n);
    return best;
  }
  int64_t attempts() const { return sum_; }
  int64_t failed() const { return failed_; }

  bool Fires() const {
    if (mode_ != Mode::kRatio) return Value() >= rule_.threshold();
    if (sum_ < rule_.threshold() || sum_ == 0) return false;
    return static_cast<double>(failed_) >= rule_.min_ratio() * static_cast<double>(sum_) - 1e-9;
  }

 private:
  void Apply(const Contribution& c, int sign) {
    if (mode_ == Mode::kDistinct) {
      int64_t& n = multiplicity_[std::make_pair(c.group, c.key)];
      if (sign > 0 && n++ == 0) ++group_distinct_[c.group];
      if (sign < 0 && --n == 0) {
        --group_distinct_[c.group];
        multiplicity_.erase(std::make_pair(c.group, c.key));
      }
      return;
    }
    sum_ += sign * static_cast<int64_t>(c.units);
    if (c.failed) failed_ += sign;
  }

  Mode mode_;
  const cleansweep::v1::DetectionRule& rule_;
  absl::flat_hash_map<std::pair<uint32_t, uint64_t>, int64_t> multiplicity_;
  absl::flat_hash_map<uint32_t, int64_t> group_distinct_;
  int64_t sum_ = 0;
  int64_t failed_ = 0;
};

void SetMicros(int64_t us, google::protobuf::Timestamp* t) {
  *t = TimeUtil::MicrosecondsToTimestamp(us);
}

struct Episode {
  size_t start = 0;  // first contribution inside the first firing window
  size_t fired = 0;  // the contribution that first made it fire
  size_t last = 0;   // the last contribution at which it fired
  int64_t peak = 0;
};

Finding MakeFinding(const CompiledRules& rules, const CompiledRule& rule, Mode mode,
                    const AgentIds& agents, const IpAddress& host, absl::Span<const Fact> facts,
                    const std::vector<Contribution>& cs, const Episode& ep) {
  const cleansweep::v1::DetectionRule& r = *rule.rule;
  Finding f;
  f.set_host(host.ToString());
  f.set_agent_id(agents.Name(facts[cs[ep.start].fact].agent));
  f.set_rule(r.name());
  f.set_signal(r.signal());
  f.set_severity(r.severity());
  *f.mutable_window() = r.window();
  f.set_threshold(r.threshold());
  f.set_min_ratio(r.min_ratio());
  f.set_description(r.description());
  SetMicros(cs[ep.start].time_us, f.mutable_first_time());
  SetMicros(cs[ep.last].time_us, f.mutable_last_time());
  SetMicros(cs[ep.fired].time_us, f.mutable_fired_time());
  f.set_peak(ep.peak);
  // The whole episode counted as one window.
  WindowCount whole(mode, r);
  for (size_t i = ep.start; i <= ep.last; ++i) whole.Add(cs[i]);
  f.set_total(whole.Value());
  if (mode == Mode::kRatio) {
    f.set_attempts(whole.attempts());
    f.set_failed(whole.failed());
  }
  auto add_evidence = [&](size_t i) {
    const Fact& fact = facts[cs[i].fact];
    cleansweep::v1::EvidenceRef* e = f.add_evidence();
    e->set_agent_id(agents.Name(fact.agent));
    e->set_sequence(fact.sequence);
    SetMicros(fact.time_us, e->mutable_time());
  };
  const size_t first_end = std::min(ep.last + 1, ep.start + kEvidenceFirst);
  for (size_t i = ep.start; i < first_end; ++i) add_evidence(i);
  if (ep.fired >= first_end) add_evidence(ep.fired);
  f.set_rules_digest(rules.digest());
  return f;
}

void JudgeRule(const CompiledRules& rules, const CompiledRule& rule, const AgentIds& agents,
               const IpAddress& host, absl::Span<const Fact> facts,
               std::vector<Contribution>& cs, std::vector<Finding>* out) {
  cs.clear();
  Contribution c;
  for (size_t i = 0; i < facts.size(); ++i) {
    if (Contributes(rule, facts[i], static_cast<uint32_t>(i), &c)) cs.push_back(c);
  }
  if (cs.empty()) return;
  const Mode mode = ModeOf(rule.rule->signal());
  WindowCount window(mode, *rule.rule);
  std::optional<Episode> open;
  size_t left = 0;
  for (size_t i = 0; i < cs.size(); ++i) {
    window.Add(cs[i]);
    // The window is (t - W, t]: drop what is W or more older.
    while (cs[left].time_us <= cs[i].time_us - rule.window_us) window.Remove(cs[left++]);
    if (!window.Fires()) continue;
    const int64_t value = window.Value();
    if (open && cs[i].time_us - cs[open->last].time_us < rule.window_us) {
      open->last = i;
      open->peak = std::max(open->peak, value);
      continue;
    }
    if (open) out->push_back(MakeFinding(rules, rule, mode, agents, host, facts, cs, *open));
    open = Episode{left, i, i, value};
  }
  if (open) out->push_back(MakeFinding(rules, rule, mode, agents, host, facts, cs, *open));
}

}  // namespace

void JudgeHost(const CompiledRules& rules, const AgentIds& agents, const IpAddress& host,
               absl::Span<const Fact> facts, std::vector<Finding>* out) {
  std::vector<Contribution> scratch;
  for (const CompiledRule& rule : rules.rules) {
    JudgeRule(rules, rule, agents, host, facts, scratch, out);
  }
}

Evaluation::Evaluation(std::shared_ptr<const CompiledRules> rules) : rules_(std::move(rules)) {}

void Evaluation::Add(absl::string_view agent_id, const cleansweep::v1::Event& event) {
  ++events_added_;
  std::optional<HostFact> hf = ExtractFact(*rules_, agents_.Intern(agent_id), event);
  if (hf) AddFact(*hf);
}

bool Evaluation::AddSerialized(absl::string_view agent_id, absl::string_view payload) {
  std::optional<HostFact> fact;
  if (!ReadSerialized(*rules_, payload, &fact)) return false;
  AddRead(agent_id, std::move(fact));
  return true;
}

bool Evaluation::ReadSerialized(const CompiledRules& rules, absl::string_view payload,
                                std::optional<HostFact>* fact) {
  EventFields fields;
  if (ReadEventFields(payload, &fields)) {
    *fact = ExtractFact(rules, 0, fields);
    return true;
  }
  // Not plainly encoded: protobuf decides, and reads it.
  cleansweep::v1::Event event;
  if (!event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return false;
  *fact = ExtractFact(rules, 0, event);
  return true;
}

void Evaluation::AddRead(absl::string_view agent_id, std::optional<HostFact> fact) {
  ++events_added_;
  const uint32_t agent = agents_.Intern(agent_id);
  if (!fact) return;
  fact->fact.agent = agent;
  AddFact(*fact);
}

void Evaluation::AddFact(const HostFact& hf) {
  if (last_host_ >= hosts_.size() || !(hosts_[last_host_].first == hf.host)) {
    auto [it, fresh] = host_index_.try_emplace(hf.host, static_cast<uint32_t>(hosts_.size()));
    if (fresh) hosts_.emplace_back(hf.host, std::vector<Fact>());
    last_host_ = it->second;
  }
  hosts_[last_host_].second.push_back(hf.fact);
}

std::vector<Finding> Evaluation::Judge(int threads) {
  // Hosts are independent: each thread takes the next unjudged host, the
  // busiest first so that no thread is left with a big one at the end. The
  // findings are sorted at the end, so their order does not depend on who
  // judged what.
  std::vector<uint32_t> order(hosts_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
    return hosts_[a].second.size() > hosts_[b].second.size();
  });
  threads = std::max(1, std::min<int>(threads, static_cast<int>(order.size())));
  std::vector<std::vector<Finding>> found(static_cast<size_t>(threads));
  std::atomic<size_t> next{0};
  auto work = [&](size_t t) {
    for (size_t i; (i = next.fetch_add(1)) < order.size();) {
      auto& [host, facts] = hosts_[order[i]];
      std::sort(facts.begin(), facts.end(),
                [this](const Fact& a, const Fact& b) { return FactBefore(a, b, agents_); });
      JudgeHost(*rules_, agents_, host, facts, &found[t]);
    }
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < found.size(); ++t) helpers.emplace_back(work, t);
  work(0);
  for (std::thread& h : helpers) h.join();
  std::vector<Finding> out = std::move(found[0]);
  for (size_t t = 1; t < found.size(); ++t) {
    for (Finding& f : found[t]) out.push_back(std::move(f));
  }
  SortFindings(&out);
  return out;
}

void SortFindings(std::vector<Finding>* findings) {
  auto key = [](const Finding& f) {
    std::optional<IpAddress> a = ParseIpAddress(f.host());
    return std::make_tuple(a.value_or(IpAddress{}), TimeUtil::TimestampToMicroseconds(f.first_time()),
                           f.rule());
  };
  std::stable_sort(findings->begin(), findings->end(),
                   [&](const Finding& a, const Finding& b) { return key(a) < key(b); });
}

cleansweep::v1::Severity WorstSeverity(absl::Span<const Finding> findings) {
  cleansweep::v1::Severity worst = cleansweep::v1::SEVERITY_UNSPECIFIED;
  for (const Finding& f : findings) worst = std::max(worst, f.severity());
  return worst;
}

absl::string_view SeverityName(cleansweep::v1::Severity severity) {
  switch (severity) {
    case cleansweep::v1::SEVERITY_NOTICE:
      return "notice";
    case cleansweep::v1::SEVERITY_SUSPICIOUS:
      return "suspicious";
    case cleansweep::v1::SEVERITY_MASS_MAILING:
      return "mass-mailing";
    case cleansweep::v1::SEVERITY_WORM_SCANNING:
      return "worm-scanning";
    default:
      return "clean";
  }
}

}  // namespace cleansweep::collector
