#include "agent/app/agent_runner.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/app/agent_enrollment.h"
#include "agent/app/sequence_counter.h"
#include "agent/capture/bpf_filter.h"
#include "agent/capture/capture_source.h"
#include "agent/hostinfo/host_facts.h"
#include "agent/observers/pipeline.h"
#include "agent/observers/event_util.h"
#include "agent/spool/sqlite_spool.h"
#include "agent/sweep/connection_attributor.h"
#include "agent/sweep/host_inspector.h"
#include "agent/sweep/sweep_worker.h"
#include "agent/uplink/uplink.h"
#include "common/logging.h"
#include "google/protobuf/util/json_util.h"

namespace cleansweep::agent {
namespace {

std::atomic<bool> g_stop{false};
int g_wake_pipe[2] = {-1, -1};

constexpr char kVersion[] = "0.1.0";

int64_t NowUs() { return absl::ToUnixMicros(absl::Now()); }

// Assigns sequence numbers and the interface name, then hands each event to
// stdout (JSON) and/or the uplink. One per capture source; the counter is shared.
class AgentSink : public EventSink {
 public:
  AgentSink(std::string interface, std::function<uint64_t()> next_sequence, bool json,
            Uplink* uplink, std::atomic<uint64_t>* emitted, ConnectionAttributor* attributor)
      : interface_(std::move(interface)),
        next_sequence_(std::move(next_sequence)),
        json_(json),
        uplink_(uplink),
        emitted_(emitted),
        attributor_(attributor) {}

  void Emit(cleansweep::v1::Event event) override {
    // The owning process, when it was found while the connection was open.
    if (attributor_ != nullptr && event.has_smtp()) attributor_->Annotate(event.mutable_smtp());
    event.set_sequence(next_sequence_());
    event.set_interface(interface_);
    emitted_->fetch_add(1, std::memory_order_relaxed);
    if (json_) {
      std::string line;
      google::protobuf::util::JsonPrintOptions options;
      options.add_whitespace = false;
      if (google::protobuf::util::MessageToJsonString(event, &line, options).ok()) {
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
      }
    }
    if (uplink_ != nullptr) uplink_->Enqueue(std::move(event));
  }

 private:
  std::string interface_;
  std::function<uint64_t()> next_sequence_;
  bool json_;
  Uplink* uplink_;
  std::atomic<uint64_t>* emitted_;
  ConnectionAttributor* attributor_;  // null: no attribution (file replay)
};

struct Source {
  CaptureSourcePtr capture;
  std::string name;
  std::unique_ptr<AgentSink> sink;
  std::unique_ptr<Pipeline> pipeline;
  bool up = true;
  CaptureStats last_stats;
};

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path, ": ",
                                                   std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Shared between the capture thread (writer) and the uplink thread (reader).
class HeartbeatBoard {
 public:
  void Publish(cleansweep::v1::Heartbeat hb) {
    absl::MutexLock lock(&mu_);
    latest_ = std::move(hb);
  }
  cleansweep::v1::Heartbeat Read() {
    absl::MutexLock lock(&mu_);
    cleansweep::v1::Heartbeat hb = latest_;
    SetTimestamp(NowUs(), hb.mutable_time());
    return hb;
  }

 private:
  absl::Mutex mu_;
  cleansweep::v1::Heartbeat latest_;
};

// A configuration pushed by the collector, applied by the capture thread.
class ConfigMailbox {
 public:
  void Post(const cleansweep::v1::CaptureConfig& c) {
    absl::MutexLock lock(&mu_);
    pending_ = c;
  }
  std::optional<cleansweep::v1::CaptureConfig> Take() {
    absl::MutexLock lock(&mu_);
    std::optional<cleansweep::v1::CaptureConfig> c = std::move(pending_);
    pending_.reset();
    return c;
  }

 private:
  absl::Mutex mu_;
  std::optional<cleansweep::v1::CaptureConfig> pending_;
};

// What the capture watches now, for sweeps (read on the sweep thread).
class WatchBoard {
 public:
  explicit WatchBoard(WatchConfig watch) : watch_(std::move(watch)) {}
  void Publish(const WatchConfig& watch) {
    absl::MutexLock lock(&mu_);
    watch_ = watch;
  }
  WatchConfig Read() {
    absl::MutexLock lock(&mu_);
    return watch_;
  }

