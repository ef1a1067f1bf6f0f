// cs_history_fill: fills a fresh collector database with a deterministic day
// of a fleet's events, through the real store API (OpenSqliteEventStore,
// AppendEventGroups), for the re-judging benchmark (run_rejudge_bench.sh).
//
//   cs_history_fill --db FILE --fleet FILE [--events N] [--hosts H] [--seed S]
//
// The fleet (site: internal 10.0.0.0/8 and 2001:db8:10::/48, relay 10.0.0.25
// and 2001:db8:10::25, mail server 10.0.0.26, domains example.com/.org):
//   - H workstations (agent ws-NNNN, 10.1.x.y; a few percent of their events
//     over IPv6): mostly mail submissions to the relay on 587 (STARTTLS, or
//     plaintext with the envelope visible), file-server contacts on 445, a
//     few MX lookups of three names, some A lookups. The first fifth only
//     ever submit to the relay.
//   - the mail server (agent mx-out): direct SMTP on 25 to many external
//     servers with senders in our domains, MX lookups, inbound SMTP from
//     outside.
//   - noisy workstations: three Mydoom-style mass-mailers (an MX lookup and a
//     direct SMTP connection every 2 s with forged senders in our domain and
//     several RCPTs, a 3127 probe every 10 s; mixed outcomes), two
//     Sasser-style 445 sweepers (4 attempts/s, mostly unanswered), a
//     developer with one direct test mail, a slow mailer (one direct mail
//     every 2 min for an hour). Their bursts shrink with --events (down to
//     10 and 5 minutes) so a small database still holds every scenario.
// Exactly N events (default 5,000,000) over 24 h of event time from
// 2024-03-04T00:00:00Z, stored in 10-minute slices (one transaction each, one
// batch per agent, in the order the agent would emit them). The same
// arguments always give the same database content.
//
// --fleet FILE receives what the script needs: "from"/"to" (RFC 3339), the
// fleet's site file lines, and one "expect HOST SEVERITY [RULE...]" line per
// host that must be flagged (worst severity, rules it must have fired);
// every other host must have no finding. Exit 0 on success, 1 on a store
// error, 2 on bad usage.
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
#include "cleansweep/v1/event.pb.h"
#include "collector/store/sqlite_event_store.h"
#include "tests/bench/fleet_model.h"

