#include "collector/cli/commands.h"
#include "collector/cli/cli_util.h"

#include <grpcpp/grpcpp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "collector/cli/format.h"
#include "collector/cli/serve_rules.h"
#include "collector/detect/compiled_rules.h"
#include "collector/service/live_detection.h"
#include "collector/rules/rules_holder.h"
#include "collector/service/agent_stream_handler.h"
#include "collector/service/capture_config.h"
#include "collector/service/capture_config_broadcast.h"
#include "collector/service/collector_service.h"
#include "collector/service/tls_buffers.h"
#include "collector/service/tls_terminator.h"
#include "collector/cli/sweep_command.h"
#include "collector/service/admin_service.h"
#include "collector/sweep/sweep_coordinator.h"
#include "collector/sweep/sweep_plan.h"
#include "collector/store/sqlite_event_store.h"
#include "common/logging.h"
#include "common/time_util.h"

namespace cleansweep::collector {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read ", what, " ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Host part of "host:port" / "[v6]:port", as the user wrote it.
std::string HostOf(const std::string& address) {
  size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

// glibc malloc settings for the server, made before any thread starts
// (README "Measured" has the figures for both):
//  - no fastbins. Every batch parses and frees tens of thousands of small
//    protobuf objects; with fastbins glibc coalesces them again and again in
//    malloc_consolidate (~15 % of the collector's CPU under load). The
//    per-thread tcache still serves the hot sizes lock-free.
//  - optionally an mmap threshold (--malloc-mmap-threshold, off by
//    default): with 8192 the 8 KiB-and-larger buffers of every connection
//    (gRPC's secure-endpoint staging and read buffers, its call arena) get
//    pages of their own, so an idle connection holds only the pages it wrote
//    rather than heap pages earlier handshakes made resident (~8 KiB less
//    per idle agent); but the large allocations SQLite makes while inserting
//    then get fresh pages every time: page faults on the writer thread,
//    which limits ingest.
void TuneMallocForServe(int mmap_threshold) {
  mallopt(M_MXFAST, 0);
  if (mmap_threshold > 0) mallopt(M_MMAP_THRESHOLD, mmap_threshold);
}

// Largest TLS record payload the collector writes (GRPC_ARG_TSI_MAX_FRAME_SIZE;
// gRPC's minimum). It sends acks and capture configurations only, so small
// records cost nothing, and gRPC keeps a buffer of this size per connection.
constexpr int kTlsMaxFrameBytes = 1024;

// --tls-buffers (tls_buffers.h): set before the first connection.
void ConfigureTlsBuffers(bool lean) {
  TlsBufferOptions options;
  if (lean) {
    options.release_idle_buffers = true;
    options.incoming_bio_bytes = 1024;
    // One whole record of ours with its TLS header, nonce and tag.
    options.outgoing_bio_bytes = kTlsMaxFrameBytes + 256;
  }
  const bool active = SetTlsBufferOptions(options);
  if (!lean) {
    LOG_INFO("TLS buffers: default (gRPC's and OpenSSL's sizes)");
  } else if (active) {
    LOG_INFO("TLS buffers: lean (idle record buffers released, 1 KiB BIO pairs)");
  } else {
    LOG_WARNING("TLS buffers: lean is not in effect in this build (SSL_new is not "
                "interposed); gRPC's and OpenSSL's sizes are used");
  }
}

}  // namespace

int RunServe(const ServeConfig& config, const StatusPageStarter& start_status_page) {
  // Block the shutdown signals before anything starts a thread (gRPC starts
  // its own as soon as credentials are created; threads inherit the mask), so
  // that only sigwait() below receives them and never the default action.
  // With --rules, SIGHUP (reload) is taken the same way: the main thread
  // does the reload between sigwait() calls, never inside a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (!config.rules_dir.empty()) sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A write to a connection the agent reset is an error to handle, not a
  // reason to die (OpenSSL writes to the relay's sockets with write(2)).
  signal(SIGPIPE, SIG_IGN);
  TuneMallocForServe(config.malloc_mmap_threshold);
  SetLogProgramName("collector");
  if (!config.insecure && (config.tls_cert_file.empty() || config.tls_key_file.empty())) {
    return Usage(
        "serve needs --tls-cert FILE and --tls-key FILE (deploy/pki.sh makes a development "
        "pair), or --insecure for plain text on a trusted test network");
  }
  absl::StatusOr<CaptureConfigOverrides> overrides =
      ParseCaptureConfigOverrides(config.smtp_ports, config.worm_ports, config.dns_qtypes);
  if (!overrides.ok()) return Usage(overrides.status().message());

  // The rules first: a collector with broken rules must not start at all.
  std::unique_ptr<RulesHolder> rules;
  cleansweep::v1::CaptureConfig capture;
  if (!config.rules_dir.empty()) {
    absl::StatusOr<std::unique_ptr<RulesHolder>> opened = RulesHolder::Open(config.rules_dir);
    if (!opened.ok()) {
      const std::vector<std::string> errors = RuleErrors(opened.status());
      for (const std::string& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
      std::fprintf(stderr,
                   "cleansweep-collector: --rules %s: %zu error(s); not starting (fix them, "
                   "then check with: cleansweep-collector rules check %s)\n",
                   config.rules_dir.c_str(), errors.size(), config.rules_dir.c_str());
      return kExitUsage;
    }
    rules = *std::move(opened);
    capture = DeriveCaptureConfig(*rules->Current(), *overrides);
    LOG_INFO("rules %s: %s; SIGHUP reloads them", config.rules_dir,
             RulesSummary(*rules->Current()));
  } else {
    capture = DefaultCaptureConfig();
    ApplyCaptureConfigOverrides(*overrides, &capture);
    LOG_INFO("live rules off (no --rules DIR): agents get the default capture configuration "
             "and the --smtp-ports/--worm-ports/--dns-qtypes flags");
  }
  LOG_INFO("capture configuration for agents: %s", CaptureConfigSummary(capture));
  CaptureConfigBroadcast capture_broadcast(capture);
  if (rules != nullptr) PushCaptureConfigOnReload(rules.get(), &capture_broadcast, *overrides);

  absl::StatusOr<std::string> secrets_text =
      ReadFile(config.enroll_secret_file, "--enroll-secret-file");
  if (!secrets_text.ok()) return Fail(secrets_text.status().message());
  absl::StatusOr<std::vector<std::string>> secrets = ParseEnrollSecrets(*secrets_text);
  if (!secrets.ok()) {
    return Fail(absl::StrCat("--enroll-secret-file ", config.enroll_secret_file, ": ",
                             secrets.status().message()));
  }
  struct stat st;
  if (::stat(config.enroll_secret_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    LOG_WARNING("enrollment secret file %s is readable by other users; chmod 600 it",
                config.enroll_secret_file);
  }

  std::shared_ptr<grpc::ServerCredentials> credentials;
  // With the relay, TLS is done by the collector's own endpoint and gRPC
  // only sees decrypted connections handed over inside the process.
  const bool relay_tls = !config.insecure && config.tls_termination == "relay";
  TlsTerminatorOptions relay_options;
  if (config.insecure) {
    LOG_WARNING("*** --insecure: serving PLAIN TEXT on %s; enrollment secrets, node keys and "
                "events can be read and forged on the network. Use only for local tests. ***",
                config.listen_address);
    credentials = grpc::InsecureServerCredentials();
  } else {
    absl::StatusOr<std::string> cert = ReadFile(config.tls_cert_file, "--tls-cert");
    if (!cert.ok()) return Fail(cert.status().message());
    absl::StatusOr<std::string> key = ReadFile(config.tls_key_file, "--tls-key");
    if (!key.ok()) return Fail(key.status().message());
    if (relay_tls) {
      relay_options.cert_chain_pem = *cert;
      relay_options.private_key_pem = *key;
      LOG_INFO("TLS: the collector's relay (OpenSSL, record buffers released while idle), "
               "gRPC behind it in the process");
    } else {
      grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
      ssl.pem_key_cert_pairs.push_back({*key, *cert});
      credentials = grpc::SslServerCredentials(ssl);
      ConfigureTlsBuffers(config.tls_buffers != "default");
    }
  }

  SqliteOptions store_options;
  store_options.background_checkpoints = true;  // off the group-commit thread
  absl::StatusOr<EventStorePtr> store = OpenSqliteEventStore(config.db_path, store_options);
  if (!store.ok()) return Fail(store.status().message());

  // Live detection: judges every durably stored batch with the rules in
  // force (the same evaluation as `findings`); follows rule reloads.
  std::unique_ptr<LiveDetection> live;
  if (rules != nullptr) {
    absl::StatusOr<std::shared_ptr<const CompiledRules>> compiled = CompileRules(rules->Current());
    if (!compiled.ok()) return Fail(compiled.status().message());
    live = std::make_unique<LiveDetection>(store->get(), *std::move(compiled));
    rules->Subscribe([detection = live.get()](std::shared_ptr<const RuleSet> set) {
      absl::StatusOr<std::shared_ptr<const CompiledRules>> next = CompileRules(std::move(set));
      if (next.ok()) detection->SetRules(*std::move(next));
    });
    LOG_INFO("live detection on: findings are stored and shown by `findings --live`");
  }

  // Sweeps: each one looks for the backdoor ports of the rules in force and
  // the protected domains of DIR/protected_domains.txt (or the built-in
  // lists); a bad domain file refuses the start like bad rules.
  SweepCoordinatorOptions sweep_options;
  if (rules != nullptr) {
    sweep_options.plan = [holder = rules.get()]() -> absl::StatusOr<SweepPlan> {
      return SweepPlanFromRules(holder->dir(), holder->Current()->worms);
    };
    absl::StatusOr<SweepPlan> plan = sweep_options.plan();
    if (!plan.ok()) {
      std::fprintf(stderr, "%s\ncleansweep-collector: --rules %s: not starting\n",
                   std::string(plan.status().message()).c_str(), config.rules_dir.c_str());
      return kExitUsage;
    }
  }
  if (live != nullptr) {
    // An answer's backdoor listener is a finding at once (sweep rules).
    sweep_options.on_answer = [detection = live.get()](const std::string& agent_id,
                                                       const std::string&) {
      detection->OnSweepAnswer(agent_id);
    };
  }
  SweepCoordinator sweeps(store->get(), sweep_options);

  CollectorServiceOptions service_options;
  service_options.enroll_secrets = *std::move(secrets);
  service_options.sweeps = &sweeps;
  // Events durably stored by this process (the status page's ingest counter).
  auto ingested = std::make_shared<std::atomic<uint64_t>>(0);
  service_options.on_events_stored = [detection = live.get(), ingested](
                                         const AgentIdentity& agent, EventRange events,
                                         const std::shared_ptr<void>& prepared) {
    ingested->fetch_add(events.size(), std::memory_order_relaxed);
    if (detection == nullptr) return;
    if (prepared != nullptr) {
      detection->Admit(std::move(*static_cast<LiveDetector::Classified*>(prepared.get())), agent,
                       events);
    } else {
      detection->Observe(agent, events);
    }
  };
  if (live != nullptr) {
    // Classified on the streams' threads; the writer thread only admits.
    service_options.prepare_stored = [detection = live.get()](const AgentIdentity& agent,
                                                               EventRange events) {
      return std::static_pointer_cast<void>(
          std::make_shared<LiveDetector::Classified>(detection->Classify(agent, events)));
    };
  }
  service_options.capture_config_broadcast = &capture_broadcast;
  // Set once the relay runs; it is the only way in, so no call comes before.
  std::atomic<TlsTerminator*> relay_for_peers{nullptr};
  if (relay_tls) {
    service_options.peer_of = [&relay_for_peers](const std::string& grpc_peer) {
      TlsTerminator* relay = relay_for_peers.load();
      return relay != nullptr ? relay->PeerOf(grpc_peer) : grpc_peer;
    };
  }
  CollectorService service(store->get(), service_options);

  // The status page reads the database through a connection of its own,
  // before the gRPC port opens: a refused page refuses the start.
  std::shared_ptr<void> status_page;
  if (start_status_page) {
    ServeRuntime runtime;
    runtime.config = &config;
    runtime.rules = rules.get();
    runtime.connected_agents = [&capture_broadcast] { return capture_broadcast.listeners(); };
    runtime.events_ingested = [ingested] { return ingested->load(std::memory_order_relaxed); };
    absl::StatusOr<std::shared_ptr<void>> started = start_status_page(runtime);
    if (!started.ok()) {
      return absl::IsInvalidArgument(started.status()) ? Usage(started.status().message())
                                                       : Fail(started.status().message());
    }
    status_page = *std::move(started);
  }

  // The admin socket (`sweep`), before the agents' port opens: a socket
  // another collector holds refuses the start.
  AdminService admin_service(&sweeps);
  std::unique_ptr<AdminEndpoint> admin;
  if (config.admin_socket != "off") {
    const std::string path = config.admin_socket.empty() ? DefaultAdminSocket(config.db_path)
                                                         : config.admin_socket;
    if (config.admin_socket.empty() && path.size() > kMaxUnixSocketPath) {
      LOG_WARNING("no admin socket: %s is too long for a Unix socket; give --admin-socket PATH "
                  "to run `sweep`",
                  path);
    } else {
      absl::StatusOr<std::unique_ptr<AdminEndpoint>> started =
          AdminEndpoint::Start(path, &admin_service);
      if (!started.ok()) return Fail(started.status().message());
      admin = *std::move(started);
      LOG_INFO("admin socket %s (mode 0600): `cleansweep-collector sweep --admin-socket %s`",
               path, path);
    }
  }

  int selected_port = 0;
  grpc::ServerBuilder builder;
  if (!relay_tls) builder.AddListeningPort(config.listen_address, credentials, &selected_port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(32 << 20);
  // gRPC enables SO_REUSEPORT by default: a second collector would silently
  // share the port (and split the agents) instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Agents ping every 60 s to detect dead connections; allow that rate
  // (gRPC's default minimum of 5 min would answer with GOAWAY too_many_pings).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 30000);
  // Thousands of mostly idle agents, and back-pressure when they offer more
  // than the disk stores (README "Measured" has the figures):
  //  - a fixed per-stream window (no BDP probing, which grows it to MiBs):
  //    an agent can have at most this much unread data here besides the two
  //    batches with the writer (one stored, one parsed), whatever it offers;
  //    256 KiB holds the next batch of 500 events while one is stored;
  //  - 1 KiB TLS frames written (the protector buffer gRPC keeps per
  //    connection) and 4 KiB first read buffers, instead of 16 KiB / 8 KiB;
  //  - a memory quota for gRPC's buffers: under pressure it shrinks them
  //    instead of letting them grow. Not much smaller: an exhausted quota
  //    (16 MiB at 600 idle agents) makes gRPC cancel streams to reclaim.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 256 * 1024);
  builder.AddChannelArgument(GRPC_ARG_TSI_MAX_FRAME_SIZE, kTlsMaxFrameBytes);
  builder.AddChannelArgument(GRPC_ARG_TCP_READ_CHUNK_SIZE, 4096);
  builder.AddChannelArgument(GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE, 256 * 1024);
  grpc::ResourceQuota quota("cleansweep-collector");
  quota.Resize(256 << 20);
  builder.SetResourceQuota(quota);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  std::unique_ptr<TlsTerminator> relay;
  if (server != nullptr && relay_tls) {
    grpc::Server* grpc_server = server.get();
    relay_options.hand_off = [grpc_server](int fd) {
      grpc::AddInsecureChannelFromFd(grpc_server, fd);
    };
    absl::StatusOr<std::unique_ptr<TlsTerminator>> started =
        TlsTerminator::Start(config.listen_address, std::move(relay_options));
    if (!started.ok()) {
      server->Shutdown();
      return Fail(started.status().message());  // names the address, certificate or key
    }
    relay = *std::move(started);
    relay_for_peers.store(relay.get());
    selected_port = relay->port();
  }
  if (server == nullptr || selected_port == 0) {
    return Fail(absl::StrCat("cannot listen on ", config.listen_address,
                             " (address in use, not local, or malformed? use HOST:PORT)"));
  }
  const std::string bound = absl::StrCat(HostOf(config.listen_address), ":", selected_port);
  LOG_INFO("serving %s on %s, database %s", config.insecure ? "plain text" : "TLS", bound,
           config.db_path);
  std::printf("listening on %s\n", bound.c_str());
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    LOG_INFO("SIGHUP received; reloading rules from %s", config.rules_dir);
    (void)ReloadRulesAndLog(rules.get());  // logs either way; the server keeps going
  }
  LOG_INFO("%s received; shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  // Agent streams never end on their own, so waiting long gains nothing: after
  // a short grace the remaining calls are cancelled. Whatever was not yet
  // acknowledged is resent by the agents on reconnect (duplicates are ignored).
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  if (relay != nullptr) relay->Stop();  // after the calls ended: their last writes went out
  server.reset();
  admin.reset();  // removes the socket
  status_page.reset();
  if (live != nullptr) live->Stop();  // judges what it holds once more and stores it
  absl::Status closed = (*store)->Close();
  if (!closed.ok()) return Fail(closed.message());
  LOG_INFO("stopped");
  return kExitOk;
}

int RunAgentsRevoke(const AgentsRevokeConfig& config) {
  absl::Status valid = ValidateAgentId(config.agent_id);
  if (!valid.ok()) return Usage(valid.message());
  SqliteOptions options;
  options.create = false;  // revoking in a file that does not exist is a typo
  absl::StatusOr<EventStorePtr> store = OpenSqliteEventStore(config.db_path, options);
  if (!store.ok()) return Fail(store.status().message());
  absl::Status revoked = (*store)->RevokeAgent(config.agent_id, absl::Now());
  if (absl::IsNotFound(revoked)) {
    return Fail(absl::StrCat("agent ", config.agent_id, " never enrolled with the collector at ",
                             config.db_path, " (list enrolled agents with: agents --db ",
                             config.db_path, ")"));
  }
  if (!revoked.ok()) return Fail(revoked.message());
  absl::StatusOr<AgentCredential> credential = (*store)->GetAgentCredential(config.agent_id);
  if (!credential.ok()) return Fail(credential.status().message());
  std::printf("agent %s revoked at %s: its node key is refused from now on; a connected stream "
              "is closed at its next heartbeat. The id cannot enroll again.\n",
              config.agent_id.c_str(), FormatTimeUtc(*credential->revoked_at).c_str());
  return kExitOk;
}

int RunEvents(const EventsConfig& config) {
  EventFilter filter;
  filter.agent_id = config.agent_id;
  filter.limit = config.limit;
  if (!config.since.empty()) {
    absl::StatusOr<absl::Time> since = ParseTimeFlag(config.since, absl::Now());
    if (!since.ok()) return Usage(absl::StrCat("--since: ", since.status().message()));
    filter.since = *since;
  }
  absl::StatusOr<EventStorePtr> store = OpenForQuery(config.db_path);
  if (!store.ok()) return Fail(store.status().message());
  absl::StatusOr<std::vector<StoredEvent>> events = (*store)->ListEvents(filter);
  if (!events.ok()) {
    return Fail(absl::StrCat("reading ", config.db_path, ": ", events.status().message()));
  }
  if (config.json) {
    for (const auto& e : *events) std::cout << EventJsonLine(e) << "\n";
  } else {
    std::cout << EventTable(*events);
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailure;
}

int RunAgents(const AgentsConfig& config) {
  absl::StatusOr<EventStorePtr> store = OpenForQuery(config.db_path);
  if (!store.ok()) return Fail(store.status().message());
  absl::StatusOr<std::vector<AgentSummary>> agents = (*store)->ListAgents();
  if (!agents.ok()) {
    return Fail(absl::StrCat("reading ", config.db_path, ": ", agents.status().message()));
  }
  absl::StatusOr<std::vector<AgentCredential>> credentials = (*store)->ListAgentCredentials();
  if (!credentials.ok()) {
    return Fail(absl::StrCat("reading ", config.db_path, ": ", credentials.status().message()));
  }
  // Join: every agent that reported gets its credential; agents that enrolled
  // but never opened a stream are listed too (enrolled_at as first/last seen).
  for (const AgentCredential& c : *credentials) {
    auto it = std::find_if(agents->begin(), agents->end(), [&c](const AgentSummary& a) {
      return a.identity.agent_id == c.agent_id;
    });
    if (it == agents->end()) {
      AgentSummary& silent = agents->emplace_back();
      silent.identity.agent_id = c.agent_id;
      silent.identity.peer = c.enrolled_peer;
      silent.first_seen = silent.last_seen = c.enrolled_at;
      silent.credential = c;
    } else {
      it->credential = c;
    }
  }
  std::sort(agents->begin(), agents->end(), [](const AgentSummary& a, const AgentSummary& b) {
    return a.identity.agent_id < b.identity.agent_id;
  });
  if (config.json) {
    for (const auto& a : *agents) std::cout << AgentJsonLine(a) << "\n";
  } else {
    std::cout << AgentTable(*agents);
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailure;
}

}  // namespace cleansweep::collector