 private:
  absl::Mutex mu_;
  WatchConfig watch_;
};

cleansweep::v1::Heartbeat BuildHeartbeat(std::vector<Source>& sources, uint64_t events,
                                         absl::Duration interval) {
  cleansweep::v1::Heartbeat hb;
  uint64_t packets = 0;
  for (auto& s : sources) {
    auto* i = hb.add_interfaces();
    i->set_name(s.name);
    i->set_received(s.last_stats.received);
    i->set_dropped(s.last_stats.dropped);
    i->set_interface_dropped(s.last_stats.interface_dropped);
    i->set_up(s.up);
    packets += s.pipeline->stats().packets;
    for (const auto& [name, n] : s.pipeline->anomalies().Snapshot()) {
      (*hb.mutable_malformed())[name] += n;
    }
  }
  hb.set_packets(packets);
  hb.set_events(events);
  hb.set_interval_seconds(static_cast<uint32_t>(absl::ToInt64Seconds(interval)));
  return hb;
}

void PrintStats(const std::vector<Source>& sources, uint64_t events) {
  PipelineStats total;
  AnomalyCounters anomalies;
  for (const auto& s : sources) {
    const auto& st = s.pipeline->stats();
    total.packets += st.packets;
    total.decoded += st.decoded;
    total.ignored += st.ignored;
    total.malformed += st.malformed;
    total.bytes += st.bytes;
    for (const auto& [name, n] : s.pipeline->anomalies().Snapshot()) anomalies.Count(name, n);
  }
  std::fprintf(stderr,
               "packets: %llu (%llu bytes) decoded: %llu ignored: %llu malformed: %llu\n"
               "events: %llu\n",
               (unsigned long long)total.packets, (unsigned long long)total.bytes,
               (unsigned long long)total.decoded, (unsigned long long)total.ignored,
               (unsigned long long)total.malformed, (unsigned long long)events);
  for (const auto& s : sources) {
    if (s.capture->selectable_fd() < 0) continue;
    std::fprintf(stderr, "interface %s: received %llu dropped %llu interface-dropped %llu\n",
                 s.name.c_str(), (unsigned long long)s.last_stats.received,
                 (unsigned long long)s.last_stats.dropped,
                 (unsigned long long)s.last_stats.interface_dropped);
  }
  for (const auto& [name, n] : anomalies.Snapshot()) {
    std::fprintf(stderr, "anomaly %s: %llu\n", name.c_str(), (unsigned long long)n);
  }
}

void OnSignal(int) {
  g_stop.store(true);
  if (g_wake_pipe[1] >= 0) {
    char c = 1;
    ssize_t ignored = write(g_wake_pipe[1], &c, 1);
    (void)ignored;
  }
}

}  // namespace

void RequestAgentStop() { OnSignal(0); }

int RunAgent(const AgentConfig& config) {
  const std::string filter = BuildCaptureFilter(config.watch);
  if (config.print_filter) {
    std::printf("%s\n", filter.c_str());
    return 0;
  }
  if (pipe(g_wake_pipe) != 0) {
    LOG_ERROR("cannot create wake-up pipe");
    return 1;
  }

  // Sequence numbers: persistent with a state directory, else from 1.
  SequenceCounter counter;
  if (!config.state_dir.empty()) {
    std::error_code ec;
    // Private: the node key and the spool (what this host sent) live here.
    if (std::filesystem::create_directories(config.state_dir, ec)) {
      std::filesystem::permissions(config.state_dir, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    }
    auto c = SequenceCounter::WithStateFile(config.state_dir + "/sequence");
    if (!c.ok()) {
      LOG_ERROR("%s", c.status().message());
      return 1;
    }
    counter = *std::move(c);
  }

  // Capture sources.
  std::vector<Source> sources;
  const bool live = config.read_file.empty();
  if (!live) {
    auto src = OpenCaptureFile(config.read_file);
    if (!src.ok()) {
      std::fprintf(stderr, "cleansweep-agent: %s\n", std::string(src.status().message()).c_str());
      return 1;
    }
    Source s;
    s.name = std::filesystem::path(config.read_file).filename().string();
    s.capture = *std::move(src);
    sources.push_back(std::move(s));
  } else {
    std::vector<std::string> names = config.interfaces;
    if (names.empty()) {
      auto found = DefaultCaptureInterfaces();
      if (!found.ok()) {
        LOG_ERROR("%s", found.status().message());
        return 1;
      }
      names = *found;
      if (names.empty()) {
        LOG_ERROR("no interface is up (besides loopback); name one with --interface");
        return 1;
      }
    }
    for (const auto& name : names) {
      auto src = OpenLiveInterface(name);
      if (!src.ok()) {
        auto available = DefaultCaptureInterfaces();
        LOG_ERROR("%s%s", src.status().message(),
                  available.ok() && !available->empty()
                      ? absl::StrCat(" (interfaces that are up: ", absl::StrJoin(*available, ", "),
                                     ")")
                      : "");
        return 1;
      }
      Source s;
      s.name = name;
      s.capture = *std::move(src);
      sources.push_back(std::move(s));
    }
  }
  for (auto& s : sources) {
    absl::Status st = s.capture->SetFilter(
        BuildCaptureFilter(config.watch, LinkTypeCarriesVlan(s.capture->link_type())));
    if (!st.ok()) {
      LOG_ERROR("%s", st.message());
      return 1;
    }
  }

  // The on-disk spool (with a collector and a state directory): events
  // survive restarts and collector outages, and the spool's persisted last
  // sequence becomes the counter (the "sequence" file is only read, once, to
  // carry its value over).
  std::unique_ptr<SqliteSpool> spool;
  if (!config.collector.empty() && !config.state_dir.empty()) {
    SqliteSpoolOptions so;
    so.path = config.state_dir + "/spool.db";
    so.max_bytes = config.spool_max_bytes;
    auto opened = SqliteSpool::Open(so);
    if (!opened.ok()) {
      LOG_ERROR("%s", opened.status().message());
      return 1;
    }
    spool = *std::move(opened);
    absl::Status st = spool->RaiseLastSequence(counter.last());
    if (!st.ok()) {
      LOG_ERROR("%s", st.message());
      return 1;
    }
    if (spool->size() > 0) {
      LOG_INFO("spool %s holds %d unacknowledged events from before this start", so.path,
               spool->size());
    }
  }
  SqliteSpool* const spool_view = spool.get();
  uint64_t spool_sequence = spool != nullptr ? spool->last_sequence() : 0;
  std::function<uint64_t()> next_sequence =
      spool != nullptr ? std::function<uint64_t()>([&spool_sequence] { return ++spool_sequence; })
                       : std::function<uint64_t()>([&counter] { return counter.Next(); });

  // Uplink.
  HeartbeatBoard board;
  ConfigMailbox mailbox;
  WatchBoard watching(config.watch);
  std::unique_ptr<Uplink> uplink;
  // Sweeps the collector asks for (live capture only: a file replay says
  // nothing about this host), answered on a thread of their own.
  HostInspectorOptions inspector_options;
  inspector_options.hosts_file = config.hosts_file;
  std::unique_ptr<SweepWorker> sweeper;
  if (!config.collector.empty() && live) {
    sweeper = std::make_unique<SweepWorker>(
        MakeHostInspector(inspector_options),
        [&board, &watching] {
          SweepContext context;
          context.watch = watching.Read();
          context.capture = board.Read();
          return context;
        },
        [&uplink](cleansweep::v1::SweepResult result) {
          if (uplink != nullptr) uplink->SendSweepResult(std::move(result));
        });
  }
  if (!config.collector.empty()) {
    UplinkOptions o;
    o.collector_addresses = config.collector;
    o.max_events_per_second = config.drain_rate;
    o.host_facts_provider = CollectHostFacts;
    o.insecure = config.insecure;
    if (!config.insecure) {
      auto ca = ReadSmallFile(config.ca_file, "CA certificate (--ca)");
      if (!ca.ok()) {
        LOG_ERROR("%s", ca.status().message());
        return 1;
      }
      o.ca_pem = *ca;
    }
    o.server_name_override = config.server_name;
    o.hostname = CollectHostFacts().hostname();
    // Identity: the node key in the state directory, or enrollment with the
    // secret on first use (retried with the connection while no collector
    // answers). Setup mistakes are reported now, not retried forever.
    EnrollSettings enroll;
    enroll.state_dir = config.state_dir;
    enroll.requested_agent_id = config.agent_id;
    enroll.default_agent_id = o.hostname;
    enroll.secret_file = config.enroll_secret_file;
    for (const std::string& address : o.collector_addresses) {
      enroll.collectors.push_back({address, o.ca_pem, o.insecure, o.server_name_override});
    }
    auto local = LoadLocalCredential(enroll);
    if (!local.ok()) {
      LOG_ERROR("%s", local.status().message());
      return 1;
    }
    o.credential_provider = [enroll]() -> absl::StatusOr<UplinkCredential> {
      EnrollSettings settings = enroll;
      settings.host = CollectHostFacts();
      absl::StatusOr<NodeCredential> credential = LoadOrEnroll(settings);
      if (!credential.ok()) return credential.status();
      return UplinkCredential{credential->agent_id, credential->node_key};
    };
    o.version = kVersion;
    o.heartbeat_interval = config.heartbeat_interval;
    if (sweeper != nullptr) {
      o.on_sweep_request = [worker = sweeper.get()](const cleansweep::v1::SweepRequest& r) {
        worker->Submit(r);
      };
    }
    // Events numbered before a restart and never acknowledged died with the
    // previous process; starting here lets the collector record that gap.
    o.first_sequence = (spool_view != nullptr ? spool_view->last_sequence() : counter.last()) + 1;
    uplink = std::make_unique<Uplink>(
        o, [&board] { return board.Read(); },
        [&mailbox](const cleansweep::v1::CaptureConfig& c) { mailbox.Post(c); },
        std::move(spool));
    absl::Status st = uplink->Start();
    if (!st.ok()) {
      LOG_ERROR("%s", st.message());
      return 1;
    }
  }

  // Live SMTP connections of this host get their owning process (best
  // effort, looked up while the connection is open).
  std::unique_ptr<ConnectionAttributor> attributor;
  if (live) {
    attributor = std::make_unique<ConnectionAttributor>(MakeHostInspector(inspector_options));
  }
  std::atomic<uint64_t> emitted{0};
  for (auto& s : sources) {
    s.sink = std::make_unique<AgentSink>(s.name, next_sequence, config.json, uplink.get(),
                                         &emitted, attributor.get());
    s.pipeline = std::make_unique<Pipeline>(config.watch, s.sink.get(), attributor.get());
  }

  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  int exit_code = 0;
  if (!live) {
    Source& s = sources[0];
    const int link = s.capture->link_type();
    Pipeline* pipeline = s.pipeline.get();
    while (!g_stop.load(std::memory_order_relaxed)) {
      auto n = s.capture->Dispatch(4096, [&](const RawPacket& p) {
        pipeline->OnFrame(link, 0, p.time_us, p.data);
      });
      if (!n.ok()) {
        if (!absl::IsOutOfRange(n.status())) {
          // Damaged file: keep what was read, then say what broke.
          std::fprintf(stderr, "cleansweep-agent: %s\n",
                       std::string(n.status().message()).c_str());
          exit_code = 1;
        }
        break;
      }
    }
    pipeline->Finish(pipeline->last_packet_time_us());
    board.Publish(BuildHeartbeat(sources, emitted.load(), config.heartbeat_interval));
    if (pipeline->stats().packets == 0 && exit_code == 0) {
      LOG_INFO("%s holds no packet the filter admits", config.read_file);
    }
  } else {
    LOG_INFO("capturing on %s: SMTP ports %s, %d worm-port ranges, DNS qtypes %s",
             absl::StrJoin(sources, ", ",
                           [](std::string* out, const Source& s) { out->append(s.name); }),
             absl::StrJoin(config.watch.smtp_ports, ","),
             config.watch.worm_tcp_ports.size() + config.watch.worm_udp_ports.size(),
             absl::StrJoin(config.watch.dns_qtypes, ","));
    LOG_DEBUG("capture filter: %s", filter);
    int64_t last_tick = NowUs();
    board.Publish(BuildHeartbeat(sources, 0, config.heartbeat_interval));
    while (!g_stop.load()) {
      std::vector<pollfd> fds;
      fds.push_back({g_wake_pipe[0], POLLIN, 0});
      for (auto& s : sources) fds.push_back({s.up ? s.capture->selectable_fd() : -1, POLLIN, 0});
      poll(fds.data(), fds.size(), 1000);
      for (size_t i = 0; i < sources.size(); ++i) {
        Source& s = sources[i];
        if (!s.up || !(fds[i + 1].revents & (POLLIN | POLLERR | POLLHUP))) continue;
        const int link = s.capture->link_type();
        auto n = s.capture->Dispatch(1024, [&](const RawPacket& p) {
          s.pipeline->OnFrame(link, static_cast<uint32_t>(i), p.time_us, p.data);
        });
        if (!n.ok()) {
          LOG_WARNING("%s; interface marked down", n.status().message());
          s.up = false;
        }
      }
      const int64_t now = NowUs();
      if (now - last_tick >= 1'000'000) {
        last_tick = now;
        for (auto& s : sources) {
          s.pipeline->Advance(now);
          if (s.up) s.last_stats = s.capture->Stats();
        }
        board.Publish(BuildHeartbeat(sources, emitted.load(), config.heartbeat_interval));
        if (auto c = mailbox.Take()) {
          WatchConfig next = config.watch;
          next.Apply(*c);
          if (!(next == sources[0].pipeline->config())) {
            const std::string next_filter = BuildCaptureFilter(next);
            bool ok = true;
            for (auto& s : sources) {
              absl::Status st = s.capture->SetFilter(
                  BuildCaptureFilter(next, LinkTypeCarriesVlan(s.capture->link_type())));
              if (!st.ok()) {
                LOG_ERROR("collector configuration rejected: %s", st.message());
                ok = false;
                break;
              }
            }
            if (ok) {
              for (auto& s : sources) s.pipeline->Reconfigure(next, now);
              watching.Publish(next);
              LOG_INFO("capture configuration from the collector applied: SMTP ports %s",
                       absl::StrJoin(next.smtp_ports, ","));
              LOG_DEBUG("capture filter: %s", next_filter);
            }
          }
        }
      }
    }
    LOG_INFO("stopping");
    // Whatever the kernel already captured is still analysed.
    for (size_t i = 0; i < sources.size(); ++i) {
      Source& s = sources[i];
      const int link = s.capture->link_type();
      while (s.up) {
        auto n = s.capture->Dispatch(1024, [&](const RawPacket& p) {
          s.pipeline->OnFrame(link, static_cast<uint32_t>(i), p.time_us, p.data);
        });
        if (!n.ok() || *n == 0) break;
      }
    }
    const int64_t now = NowUs();
    for (auto& s : sources) {
      s.pipeline->Finish(now);
      if (s.up) s.last_stats = s.capture->Stats();
    }
    board.Publish(BuildHeartbeat(sources, emitted.load(), config.heartbeat_interval));
  }
  std::fflush(stdout);
  // A sweep in progress finishes and is queued; nothing new starts.
  if (sweeper != nullptr) sweeper->Stop();
  if (attributor != nullptr) attributor->Stop();

  if (uplink != nullptr) {
    absl::Status st = uplink->WaitAllAcked(absl::Now() + (live ? absl::Seconds(5) : config.ack_timeout));
    if (!st.ok() && spool_view != nullptr && live) {
      // Nothing is lost: the spool is on disk and the next start sends it.
      LOG_WARNING("%d events not yet acknowledged by the collector stay in %s/spool.db and are "
                  "sent after the next start (%s)",
                  spool_view->size(), config.state_dir, st.message());
    } else if (!st.ok()) {
      LOG_ERROR("not every event reached the collector: %s%s", st.message(),
                spool_view != nullptr
                    ? absl::StrCat("; they stay in ", config.state_dir,
                                   "/spool.db for the next run with this --state-dir")
                    : "");
      exit_code = 1;
    } else if (!live) {
      LOG_INFO("%llu events acknowledged by %s", (unsigned long long)emitted.load(),
               absl::StrJoin(config.collector, ", "));
    }
    uplink->Stop();
  }
  if (config.stats) PrintStats(sources, emitted.load());
  return exit_code;
}

}  // namespace cleansweep::agent
