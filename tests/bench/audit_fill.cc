// cs_audit_fill: fills a collector database with days of a large fleet —
// coverage, events, host facts, inventory — through the real store API, for
// the audit benchmark (run_audit_bench.sh).
//
//   cs_audit_fill --db FILE --site FILE [--expect FILE] [--hosts H]
//                 [--first-day D] [--days N] [--events-per-day E] [--seed S]
//
// Days are counted from 2026-10-05T00:00:00Z (a Monday). Days
// [first-day, first-day + days) are added to FILE (created when missing);
// filling days 0..9 and then 10..29 stores the same coverage, losses and
// events as 0..29 at once, so a benchmark can time the same audit before and
// after history is added.
//
// The fleet: H workstations ws-NNNNN (10.x addresses), the relay 10.0.0.25,
// the outbound mail server mx-out (10.0.0.26, an agent too).
//   - Coverage, as heartbeats every 30 s fold into segments
//     (coverage_segments.h): a workstation is on on weekdays from about 08:00
//     to about 17:30 (random per host and day), 8 % of them on weekends for a
//     few hours, one in twenty always on; 2 % of days have a 20-minute pause
//     (a suspended laptop). Capture counters grow by 50..500 packets per
//     heartbeat; 1 % of segments drop a few packets. The segments are computed
//     here with FoldHeartbeat, the function the store folds real heartbeats
//     with, and stored with AppendCoverage; one raw heartbeat per agent and
//     day (its last) is stored with RecordHeartbeat, so "the last heartbeat"
//     queries have rows to find. Writing every raw heartbeat (2,880 per agent
//     a day) is what the folding exists to avoid reading, and no audit query
//     reads them.
//   - Events while on: about E a weekday per workstation (relay submissions,
//     file-server contacts, a few MX and A lookups: fleet_model.h), a few on
//     weekends; mx-out 5,000 a day (deliveries, MX lookups, inbound).
//   - Mass mailers: ws-00417 on day 5 and ws-04217 on day 26 (for 10,000
//     hosts; the same fractions of a smaller fleet), 09:00–09:30,
//     an MX lookup and a direct SMTP session with a forged sender in our
//     domain every 2 s and a 3127 probe every 10 s.
//   - Host facts (hostname, one interface, address) once per agent, and an
//     inventory of every workstation plus 20 hosts that never report.
// The site file (--site) describes this fleet for the rules; --expect gets
// one line "expect DAY ADDRESS HOSTNAME" per mass mailer. The store is
// opened with SqliteOptions::unsafe_bulk_load (no fsync per commit).
// Exit 0 on success, 1 on a store error, 2 on bad usage.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "collector/coverage/coverage_segments.h"
#include "collector/store/sqlite_event_store.h"
#include "common/status_macros.h"
#include "tests/bench/fleet_model.h"