namespace cleansweep::bench {
namespace {

constexpr int64_t kSlice = 10 * kMinute;
constexpr int kSlices = 24 * 6;
// 2024-03-04T00:00:00Z.
constexpr int64_t kStartUs = 1709510400LL * kSecond;

struct Flags {
  std::string db;
  std::string fleet;
  uint64_t events = 5000000;
  int hosts = 1000;
  uint64_t seed = 20240304;
};

std::vector<Host> MakeFleet(int hosts) {
  std::vector<Host> fleet(static_cast<size_t>(hosts));
  for (int i = 0; i < hosts; ++i) {
    Host& h = fleet[static_cast<size_t>(i)];
    h.agent_id = absl::StrFormat("ws-%04d", i);
    h.ip4 = absl::StrCat("10.1.", i / 250, ".", i % 250 + 1);
    h.ip6 = absl::StrFormat("2001:db8:10::1:%x", i + 1);
    h.role = i < hosts / 5 ? Role::kRelayOnly : Role::kNormal;
  }
  // Noisy hosts, spread over the normal ones; their bursts spread over the day.
  auto pick = [&](int percent, Role role, int64_t start) {
    Host& h = fleet[static_cast<size_t>(hosts * percent / 100)];
    h.role = role;
    h.burst_start = kStartUs + start;
  };
  pick(23, Role::kMassMailer, 9 * kHour + 30 * kMinute);
  pick(41, Role::kMassMailer, 13 * kHour);
  pick(77, Role::kMassMailer, 20 * kHour + 15 * kMinute);
  pick(35, Role::kSweeper, 11 * kHour + 5 * kMinute);
  pick(88, Role::kSweeper, 16 * kHour + 40 * kMinute);
  pick(52, Role::kDeveloper, 14 * kHour + 5 * kMinute);
  pick(64, Role::kSlowMailer, 15 * kHour);
  return fleet;
}

// One event with the index of the agent that reports it (hosts.size() = the
// mail server's agent).
struct Pending {
  size_t agent;
  Event event;
};

// The noisy hosts' events in [from, to), at fixed rates during their bursts.
void NoisyEvents(Rng& rng, const std::vector<Host>& fleet, int64_t from, int64_t to,
                 int64_t mm_len, int64_t sweep_len, std::vector<Pending>* out) {
  for (size_t a = 0; a < fleet.size(); ++a) {
    const Host& h = fleet[a];
    auto each = [&](int64_t start, int64_t len, int64_t step, auto&& make) {
      const int64_t end = start + len;
      int64_t t = start;
      if (t < from) t += (from - t + step - 1) / step * step;
      for (; t < end && t < to; t += step) out->push_back({a, make(t)});
    };
    switch (h.role) {
      case Role::kMassMailer: {
        each(h.burst_start, mm_len, 2 * kSecond, [&](int64_t t) {
          return MakeDns(rng, t, h.ip4, absl::StrCat("victim", rng.Below(1000000), ".example.net"),
                         15);
        });
        each(h.burst_start + 300000, mm_len, 2 * kSecond, [&](int64_t t) {
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
          return MakeSmtp(rng, t, s);
        });
        each(h.burst_start + 700000, mm_len, 10 * kSecond, [&](int64_t t) {
          return MakeWorm(rng, t, h.ip4, ExternalIp(rng), 3127, Pick(rng, 0.02, 0.18));
        });
        break;
      }
      case Role::kSweeper:
        each(h.burst_start, sweep_len, kSecond / 4, [&](int64_t t) {
          const std::string dst = rng.Chance(0.5) ? ExternalIp(rng)
                                                  : Ip4((10u << 24) | (rng.Next() & 0xffffff));
          return MakeWorm(rng, t, h.ip4, dst, 445, Pick(rng, 0.05, 0.25));
        });
        break;
      case Role::kDeveloper:
        each(h.burst_start, 1, 1, [&](int64_t t) {
          Smtp s;
          s.client_ip = h.ip4;
          s.server_ip = ExternalIp(rng);
          s.helo = "devbox.corp.example.com";
          s.mail_from = "dev@example.com";
          s.rcpts = {"test-inbox@example.net"};
          return MakeSmtp(rng, t, s);
        });
        break;
      case Role::kSlowMailer:
        each(h.burst_start, kHour, 2 * kMinute, [&](int64_t t) {
          Smtp s;
          s.client_ip = h.ip4;
          s.server_ip = ExternalIp(rng);
          s.helo = absl::StrCat(h.agent_id, ".corp.example.com");
          s.outcome = Pick(rng, 0.7, 0.2);
          s.mail_from = absl::StrCat(Person(rng), "@example.org");
          s.rcpts = {absl::StrCat(Person(rng), "@", kPartners[rng.Below(4)])};
          return MakeSmtp(rng, t, s);
        });
        break;
      default:
        break;
    }
  }
}

// How many events the noisy hosts make in total (the same rules as above).
uint64_t CountNoisy(const std::vector<Host>& fleet, int64_t mm_len, int64_t sweep_len) {
  auto steps = [](int64_t len, int64_t step) { return static_cast<uint64_t>((len + step - 1) / step); };
  uint64_t n = 0;
  for (const Host& h : fleet) {
    switch (h.role) {
      case Role::kMassMailer:
        n += 2 * steps(mm_len, 2 * kSecond) + steps(mm_len, 10 * kSecond);
        break;
      case Role::kSweeper:
        n += steps(sweep_len, kSecond / 4);
        break;
      case Role::kDeveloper:
        n += 1;
        break;
      case Role::kSlowMailer:
        n += steps(kHour, 2 * kMinute);
        break;
      default:
        break;
    }
  }
  return n;
}

std::string Rfc3339(int64_t us) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(us), absl::UTCTimeZone());
}

