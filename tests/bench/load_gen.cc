// cs_load_gen: load generator for `cleansweep-collector serve`.
//
// Starts the real collector binary (TLS on 127.0.0.1, port 0, database in
// --work-dir) and drives it with simulated agents that use the agent's own
// client code (agent/uplink Uplink) to stream batches of SMTP, DNS-MX and
// worm-port events shaped like the ones the agent emits. In one run it prints:
//   ceiling     raw SQLite insert rate of the same rows into the same schema on
//               the same disk (one direct sqlite3 writer, WAL, synchronous=FULL,
//               the collector's page cache size, large transactions): what the
//               collector could at best reach;
//   throughput  durable (acknowledged) events/s with --agents agents, the
//               ratio to the ceiling, and CPU per event of the collector and of
//               this process (the simulated agents share the same cores);
//   overload    collector RSS once a second while the agents offer twice the
//               measured rate for --overload-seconds (it must stay flat);
//   idle        collector RSS per connected idle agent: a fresh collector,
//               --idle-agents agents connected, (RSS after - RSS before) / N;
//               RSS after every 100 agents too; --idle-hold-seconds S keeps
//               them connected S more seconds (to look at the collector);
//   detection   (only when asked for) durable events/s of two fresh collectors,
//               without and with `--rules` (live detection over rules/ from
//               --rules-src, every agent an internal host mailing directly to
//               external servers), and the cost as a fraction of ingest.
// Acknowledged means durably stored: the collector acks only after commit.
//
//   cs_load_gen --collector-bin PATH --pki-script deploy/pki.sh --work-dir DIR
//               [--agents 100] [--seconds 10] [--batch 500]
//               [--overload-seconds 20] [--idle-agents 1000] [--idle-hold-seconds 0]
//               [--phases ceiling,throughput,overload,idle[,detection]]
//               [--agents-nice 10]
//               [--rules-src rules]
// Exit code 0 when every phase ran, 1 on a failure (collector did not start,
// agents were refused, ...), 2 on bad usage. No goal is asserted here: this is
// a benchmark, it reports numbers.
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/uplink/enroll_client.h"
#include "agent/uplink/uplink.h"
#include "cleansweep/v1/event.pb.h"
#include "collector/store/sqlite_event_store.h"

extern char** environ;