namespace cleansweep::bench {
namespace {

constexpr int64_t kDay = 24 * kHour;
// 2026-10-05T00:00:00Z, a Monday.
constexpr int64_t kStartUs = 1791158400LL * kSecond;
constexpr int64_t kHeartbeat = 30 * kSecond;
constexpr int kMailServerEventsPerDay = 5000;
constexpr int kNeverReported = 20;

struct Flags {
  std::string db;
  std::string site;
  std::string expect;
  int hosts = 10000;
  int first_day = 0;
  int days = 30;
  int events_per_day = 40;
  uint64_t seed = 20261005;
};

// Mass mailers: host index (in ten-thousandths of the fleet) and day.
struct MassMailer {
  int per_10000;
  int day;
};
constexpr MassMailer kMassMailers[] = {{417, 5}, {4217, 26}};

int MassMailerHost(const MassMailer& m, int hosts) {
  return static_cast<int>(static_cast<int64_t>(hosts) * m.per_10000 / 10000);
}

Host Workstation(int i) {
  Host h;
  h.agent_id = absl::StrFormat("ws-%05d", i);
  h.ip4 = absl::StrCat("10.", 1 + i / 62500, ".", (i / 250) % 250, ".", i % 250 + 1);
  h.ip6 = absl::StrFormat("2001:db8:10::1:%x", i + 1);
  h.role = i % 5 == 0 ? Role::kRelayOnly : Role::kNormal;
  return h;
}

// When host `i` is on during day `d`: [on, off) in microseconds, at most two
// stretches (a pause splits the day). Always-on hosts are on all day.
std::vector<std::pair<int64_t, int64_t>> OnTimes(Rng& rng, int i, int d) {
  const int64_t day = kStartUs + d * kDay;
  if (i % 20 == 0) return {{day, day + kDay}};
  const bool weekend = d % 7 >= 5;
  int64_t on, off;
  if (weekend) {
    if (!rng.Chance(0.08)) return {};
    on = day + 10 * kHour + rng.Below64(2 * kHour);
    off = on + 2 * kHour + rng.Below64(2 * kHour);
  } else {
    on = day + 7 * kHour + 30 * kMinute + rng.Below64(2 * kHour);
    off = day + 16 * kHour + 30 * kMinute + rng.Below64(150 * kMinute);
  }
  if (rng.Chance(0.02)) {
    const int64_t pause = on + (off - on) / 2;
    return {{on, pause}, {pause + 20 * kMinute, off}};
  }
  return {{on, off}};
}

// Folds heartbeats every 30 s over [on, off) after `segments` (the host's
// run so far; empty for a new run), with the counters in `received` /
// `dropped` (cumulative, carried over).
void FoldStretch(Rng& rng, int64_t on, int64_t off, uint64_t& received, uint64_t& dropped,
                 std::vector<collector::CoverageSegment>& segments) {
  collector::CoverageSegment next;
  bool lossy_hour = false;
  int64_t hour = -1;
  for (int64_t t = on; t < off; t += kHeartbeat) {
    if (t / kHour != hour) {
      hour = t / kHour;
      lossy_hour = rng.Chance(0.01);
    }
    received += rng.Range(50, 500);
    if (lossy_hour) dropped += rng.Range(0, 3);
    collector::HeartbeatSample h;
    h.time = absl::FromUnixMicros(t);
    h.interval = absl::Seconds(30);
    h.interfaces.push_back({"eth0", received, dropped, 0, true});
    if (collector::FoldHeartbeat(segments.empty() ? nullptr : &segments.back(), h, &next)) {
      segments.push_back(std::move(next));
    }
  }
}

cleansweep::v1::Heartbeat RawHeartbeat(const collector::CoverageSegment& last) {
  cleansweep::v1::Heartbeat hb;
  SetTime(absl::ToUnixMicros(last.end), hb.mutable_time());
  hb.set_interval_seconds(30);
  for (const collector::InterfaceSample& i : last.last_interfaces) {
    auto* out = hb.add_interfaces();
    out->set_name(i.name);
    out->set_received(i.received);
    out->set_dropped(i.dropped);
    out->set_up(true);
  }
  hb.set_packets(last.last_interfaces.empty() ? 0 : last.last_interfaces[0].received);
  return hb;
}

void MassMailerEvents(Rng& rng, const Host& h, int64_t start, std::vector<Event>* out) {
  for (int64_t t = start; t < start + 30 * kMinute; t += 2 * kSecond) {
    out->push_back(MakeDns(rng, t, h.ip4,
                           absl::StrCat("victim", rng.Below(1000000), ".example.net"), 15));
    Smtp s;
    s.client_ip = h.ip4;
    s.server_ip = ExternalIp(rng);
    s.helo = absl::StrCat("[", h.ip4, "]");
    s.outcome = Pick(rng, 0.5, 0.3);
    s.mail_from = absl::StrCat(Person(rng), "@example.com");
    const int n = static_cast<int>(rng.Range(1, 6));
    for (int i = 0; i < n; ++i) {
      s.rcpts.push_back(absl::StrCat(Person(rng), rng.Below(100), "@victim.example.net"));
    }
    out->push_back(MakeSmtp(rng, t + 300000, s));
    if ((t - start) % (10 * kSecond) == 0) {
      out->push_back(MakeWorm(rng, t + 700000, h.ip4, ExternalIp(rng), 3127, Pick(rng, 0.02, 0.18)));
    }
  }
}

// "expect DAY ADDRESS HOSTNAME": the host that mass-mails on that day, what an
// audit of a window holding the day must flag (and nothing else).
absl::Status WriteExpect(const std::string& path, int hosts) {
  std::string text;
  for (const MassMailer& m : kMassMailers) {
    const Host h = Workstation(MassMailerHost(m, hosts));
    absl::StrAppend(&text, "expect ", m.day, " ", h.ip4, " ", h.agent_id, "\n");
  }
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return absl::InternalError(absl::StrCat("cannot write ", path));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

absl::Status WriteSite(const std::string& path) {
  const std::string text =
      "name: \"bench-10k\"\n"
      "internal_networks: \"10.0.0.0/8\"\n"
      "internal_networks: \"2001:db8:10::/48\"\n"
      "approved_relays { name: \"relay\" addresses: \"10.0.0.25\" addresses: "
      "\"2001:db8:10::25\" }\n"
      "mail_servers { name: \"mx-out\" addresses: \"10.0.0.26\" }\n"
      "public_egress { name: \"nat\" addresses: \"192.0.2.0/29\" }\n"
      "mail_domains: \"example.com\"\n"
      "mail_domains: \"example.org\"\n"
      "clean_coverage: 0.95\n";
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return absl::InternalError(absl::StrCat("cannot write ", path));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

class Filler {
 public:
  Filler(const Flags& flags, collector::EventStore& store) : flags_(flags), store_(store) {
    for (int i = 0; i < flags.hosts; ++i) {
      fleet_.push_back(Workstation(i));
      agents_.push_back({fleet_.back().agent_id, fleet_.back().agent_id, "bench",
                         absl::StrCat("ipv4:", fleet_.back().ip4, ":50000")});
    }
    agents_.push_back({"mx-out", "mx-out", "bench", "ipv4:10.0.0.26:50000"});
  }

  absl::Status Run() {
    if (flags_.first_day == 0) {
      RETURN_IF_ERROR(Identities());
    }
    // Sequences and counters go on from what is stored.
    next_sequence_.assign(agents_.size(), 1);
    for (size_t a = 0; a < agents_.size(); ++a) {
      absl::StatusOr<uint64_t> acked = store_.AckedSequence(agents_[a].agent_id);
      if (!acked.ok()) return acked.status();
      next_sequence_[a] = *acked + 1;
    }
    tails_.assign(agents_.size(), {});
    for (int d = flags_.first_day; d < flags_.first_day + flags_.days; ++d) {
      const absl::Time started = absl::Now();
      RETURN_IF_ERROR(Day(d));
      std::fprintf(stderr, "day %d: %llu events, %llu segments so far (%.1f s)\n", d,
                   static_cast<unsigned long long>(events_), static_cast<unsigned long long>(segments_),
                   absl::ToDoubleSeconds(absl::Now() - started));
    }
    return absl::OkStatus();
  }

  uint64_t events() const { return events_; }
  uint64_t segments() const { return segments_; }

 private:
  absl::Status Identities() {
    const absl::Time at = absl::FromUnixMicros(kStartUs);
    for (size_t a = 0; a < agents_.size(); ++a) {
      RETURN_IF_ERROR(store_.UpsertAgent(agents_[a], at));
      cleansweep::v1::HostFacts facts;
      facts.set_hostname(agents_[a].hostname);
      facts.set_os("Debian GNU/Linux 12 (bookworm)");
      facts.set_kernel("6.1.0-28-amd64");
      SetTime(kStartUs, facts.mutable_time());
      auto* iface = facts.add_interfaces();
      iface->set_name("eth0");
      iface->set_mac(absl::StrFormat("52:54:00:%02x:%02x:%02x", (a >> 16) & 255, (a >> 8) & 255,
                                     a & 255));
      iface->add_addresses(a < fleet_.size() ? fleet_[a].ip4 : "10.0.0.26");
      RETURN_IF_ERROR(store_.RecordHostFacts(agents_[a].agent_id, facts, at));
    }
    std::vector<collector::InventoryHost> inventory;
    for (const Host& h : fleet_) inventory.push_back({h.agent_id, "", "", {}});
    for (int i = 0; i < kNeverReported; ++i) {
      inventory.push_back({absl::StrFormat("spare-%02d", i), "", "", {}});
    }
    return store_.ReplaceInventory(inventory, at);
  }

  absl::Status Day(int d) {
    // One generator per day and purpose: the same day comes out the same
    // whichever invocation makes it.
    Rng schedule(flags_.seed ^ (0x5151ull * static_cast<uint64_t>(d + 1)));
    Rng traffic(flags_.seed ^ (0xE7E7ull * static_cast<uint64_t>(d + 1)));
    const int64_t day = kStartUs + d * kDay;
    std::vector<std::vector<Event>> by_agent(agents_.size());
    for (size_t a = 0; a < agents_.size(); ++a) {
      const bool mail_server = a == fleet_.size();
      const int index = static_cast<int>(a);
      std::vector<std::pair<int64_t, int64_t>> on =
          mail_server ? std::vector<std::pair<int64_t, int64_t>>{{day, day + kDay}}
                      : OnTimes(schedule, index, d);
      std::vector<collector::CoverageSegment> segments;
      Tail& tail = tails_[a];
      for (const auto& [from, to] : on) {
        // Always-on hosts continue yesterday's run (its last segment is the
        // newest stored one; a copy with the same run start and counters).
        const bool continues = from == day && d > 0 && (mail_server || index % 20 == 0);
        if (continues) {
          collector::CoverageSegment prev;
          prev.end = absl::FromUnixMicros(day - kHeartbeat);
          prev.run_start = absl::FromUnixMicros(kStartUs);
          prev.last_interval = absl::Seconds(30);
          prev.last_interfaces = {{"eth0", tail.received, tail.dropped, 0, true}};
          segments.push_back(prev);
        }
        FoldStretch(schedule, from, to, tail.received, tail.dropped, segments);
        if (continues) segments.erase(segments.begin());
        if (mail_server) continue;
        const int n = d % 7 >= 5 ? 3 : static_cast<int>(traffic.Range(flags_.events_per_day / 2,
                                                                      flags_.events_per_day * 3 / 2));
        for (int k = 0; k < n; ++k) {
          by_agent[a].push_back(
              NormalWorkstationEvent(traffic, fleet_[a], from + traffic.Below64(to - from)));
        }
      }
      if (mail_server) {
        for (int k = 0; k < kMailServerEventsPerDay; ++k) {
          const uint32_t who = traffic.Below(19);
          by_agent[a].push_back(MailServerEvent(traffic, day + traffic.Below64(kDay),
                                                who < 10 ? 0 : who < 15 ? 1 : 2));
        }
      }
      for (const MassMailer& m : kMassMailers) {
        if (m.day == d && static_cast<size_t>(MassMailerHost(m, flags_.hosts)) == a &&
            a < fleet_.size()) {
          MassMailerEvents(traffic, fleet_[a], day + 9 * kHour, &by_agent[a]);
        }
      }
      if (segments.empty()) continue;
      RETURN_IF_ERROR(store_.AppendCoverage(agents_[a].agent_id, segments));
      RETURN_IF_ERROR(store_.RecordHeartbeat(agents_[a].agent_id, RawHeartbeat(segments.back()),
                                               segments.back().end));
      segments_ += segments.size();
    }
    return StoreEvents(by_agent, day + kDay);
  }

  // In the order each agent emits them, sequences contiguous, in one group
  // commit per quarter of the fleet.
  absl::Status StoreEvents(std::vector<std::vector<Event>>& by_agent, int64_t received_us) {
    std::vector<collector::EventAppend> batches;
    size_t pending = 0;
    auto flush = [&]() -> absl::Status {
      for (const auto& r : store_.AppendEventGroups(batches, absl::FromUnixMicros(received_us))) {
        if (!r.ok()) return r.status();
      }
      batches.clear();
      pending = 0;
      return absl::OkStatus();
    };
    for (size_t a = 0; a < by_agent.size(); ++a) {
      std::vector<Event>& events = by_agent[a];
      if (events.empty()) continue;
      std::stable_sort(events.begin(), events.end(),
                       [](const Event& x, const Event& y) { return EmittedAt(x) < EmittedAt(y); });
      for (Event& e : events) e.set_sequence(next_sequence_[a]++);
      batches.push_back({&agents_[a], absl::Span<const Event>(events)});
      pending += events.size();
      events_ += events.size();
      if (pending >= 100000) RETURN_IF_ERROR(flush());
    }
    return flush();
  }

  struct Tail {
    uint64_t received = 0;
    uint64_t dropped = 0;
  };

  const Flags& flags_;
  collector::EventStore& store_;
  std::vector<Host> fleet_;
  std::vector<collector::AgentIdentity> agents_;
  std::vector<uint64_t> next_sequence_;
  std::vector<Tail> tails_;
  uint64_t events_ = 0;
  uint64_t segments_ = 0;
};

int Usage(const std::string& message) {
  std::fprintf(stderr,
               "cs_audit_fill: %s\nusage: cs_audit_fill --db FILE --site FILE [--expect FILE] "
               "[--hosts H] "
               "[--first-day D] [--days N] [--events-per-day E] [--seed S]\n",
               message.c_str());
  return 2;
}

}  // namespace
}  // namespace cleansweep::bench

int main(int argc, char** argv) {
  using cleansweep::bench::Usage;
  cleansweep::bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return Usage("fills a database for the audit benchmark");
    if (i + 1 >= argc) return Usage(arg + " needs a value");
    const std::string value = argv[++i];
    bool ok = true;
    if (arg == "--db") {
      flags.db = value;
    } else if (arg == "--site") {
      flags.site = value;
    } else if (arg == "--expect") {
      flags.expect = value;
    } else if (arg == "--hosts") {
      ok = absl::SimpleAtoi(value, &flags.hosts) && flags.hosts > 0 && flags.hosts <= 500000;
    } else if (arg == "--first-day") {
      ok = absl::SimpleAtoi(value, &flags.first_day) && flags.first_day >= 0;
    } else if (arg == "--days") {
      ok = absl::SimpleAtoi(value, &flags.days) && flags.days > 0 && flags.days <= 366;
    } else if (arg == "--events-per-day") {
      ok = absl::SimpleAtoi(value, &flags.events_per_day) && flags.events_per_day >= 2;
    } else if (arg == "--seed") {
      ok = absl::SimpleAtoi(value, &flags.seed);
    } else {
      return Usage("unknown argument " + arg);
    }
    if (!ok) return Usage(absl::StrCat("bad value for ", arg, ": ", value));
  }
  if (flags.db.empty() || flags.site.empty()) return Usage("--db and --site are required");
  absl::Status written = cleansweep::bench::WriteSite(flags.site);
  if (written.ok() && !flags.expect.empty()) {
    written = cleansweep::bench::WriteExpect(flags.expect, flags.hosts);
  }
  if (absl::Status s = written; !s.ok()) {
    std::fprintf(stderr, "cs_audit_fill: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  cleansweep::collector::SqliteOptions options;
  options.unsafe_bulk_load = true;
  auto store = cleansweep::collector::OpenSqliteEventStore(flags.db, options);
  if (!store.ok()) {
    std::fprintf(stderr, "cs_audit_fill: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const absl::Time started = absl::Now();
  cleansweep::bench::Filler filler(flags, **store);
  absl::Status done = filler.Run();
  if (done.ok()) done = (*store)->Close();
  if (!done.ok()) {
    std::fprintf(stderr, "cs_audit_fill: %s\n", done.ToString().c_str());
    return 1;
  }
  std::printf("stored days %d..%d of %d hosts: %llu events, %llu coverage segments in %.1f s\n",
              flags.first_day, flags.first_day + flags.days - 1, flags.hosts,
              static_cast<unsigned long long>(filler.events()),
              static_cast<unsigned long long>(filler.segments()),
              absl::ToDoubleSeconds(absl::Now() - started));
  return 0;
}