absl::Status WriteFleet(const Flags& flags, const std::vector<Host>& fleet) {
  std::string text = absl::StrCat("from ", Rfc3339(kStartUs), "\n", "to ",
                                  Rfc3339(kStartUs + kSlices * kSlice), "\n");
  absl::StrAppend(&text, "events ", flags.events, "\n");
  absl::StrAppend(&text,
                  "site name: \"bench-fleet\"\n"
                  "site internal_networks: \"10.0.0.0/8\"\n"
                  "site internal_networks: \"2001:db8:10::/48\"\n"
                  "site approved_relays { name: \"relay\" addresses: \"",
                  kRelay4, "\" addresses: \"", kRelay6,
                  "\" }\n"
                  "site mail_servers { name: \"mx-out\" addresses: \"",
                  kMailServer,
                  "\" }\n"
                  "site mail_domains: \"example.com\"\n"
                  "site mail_domains: \"example.org\"\n"
                  "site clean_coverage: 0.95\n");
  for (const Host& h : fleet) {
    switch (h.role) {
      case Role::kMassMailer:
        absl::StrAppend(&text, "expect ", h.ip4,
                        " worm-scanning smtp_external_destinations_burst "
                        "smtp_external_attempts_burst forged_own_domain_sender rcpt_count_burst "
                        "mx_lookups_burst mydoom_backdoor_probe worm_port_fanout\n");
        break;
      case Role::kSweeper:
        absl::StrAppend(&text, "expect ", h.ip4, " worm-scanning worm_port_fanout\n");
        break;
      case Role::kDeveloper:
        absl::StrAppend(&text, "expect ", h.ip4, " notice smtp_direct_external\n");
        break;
      case Role::kSlowMailer:
        absl::StrAppend(&text, "expect ", h.ip4, " suspicious smtp_external_attempts_slow\n");
        break;
      case Role::kRelayOnly:
        absl::StrAppend(&text, "relay-only ", h.ip4, "\n");
        break;
      default:
        break;
    }
  }
  FILE* f = std::fopen(flags.fleet.c_str(), "w");
  if (f == nullptr) return absl::InternalError(absl::StrCat("cannot write ", flags.fleet));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) {
    return absl::InternalError(absl::StrCat("cannot write ", flags.fleet));
  }
  return absl::OkStatus();
}