namespace cleansweep::bench {
namespace {

using cleansweep::v1::Event;

struct Flags {
  std::string collector_bin;
  std::string pki_script;
  std::string work_dir;
  int agents = 100;
  double seconds = 10;
  int batch = 500;
  double overload_seconds = 20;
  int idle_agents = 1000;
  // Seconds the idle agents stay connected after the measurement (to inspect
  // the collector from outside, e.g. with gdb or /proc/PID/smaps).
  double idle_hold_seconds = 0;
  std::string phases = "ceiling,throughput,overload,idle";
  // The repository's rules/ (worms and detection); the detection phase adds a
  // site whose internal network holds every simulated agent.
  std::string rules_src;
  // Scheduling priority (nice) of the simulated agents' threads. They stand
  // for workstations that are other machines in a deployment; on this machine
  // they would otherwise take the CPU the collector being measured needs.
  // The collector runs at the priority this program was started with.
  int agents_nice = 10;
};

// Lowers the calling thread's priority to `nice` (Linux keeps nice per
// thread; threads created by it inherit it). No privilege is needed to lower.
void NiceThisThread(int nice) {
  if (nice <= 0) return;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) != 0) {
    std::fprintf(stderr, "cs_load_gen: cannot lower the agents' priority: %s\n",
                 std::strerror(errno));
  }
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------
// Credentials: the one place that knows how an agent proves who it is. The
// collector gets deploy/pki.sh's enrollment secret; each simulated agent
// enrolls with it (the agent's own EnrollWithCollector) and streams with its
// node key.

struct Auth {
  std::vector<std::string> serve_args;  // TLS and credential flags for `serve`
  // Fills the credential fields of one agent's UplinkOptions.
  std::function<absl::Status(const std::string& collector_address,
                             agent::UplinkOptions* options)>
      configure_agent;
};

absl::StatusOr<Auth> SetUpAuth(const Flags& flags) {
  const std::string pki = flags.work_dir + "/pki";
  const std::string cmd = absl::StrCat("'", flags.pki_script, "' '", pki, "' >/dev/null");
  if (std::system(cmd.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("`", cmd, "` failed"));
  }
  auto ca = ReadWholeFile(pki + "/ca.pem");
  if (!ca.ok()) return ca.status();
  const std::string secret_file = pki + "/enroll-secret";
  auto secret = ReadWholeFile(secret_file);
  if (!secret.ok()) return secret.status();
  Auth auth;
  auth.serve_args = {"--tls-cert", pki + "/server.pem", "--tls-key", pki + "/server.key",
                     "--enroll-secret-file", secret_file};
  auth.configure_agent = [ca_pem = *ca, secret = std::string(absl::StripAsciiWhitespace(*secret))](
                             const std::string& address, agent::UplinkOptions* o) {
    agent::CollectorChannelOptions channel;
    channel.address = address;
    channel.ca_pem = ca_pem;
    cleansweep::v1::EnrollRequest request;
    request.set_enroll_secret(secret);
    request.set_agent_id(o->agent_id);
    absl::StatusOr<cleansweep::v1::EnrollResponse> enrolled =
        agent::EnrollWithCollector(channel, request, absl::Seconds(30));
    if (!enrolled.ok()) return enrolled.status();
    o->ca_pem = ca_pem;
    o->token = enrolled->node_key();
    return absl::OkStatus();
  };
  return auth;
}

// ---------------------------------------------------------------------------
// The collector process.

class CollectorProcess {
 public:
  static absl::StatusOr<std::unique_ptr<CollectorProcess>> Start(
      const Flags& flags, const Auth& auth, const std::string& db_path,
      const std::vector<std::string>& extra_args = {}) {
    std::unique_ptr<CollectorProcess> p(new CollectorProcess());
    p->stderr_path_ = db_path + ".stderr";
    int out[2];
    if (pipe(out) != 0) return absl::InternalError("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, p->stderr_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> argv = {flags.collector_bin, "serve", "--db", db_path,
                                     "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), auth.serve_args.begin(), auth.serve_args.end());
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int rc = posix_spawn(&p->pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      p->pid_ = -1;
      return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", strerror(rc)));
    }
    // Wait for the collector's own announcement (the timeout only bounds a hang).
    std::string line;
    while (line.find('\n') == std::string::npos) {
      pollfd fd = {out[0], POLLIN, 0};
      if (poll(&fd, 1, 60000) <= 0) break;
      char buf[256];
      ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    line = line.substr(0, line.find('\n'));
    if (!absl::StartsWith(line, "listening on ")) {
      auto err = ReadWholeFile(p->stderr_path_);
      return absl::InternalError(absl::StrCat("collector did not start: ",
                                              err.ok() ? *err : "(no stderr)"));
    }
    p->address_ = line.substr(std::string("listening on ").size());
    return p;
  }

  ~CollectorProcess() { Stop(); }

  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // Resident set size in KiB (VmRSS), 0 if the process is gone.
  int64_t RssKib() const {
    auto status = ReadWholeFile(absl::StrCat("/proc/", pid_, "/status"));
    if (!status.ok()) return 0;
    for (absl::string_view line : absl::StrSplit(*status, '\n')) {
      if (absl::ConsumePrefix(&line, "VmRSS:")) {
        line = absl::StripAsciiWhitespace(line);
        absl::ConsumeSuffix(&line, " kB");
        int64_t kib = 0;
        if (absl::SimpleAtoi(line, &kib)) return kib;
      }
    }
    return 0;
  }

  // User + system CPU seconds used so far.
  double CpuSeconds() const {
    auto stat = ReadWholeFile(absl::StrCat("/proc/", pid_, "/stat"));
    if (!stat.ok()) return 0;
    size_t close_paren = stat->rfind(')');
    if (close_paren == std::string::npos) return 0;
    std::vector<std::string> fields =
        absl::StrSplit(stat->substr(close_paren + 2), ' ', absl::SkipEmpty());
    // After "pid (comm) ": state is field 0; utime 11, stime 12.
    int64_t utime = 0, stime = 0;
    if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
        !absl::SimpleAtoi(fields[12], &stime)) {
      return 0;
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  CollectorProcess() = default;
  pid_t pid_ = -1;
  std::string address_;
  std::string stderr_path_;
};

// ---------------------------------------------------------------------------
// Events shaped like the agent's: an SMTP session with one transaction, an MX
// lookup with its answer, a worm-port SYN. Templates are built once; each
// event is a copy with its own sequence, time and client address.

class EventFactory {
 public:
  EventFactory() {
    for (int i = 0; i < 64; ++i) templates_.push_back(Make(i));
  }

  Event Next(int agent, uint64_t sequence, absl::Time now) const {
    Event e = templates_[sequence % templates_.size()];
    e.set_sequence(sequence);
    SetTime(now, e.mutable_time());
    const std::string client = absl::StrCat("10.", (agent >> 8) & 255, ".", agent & 255, ".17");
    switch (e.kind_case()) {
      case Event::kSmtp:
        e.mutable_smtp()->mutable_client()->set_ip(client);
        SetTime(now - absl::Milliseconds(900), e.mutable_smtp()->mutable_start_time());
        SetTime(now, e.mutable_smtp()->mutable_end_time());
        break;
      case Event::kDns:
        e.mutable_dns()->mutable_client()->set_ip(client);
        SetTime(now - absl::Milliseconds(20), e.mutable_dns()->mutable_time());
        SetTime(now, e.mutable_dns()->mutable_answer_time());
        break;
      case Event::kWormPort:
        e.mutable_worm_port()->mutable_client()->set_ip(client);
        SetTime(now, e.mutable_worm_port()->mutable_time());
        break;
      case Event::KIND_NOT_SET:
        break;
    }
    return e;
  }

 private:
  static void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
    const int64_t us = absl::ToUnixMicros(t);
    ts->set_seconds(us / 1000000);
    ts->set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
  }

  static Event Make(int i) {
    static const char* kDomains[] = {"example.com", "example.net", "mail.example.org",
                                     "corp.example", "customer.example.co.uk"};
    const std::string domain = kDomains[i % 5];
    const std::string server = absl::StrCat("198.51.100.", 10 + i);
    Event e;
    e.set_interface(i % 3 == 0 ? "wlp2s0" : "enp3s0");
    if (i % 20 == 19) {
      auto* w = e.mutable_worm_port();
      w->mutable_client()->set_port(static_cast<uint32_t>(40000 + i));
      w->mutable_server()->set_ip(absl::StrCat("203.0.113.", i));
      w->mutable_server()->set_port(3127 + static_cast<uint32_t>(i % 8));
      w->set_transport(cleansweep::v1::TRANSPORT_TCP);
      w->set_outcome(cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER);
      w->set_attempts(3);
    } else if (i % 2 == 0) {
      auto* s = e.mutable_smtp();
      s->mutable_client()->set_port(static_cast<uint32_t>(50000 + i));
      s->mutable_server()->set_ip(server);
      s->mutable_server()->set_port(i % 4 == 0 ? 587 : 25);
      s->set_outcome(cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
      s->set_client_bytes(static_cast<uint64_t>(2400 + 37 * i));
      s->set_server_bytes(static_cast<uint64_t>(610 + 3 * i));
      s->set_helo_command("EHLO");
      s->set_helo(absl::StrCat("ws-", 100 + i, ".corp.example"));
      s->set_starttls(i % 4 == 0);
      if (i % 4 != 0) {
        auto* t = s->add_transactions();
        t->set_mail_from(absl::StrCat("user", i, "@corp.example"));
        t->add_rcpt_to(absl::StrCat("<info@", domain, ">"));
        if (i % 3 == 0) t->add_rcpt_to(absl::StrCat("<sales@", domain, ">"));
        t->set_rcpt_accepted(static_cast<uint32_t>(t->rcpt_to_size()));
        t->set_data_sent(true);
        t->set_data_accepted(true);
        t->set_last_reply_code(250);
        t->set_last_reply(absl::StrCat("250 2.0.0 Ok: queued as 4F", 1000 + i, "A2C"));
      }
      s->set_last_reply_code(221);
      s->set_last_reply("221 2.0.0 Bye");
      s->set_client_seen(true);
      s->set_server_seen(true);
      s->set_end_reason("fin");
    } else {
      auto* d = e.mutable_dns();
      d->mutable_client()->set_port(static_cast<uint32_t>(30000 + 97 * i));
      d->mutable_server()->set_ip("192.0.2.53");
      d->mutable_server()->set_port(53);
      d->set_transport(cleansweep::v1::TRANSPORT_UDP);
      d->set_id(static_cast<uint32_t>(4000 + 13 * i));
      d->set_name(domain);
      d->set_qtype(15);
      d->set_qtype_name("MX");
      d->set_answered(true);
      d->set_rcode(0);
      d->set_rcode_name("NOERROR");
      auto* mx = d->add_mx();
      mx->set_preference(10);
      mx->set_exchange(absl::StrCat("mx1.", domain));
      mx = d->add_mx();
      mx->set_preference(20);
      mx->set_exchange(absl::StrCat("mx2.", domain));
    }
    return e;
  }

  std::vector<Event> templates_;
};

// ---------------------------------------------------------------------------
// Simulated agents: one Uplink each, fed by one producer thread.

struct SimAgent {
  std::unique_ptr<agent::Uplink> uplink;
  uint64_t next_sequence = 1;  // producer thread only
};

class AgentFleet {
 public:
  AgentFleet(const Auth* auth, std::string address, int batch, int nice)
      : auth_(auth), address_(std::move(address)), batch_(batch), nice_(nice) {}
  ~AgentFleet() { StopAll(); }

  // Starts `count` more agents named <prefix>-<n>, from a thread at the
  // agents' priority (their threads inherit it).
  absl::Status Add(int count, const std::string& prefix) {
    absl::Status status;
    std::thread starter([&] {
      NiceThisThread(nice_);
      status = AddHere(count, prefix);
    });
    starter.join();
    return status;
  }

  // Streams that got the collector's answer to Hello (its CaptureConfig).
  int configured() const { return configured_.load(); }
  size_t size() const { return agents_.size(); }

 private:
  absl::Status AddHere(int count, const std::string& prefix) {
    for (int i = 0; i < count; ++i) {
      agent::UplinkOptions o;
      o.collector_address = address_;
      o.agent_id = absl::StrCat(prefix, "-", agents_.size());
      o.hostname = absl::StrCat("ws-", agents_.size(), ".corp.example");
      o.version = "load-gen";
      o.max_batch_events = static_cast<size_t>(batch_);
      absl::Status s = auth_->configure_agent(address_, &o);
      if (!s.ok()) return s;
      auto a = std::make_unique<SimAgent>();
      a->uplink = std::make_unique<agent::Uplink>(
          o, nullptr, [this](const cleansweep::v1::CaptureConfig&) { configured_.fetch_add(1); });
      s = a->uplink->Start();
      if (!s.ok()) return s;
      agents_.push_back(std::move(a));
    }
    return absl::OkStatus();
  }

 public:
  uint64_t AckedTotal() const {
    uint64_t sum = 0;
    for (const auto& a : agents_) sum += a->uplink->acked_sequence();
    return sum;
  }

  // Feeds every agent from one thread: each keeps at most `window` events
  // unacknowledged (what its spool would hand the uplink); with rate > 0 the
  // fleet as a whole produces at most `rate` events/s.
  void StartProducing(uint64_t window, double rate) {
    StopProducing();
    window_ = window;
    rate_ = rate;
    producing_ = true;
    producer_ = std::thread([this] { Produce(); });
  }

  void StopProducing() {
    producing_ = false;
    if (producer_.joinable()) producer_.join();
  }

  uint64_t produced() const { return produced_.load(); }

  // Stops every uplink (in parallel: each may wait for its final acks).
  void StopAll() {
    StopProducing();
    std::vector<std::thread> stoppers;
    const size_t n = agents_.size();
    const size_t per = 50;
    for (size_t start = 0; start < n; start += per) {
      stoppers.emplace_back([this, start, n, per] {
        for (size_t i = start; i < std::min(n, start + per); ++i) agents_[i]->uplink->Stop();
      });
    }
    for (auto& t : stoppers) t.join();
    agents_.clear();
  }

 private:
  void Produce() {
    NiceThisThread(nice_);
    const absl::Time start = absl::Now();
    uint64_t made = 0;
    while (producing_) {
      bool any = false;
      for (size_t i = 0; i < agents_.size() && producing_; ++i) {
        SimAgent& a = *agents_[i];
        const uint64_t outstanding = a.next_sequence - 1 - a.uplink->acked_sequence();
        if (outstanding + static_cast<uint64_t>(batch_) > window_) continue;
        if (rate_ > 0) {
          const double allowed = absl::ToDoubleSeconds(absl::Now() - start) * rate_;
          if (static_cast<double>(made) >= allowed) break;
        }
        const absl::Time now = absl::Now();
        for (int k = 0; k < batch_; ++k) {
          a.uplink->Enqueue(factory_.Next(static_cast<int>(i), a.next_sequence++, now));
        }
        made += static_cast<uint64_t>(batch_);
        produced_.fetch_add(static_cast<uint64_t>(batch_));
        any = true;
      }
      if (!any) absl::SleepFor(absl::Milliseconds(1));
    }
  }

  const Auth* const auth_;
  const std::string address_;
  const int batch_;
  const int nice_;
  const EventFactory factory_;
  std::vector<std::unique_ptr<SimAgent>> agents_;
  std::atomic<int> configured_{0};
  std::atomic<bool> producing_{false};
  std::atomic<uint64_t> produced_{0};
  uint64_t window_ = 0;
  double rate_ = 0;
  std::thread producer_;
};

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

// ---------------------------------------------------------------------------
// Phases.

// Raw SQLite insert rate of the same rows into the collector's schema: the
// schema is created by the collector's own store code, then one plain
// sqlite3 connection inserts batch-interleaved rows of `agents` agents in
// transactions of 20 batches, for `seconds`.
absl::StatusOr<double> MeasureCeiling(const Flags& flags) {
  const std::string path = flags.work_dir + "/ceiling.db";
  {
    auto store = collector::OpenSqliteEventStore(path);
    if (!store.ok()) return store.status();
    auto closed = (*store)->Close();
    if (!closed.ok()) return closed;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("cannot open ", path));
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> guard(db, &sqlite3_close);
  auto exec = [db](const char* sql) -> absl::Status {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      absl::Status s = absl::InternalError(absl::StrCat(sql, ": ", err ? err : "?"));
      sqlite3_free(err);
      return s;
    }
    return absl::OkStatus();
  };
  if (auto s = exec("PRAGMA journal_mode = WAL"); !s.ok()) return s;
  if (auto s = exec("PRAGMA synchronous = FULL"); !s.ok()) return s;
  // The collector's page cache (sqlite_event_store.cc), so that neither
  // spills dirty pages in the middle of a transaction and the other not.
  if (auto s = exec("PRAGMA cache_size = -32768"); !s.ok()) return s;

  // The rows: every template serialized once (the payload bytes do not change
  // SQLite's work), with the columns the collector derives from them.
  struct Row {
    std::string kind, src, dst, payload;
    int64_t port;
  };
  EventFactory factory;
  std::vector<Row> rows;
  const absl::Time t0 = absl::Now();
  for (int i = 0; i < 64; ++i) {
    Event e = factory.Next(i, static_cast<uint64_t>(i), t0);
    Row r;
    const cleansweep::v1::Endpoint* server = nullptr;
    if (e.has_smtp()) {
      r.kind = "smtp", r.src = e.smtp().client().ip(), server = &e.smtp().server();
    } else if (e.has_dns()) {
      r.kind = "dns", r.src = e.dns().client().ip(), server = &e.dns().server();
    } else {
      r.kind = "worm_port", r.src = e.worm_port().client().ip(), server = &e.worm_port().server();
    }
    r.dst = server->ip();
    r.port = server->port();
    e.SerializeToString(&r.payload);
    rows.push_back(std::move(r));
  }
  std::vector<std::string> agent_ids;
  for (int a = 0; a < flags.agents; ++a) agent_ids.push_back(absl::StrCat("ceiling-", a));

  sqlite3_stmt* insert = nullptr;
  const char* sql =
      "INSERT INTO events (agent_id, sequence, kind, time_us, received_us, src_ip, dst_ip, "
      "dst_port, payload) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (agent_id, sequence) DO NOTHING";
  if (sqlite3_prepare_v2(db, sql, -1, &insert, nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("prepare: ", sqlite3_errmsg(db)));
  }
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> insert_guard(insert, &sqlite3_finalize);
  std::vector<uint64_t> next(static_cast<size_t>(flags.agents), 1);
  uint64_t inserted = 0;
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(flags.seconds);
  int agent = 0;
  while (absl::Now() < end) {
    if (auto s = exec("BEGIN"); !s.ok()) return s;
    for (int b = 0; b < 20; ++b) {
      const int64_t now_us = absl::ToUnixMicros(absl::Now());
      const std::string& id = agent_ids[static_cast<size_t>(agent)];
      for (int k = 0; k < flags.batch; ++k) {
        const uint64_t seq = next[static_cast<size_t>(agent)]++;
        const Row& r = rows[seq % rows.size()];
        sqlite3_bind_text(insert, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        sqlite3_bind_int64(insert, 2, static_cast<int64_t>(seq));
        sqlite3_bind_text(insert, 3, r.kind.data(), static_cast<int>(r.kind.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(insert, 4, now_us);
        sqlite3_bind_int64(insert, 5, now_us);
        sqlite3_bind_text(insert, 6, r.src.data(), static_cast<int>(r.src.size()),
                          SQLITE_STATIC);
        sqlite3_bind_text(insert, 7, r.dst.data(), static_cast<int>(r.dst.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(insert, 8, r.port);
        sqlite3_bind_blob(insert, 9, r.payload.data(), static_cast<int>(r.payload.size()),
                          SQLITE_STATIC);
        if (sqlite3_step(insert) != SQLITE_DONE) {
          return absl::InternalError(absl::StrCat("insert: ", sqlite3_errmsg(db)));
        }
        sqlite3_reset(insert);
      }
      inserted += static_cast<uint64_t>(flags.batch);
      agent = (agent + 1) % flags.agents;
    }
    if (auto s = exec("COMMIT"); !s.ok()) return s;
  }
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("ceiling: %llu rows in %.1f s by one direct sqlite3 writer (same schema, WAL, "
              "synchronous=FULL, 32 MiB cache, %d rows per commit)\n",
              static_cast<unsigned long long>(inserted), elapsed, 20 * flags.batch);
  return static_cast<double>(inserted) / elapsed;
}

// CPU seconds (user + system) used by this process, the simulated agents.
double SelfCpuSeconds() {
  rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

void PrintRss(const char* what, const CollectorProcess& c) {
  std::printf("%s: collector RSS %.1f MiB\n", what, static_cast<double>(c.RssKib()) / 1024.0);
}

struct Throughput {
  double events_per_second = 0;
  double collector_us_per_event = 0;
};

// Durable events/s while every agent offers more than the collector stores.
Throughput MeasureStoredRate(const Flags& flags, CollectorProcess& c, AgentFleet& fleet,
                             const char* label) {
  // Each agent keeps 4 batches unacknowledged: always more on offer than
  // the collector has stored, so the rate measured is the collector's.
  fleet.StartProducing(4 * static_cast<uint64_t>(flags.batch), 0);
  absl::SleepFor(absl::Seconds(3));  // warm-up
  const uint64_t acked0 = fleet.AckedTotal();
  const double cpu0 = c.CpuSeconds();
  const double gen_cpu0 = SelfCpuSeconds();
  const absl::Time t0 = absl::Now();
  absl::SleepFor(absl::Seconds(flags.seconds));
  const uint64_t acked1 = fleet.AckedTotal();
  const double cpu1 = c.CpuSeconds();
  const double gen_cpu1 = SelfCpuSeconds();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - t0);
  Throughput t;
  t.events_per_second = static_cast<double>(acked1 - acked0) / elapsed;
  const double acked = static_cast<double>(std::max<uint64_t>(acked1 - acked0, 1));
  t.collector_us_per_event = 1e6 * (cpu1 - cpu0) / acked;
  std::printf("%s: %llu events acknowledged (durably stored) in %.1f s by %d agents: "
              "%.0f events/s; collector CPU %.0f %% of one core\n",
              label, static_cast<unsigned long long>(acked1 - acked0), elapsed, flags.agents,
              t.events_per_second, 100.0 * (cpu1 - cpu0) / elapsed);
  std::printf("%s: collector %.1f us CPU per event; simulated agents %.0f %% of one "
              "core, %.1f us CPU per event\n",
              label, t.collector_us_per_event, 100.0 * (gen_cpu1 - gen_cpu0) / elapsed,
              1e6 * (gen_cpu1 - gen_cpu0) / acked);
  std::fflush(stdout);
  return t;
}

// Starts a collector with `extra_args`, connects the agents, measures.
absl::StatusOr<Throughput> MeasureCollector(const Flags& flags, const Auth& auth,
                                            const std::string& db,
                                            const std::vector<std::string>& extra_args,
                                            const char* label) {
  auto collector = CollectorProcess::Start(flags, auth, db, extra_args);
  if (!collector.ok()) return collector.status();
  CollectorProcess& c = **collector;
  AgentFleet fleet(&auth, c.address(), flags.batch, flags.agents_nice);
  if (absl::Status s = fleet.Add(flags.agents, "measure"); !s.ok()) return s;
  if (!WaitFor([&] { return fleet.configured() >= flags.agents; }, absl::Seconds(60))) {
    return absl::DeadlineExceededError(
        absl::StrCat("only ", fleet.configured(), " of ", flags.agents, " agents connected"));
  }
  Throughput t = MeasureStoredRate(flags, c, fleet, label);
  PrintRss(label, c);
  fleet.StopAll();
  c.Stop();
  return t;
}

// Live detection on and off, each on a fresh collector and database: the
// detector's cost is the difference. Every simulated agent is an internal
// host delivering directly to external servers, so every event becomes a
// fact and every host fires rules: the detector's worst case.
absl::Status MeasureDetectionCost(const Flags& flags, const Auth& auth) {
  if (flags.rules_src.empty()) return absl::InvalidArgumentError("--rules-src DIR is required");
  const std::string rules = flags.work_dir + "/rules";
  const std::string cmd = absl::StrCat("mkdir -p '", rules, "' && cp '", flags.rules_src,
                                       "/worms.textproto' '", flags.rules_src,
                                       "/detection.textproto' '", rules, "/'");
  if (std::system(cmd.c_str()) != 0) return absl::InternalError(absl::StrCat("`", cmd, "` failed"));
  {
    std::ofstream site(rules + "/site.textproto");
    site << "name: \"load\"\ninternal_networks: \"10.0.0.0/8\"\n"
            "mail_domains: \"example.com\"\nclean_coverage: 0.9\n";
  }
  ASSIGN_OR_RETURN(Throughput off,
                   MeasureCollector(flags, auth, flags.work_dir + "/detect-off.db", {},
                                    "detection off"));
  ASSIGN_OR_RETURN(Throughput on, MeasureCollector(flags, auth, flags.work_dir + "/detect-on.db",
                                                   {"--rules", rules}, "detection on"));
  const double cost = 1.0 - on.events_per_second / std::max(off.events_per_second, 1.0);
  std::printf("detection: %.0f events/s with live detection, %.0f without: ratio on/off %.3f, "
              "cost %.1f %% of ingest throughput (goal <= 10 %%); CPU per event %.1f vs %.1f us\n",
              on.events_per_second, off.events_per_second,
              on.events_per_second / std::max(off.events_per_second, 1.0), 100.0 * cost,
              on.collector_us_per_event, off.collector_us_per_event);
  std::fflush(stdout);
  return absl::OkStatus();
}

int Run(const Flags& flags) {
  const bool want_ceiling = absl::StrContains(flags.phases, "ceiling");
  const bool want_throughput = absl::StrContains(flags.phases, "throughput");
  const bool want_overload = absl::StrContains(flags.phases, "overload");
  const bool want_idle = absl::StrContains(flags.phases, "idle");
  const bool want_detection = absl::StrContains(flags.phases, "detection");

  // Every agent holds a socket; the collector (a child) inherits the limit.
  rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  absl::StatusOr<Auth> auth = SetUpAuth(flags);
  if (!auth.ok()) {
    std::fprintf(stderr, "cs_load_gen: %s\n", std::string(auth.status().message()).c_str());
    return 1;
  }
  std::printf("agents %d, batch %d events, %.0f s per measurement, work dir %s\n", flags.agents,
              flags.batch, flags.seconds, flags.work_dir.c_str());
  std::printf("simulated agents at nice %d, the collector at nice %d (--agents-nice)\n",
              flags.agents_nice, getpriority(PRIO_PROCESS, 0));
  // Other work on the machine lowers every rate below: say how busy it was.
  auto loadavg = ReadWholeFile("/proc/loadavg");
  std::printf("load average at start: %s", loadavg.ok() ? loadavg->c_str() : "unknown\n");
  std::fflush(stdout);

  double ceiling = 0;
  if (want_ceiling) {
    absl::StatusOr<double> c = MeasureCeiling(flags);
    if (!c.ok()) {
      std::fprintf(stderr, "cs_load_gen: ceiling: %s\n", c.status().ToString().c_str());
      return 1;
    }
    ceiling = *c;
    std::printf("ceiling: %.0f events/s\n", ceiling);
    std::fflush(stdout);
  }

  double stored_rate = 0;
  if (want_throughput || want_overload) {
    auto collector = CollectorProcess::Start(flags, *auth, flags.work_dir + "/load.db");
    if (!collector.ok()) {
      std::fprintf(stderr, "cs_load_gen: %s\n", collector.status().ToString().c_str());
      return 1;
    }
    CollectorProcess& c = **collector;
    PrintRss("started", c);
    AgentFleet fleet(&*auth, c.address(), flags.batch, flags.agents_nice);
    if (absl::Status s = fleet.Add(flags.agents, "load"); !s.ok()) {
      std::fprintf(stderr, "cs_load_gen: %s\n", s.ToString().c_str());
      return 1;
    }
    if (!WaitFor([&] { return fleet.configured() >= flags.agents; }, absl::Seconds(60))) {
      std::fprintf(stderr, "cs_load_gen: only %d of %d agents connected\n", fleet.configured(),
                   flags.agents);
      return 1;
    }
    PrintRss("agents connected", c);
    stored_rate = MeasureStoredRate(flags, c, fleet, "throughput").events_per_second;
    if (ceiling > 0) {
      std::printf("ratio stored/ceiling: %.2f\n", stored_rate / ceiling);
    }
    PrintRss("after throughput", c);
    std::fflush(stdout);

    if (want_overload) {
      const double offer = 2 * std::max(stored_rate, 1000.0);
      // Agents may now hold up to 16 batches each: they keep offering while
      // the collector stores at its own pace.
      fleet.StartProducing(16 * static_cast<uint64_t>(flags.batch), offer);
      const uint64_t produced0 = fleet.produced();
      const uint64_t acked_start = fleet.AckedTotal();
      const absl::Time start = absl::Now();
      std::printf("overload: offering %.0f events/s (2x the measured rate) for %.0f s\n", offer,
                  flags.overload_seconds);
      std::printf("overload: RSS samples (MiB):");
      int64_t min_kib = INT64_MAX, max_kib = 0;
      for (int s = 1; s <= static_cast<int>(flags.overload_seconds); ++s) {
        absl::SleepFor(start + absl::Seconds(s) - absl::Now());
        const int64_t kib = c.RssKib();
        min_kib = std::min(min_kib, kib);
        max_kib = std::max(max_kib, kib);
        std::printf(" %.1f", static_cast<double>(kib) / 1024.0);
        std::fflush(stdout);
      }
      const double span = absl::ToDoubleSeconds(absl::Now() - start);
      std::printf("\noverload: RSS min %.1f MiB, max %.1f MiB; produced %.0f events/s, stored "
                  "%.0f events/s\n",
                  static_cast<double>(min_kib) / 1024.0, static_cast<double>(max_kib) / 1024.0,
                  static_cast<double>(fleet.produced() - produced0) / span,
                  static_cast<double>(fleet.AckedTotal() - acked_start) / span);
      std::fflush(stdout);
    }
    fleet.StopAll();
    c.Stop();
  }

  if (want_detection) {
    if (absl::Status s = MeasureDetectionCost(flags, *auth); !s.ok()) {
      std::fprintf(stderr, "cs_load_gen: detection: %s\n", s.ToString().c_str());
      return 1;
    }
  }

  if (want_idle) {
    auto collector = CollectorProcess::Start(flags, *auth, flags.work_dir + "/idle.db");
    if (!collector.ok()) {
      std::fprintf(stderr, "cs_load_gen: %s\n", collector.status().ToString().c_str());
      return 1;
    }
    CollectorProcess& c = **collector;
    AgentFleet fleet(&*auth, c.address(), flags.batch, flags.agents_nice);
    // One agent first, so one-time set-up (TLS, thread pools) is in the baseline.
    if (absl::Status s = fleet.Add(1, "idle"); !s.ok()) {
      std::fprintf(stderr, "cs_load_gen: %s\n", s.ToString().c_str());
      return 1;
    }
    if (!WaitFor([&] { return fleet.configured() >= 1; }, absl::Seconds(30))) {
      std::fprintf(stderr, "cs_load_gen: the first idle agent did not connect\n");
      return 1;
    }
    absl::SleepFor(absl::Seconds(1));
    const int64_t before = c.RssKib();
    for (int added = 0; added < flags.idle_agents; added += 100) {
      if (absl::Status s = fleet.Add(std::min(100, flags.idle_agents - added), "idle");
          !s.ok()) {
        std::fprintf(stderr, "cs_load_gen: %s\n", s.ToString().c_str());
        return 1;
      }
      WaitFor([&] { return fleet.configured() >= 1 + added + 100 ||
                           fleet.configured() >= 1 + flags.idle_agents; },
              absl::Seconds(30));
      std::printf("idle: %d agents connected, collector RSS %.1f MiB\n", fleet.configured() - 1,
                  static_cast<double>(c.RssKib()) / 1024.0);
      std::fflush(stdout);
    }
    if (!WaitFor([&] { return fleet.configured() >= 1 + flags.idle_agents; },
                 absl::Seconds(60))) {
      std::fprintf(stderr, "cs_load_gen: only %d of %d idle agents connected\n",
                   fleet.configured() - 1, flags.idle_agents);
      return 1;
    }
    absl::SleepFor(absl::Seconds(3));
    const int64_t after = c.RssKib();
    std::printf("idle: collector RSS %.1f MiB with 1 agent, %.1f MiB with %d more idle agents: "
                "%.1f KiB per idle agent\n",
                static_cast<double>(before) / 1024.0, static_cast<double>(after) / 1024.0,
                flags.idle_agents,
                static_cast<double>(after - before) / static_cast<double>(flags.idle_agents));
    std::fflush(stdout);
    if (flags.idle_hold_seconds > 0) {
      std::printf("idle: holding the agents connected for %.0f s (collector pid %d)\n",
                  flags.idle_hold_seconds, static_cast<int>(c.pid()));
      std::fflush(stdout);
      absl::SleepFor(absl::Seconds(flags.idle_hold_seconds));
    }
    fleet.StopAll();
    c.Stop();
  }
  return 0;
}

int Usage(const char* message) {
  std::fprintf(stderr, "cs_load_gen: %s\n", message);
  return 2;
}

}  // namespace
}  // namespace cleansweep::bench

int main(int argc, char** argv) {
  using cleansweep::bench::Usage;
  cleansweep::bench::Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return Usage(absl::StrCat("missing value for ", arg).c_str());
    const std::string value = argv[++i];
    bool ok = true;
    if (arg == "--collector-bin") {
      flags.collector_bin = value;
    } else if (arg == "--pki-script") {
      flags.pki_script = value;
    } else if (arg == "--work-dir") {
      flags.work_dir = value;
    } else if (arg == "--agents") {
      ok = absl::SimpleAtoi(value, &flags.agents) && flags.agents > 0;
    } else if (arg == "--seconds") {
      ok = absl::SimpleAtod(value, &flags.seconds) && flags.seconds > 0;
    } else if (arg == "--batch") {
      ok = absl::SimpleAtoi(value, &flags.batch) && flags.batch > 0 && flags.batch <= 10000;
    } else if (arg == "--overload-seconds") {
      ok = absl::SimpleAtod(value, &flags.overload_seconds) && flags.overload_seconds >= 1;
    } else if (arg == "--idle-agents") {
      ok = absl::SimpleAtoi(value, &flags.idle_agents) && flags.idle_agents > 0;
    } else if (arg == "--idle-hold-seconds") {
      ok = absl::SimpleAtod(value, &flags.idle_hold_seconds) && flags.idle_hold_seconds >= 0;
    } else if (arg == "--agents-nice") {
      ok = absl::SimpleAtoi(value, &flags.agents_nice) && flags.agents_nice >= 0 &&
           flags.agents_nice <= 19;
    } else if (arg == "--rules-src") {
      flags.rules_src = value;
    } else if (arg == "--phases") {
      flags.phases = value;
    } else {
      return Usage(absl::StrCat("unknown argument ", arg).c_str());
    }
    if (!ok) return Usage(absl::StrCat("bad value for ", arg, ": ", value).c_str());
  }
  if (flags.collector_bin.empty() || flags.pki_script.empty() || flags.work_dir.empty()) {
    return Usage("--collector-bin, --pki-script and --work-dir are required");
  }
  signal(SIGPIPE, SIG_IGN);
  // 100 simulated agents copy, serialize and free ~100,000 protobuf events a
  // second on the collector's own two cores; without fastbins glibc stops
  // re-coalescing them in malloc_consolidate, which halves this process's
  // CPU per event (the collector does the same, see collector/cli/commands.cc)
  // and leaves the cores to the collector being measured.
  mallopt(M_MXFAST, 0);
  return cleansweep::bench::Run(flags);
}