int Run(const Flags& flags) {
  // Bursts scale with the database: full length at 5,000,000 events.
  const double scale = std::min(1.0, static_cast<double>(flags.events) / 5e6);
  const int64_t mm_len = std::max<int64_t>(10 * kMinute, static_cast<int64_t>(2 * kHour * scale));
  const int64_t sweep_len = std::max<int64_t>(5 * kMinute, static_cast<int64_t>(kHour * scale));
  const std::vector<Host> fleet = MakeFleet(flags.hosts);
  const uint64_t noisy = CountNoisy(fleet, mm_len, sweep_len);
  if (flags.events < 2 * noisy) {
    std::fprintf(stderr, "cs_history_fill: --events must be at least %llu\n",
                 static_cast<unsigned long long>(2 * noisy));
    return 2;
  }
  const uint64_t normal = flags.events - noisy;

  collector::SqliteOptions options;
  auto store = collector::OpenSqliteEventStore(flags.db, options);
  if (!store.ok()) {
    std::fprintf(stderr, "cs_history_fill: %s\n", store.status().ToString().c_str());
    return 1;
  }
  // Agent identities: the workstations, then the mail server.
  std::vector<collector::AgentIdentity> agents;
  for (const Host& h : fleet) {
    agents.push_back({h.agent_id, h.agent_id, "bench", absl::StrCat("ipv4:", h.ip4, ":50000")});
  }
  agents.push_back({"mx-out", "mx-out", "bench", absl::StrCat("ipv4:", kMailServer, ":50000")});
  std::vector<uint64_t> next_sequence(agents.size(), 1);

  Rng rng(flags.seed);
  const absl::Time started = absl::Now();
  uint64_t stored = 0;
  std::vector<Pending> slice;
  for (int s = 0; s < kSlices; ++s) {
    const int64_t from = kStartUs + s * kSlice, to = from + kSlice;
    slice.clear();
    NoisyEvents(rng, fleet, from, to, mm_len, sweep_len, &slice);
    const uint64_t budget = normal / kSlices + (static_cast<uint64_t>(s) < normal % kSlices);
    for (uint64_t i = 0; i < budget; ++i) {
      const int64_t t = from + rng.Below64(kSlice);
      const uint32_t who = rng.Below(100);
      if (who < 19) {
        // 10 % outbound delivery, 5 % MX lookups, 4 % inbound.
        slice.push_back({fleet.size(), MailServerEvent(rng, t, who < 10 ? 0 : who < 15 ? 1 : 2)});
      } else {
        const size_t a = rng.Below(static_cast<uint32_t>(fleet.size()));
        slice.push_back({a, NormalWorkstationEvent(rng, fleet[a], t)});
      }
    }
    // Each agent delivers its slice in the order it emits events (when a
    // session ends, a query is answered, an attempt gives up), sequences
    // contiguous: event times are not quite in order, as from a real agent.
    std::stable_sort(slice.begin(), slice.end(), [](const Pending& a, const Pending& b) {
      if (a.agent != b.agent) return a.agent < b.agent;
      return EmittedAt(a.event) < EmittedAt(b.event);
    });
    std::vector<Event> events;
    events.reserve(slice.size());
    std::vector<std::pair<size_t, size_t>> ranges;  // agent, first index
    for (Pending& p : slice) {
      p.event.set_sequence(next_sequence[p.agent]++);
      if (ranges.empty() || ranges.back().first != p.agent) ranges.push_back({p.agent, events.size()});
      events.push_back(std::move(p.event));
    }
    std::vector<collector::EventAppend> batches;
    for (size_t r = 0; r < ranges.size(); ++r) {
      const size_t first = ranges[r].second;
      const size_t end = r + 1 < ranges.size() ? ranges[r + 1].second : events.size();
      batches.push_back({&agents[ranges[r].first],
                         absl::Span<const Event>(events.data() + first, end - first)});
    }
    const absl::Time received = absl::FromUnixMicros(to + 5 * kSecond);
    for (const auto& result : (*store)->AppendEventGroups(batches, received)) {
      if (!result.ok()) {
        std::fprintf(stderr, "cs_history_fill: %s\n", result.status().ToString().c_str());
        return 1;
      }
    }
    stored += events.size();
  }
  if (auto st = (*store)->Close(); !st.ok()) {
    std::fprintf(stderr, "cs_history_fill: %s\n", st.ToString().c_str());
    return 1;
  }
  if (auto st = WriteFleet(flags, fleet); !st.ok()) {
    std::fprintf(stderr, "cs_history_fill: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("stored %llu events (%llu from noisy hosts) of %zu agents in %.1f s\n",
              static_cast<unsigned long long>(stored), static_cast<unsigned long long>(noisy),
              agents.size(), absl::ToDoubleSeconds(absl::Now() - started));
  return 0;
}

int Usage(const std::string& message) {
  std::fprintf(stderr,
               "cs_history_fill: %s\nusage: cs_history_fill --db FILE --fleet FILE "
               "[--events N] [--hosts H] [--seed S]\n",
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
    if (i + 1 >= argc) return Usage(absl::StrCat("missing value for ", arg));
    const std::string value = argv[++i];
    bool ok = true;
    if (arg == "--db") {
      flags.db = value;
    } else if (arg == "--fleet") {
      flags.fleet = value;
    } else if (arg == "--events") {
      ok = absl::SimpleAtoi(value, &flags.events) && flags.events > 0;
    } else if (arg == "--hosts") {
      ok = absl::SimpleAtoi(value, &flags.hosts) && flags.hosts >= 100 && flags.hosts <= 60000;
    } else if (arg == "--seed") {
      ok = absl::SimpleAtoi(value, &flags.seed);
    } else {
      return Usage(absl::StrCat("unknown argument ", arg));
    }
    if (!ok) return Usage(absl::StrCat("bad value for ", arg, ": ", value));
  }
  if (flags.db.empty() || flags.fleet.empty()) return Usage("--db and --fleet are required");
  if (FILE* f = std::fopen(flags.db.c_str(), "r")) {
    std::fclose(f);
    return Usage(absl::StrCat(flags.db, " exists; the database must be fresh"));
  }
  return cleansweep::bench::Run(flags);
}
