#include "collector/web/status_page.h"

#include <sys/stat.h>

#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collector/cli/cli_util.h"
#include "collector/detect/compiled_rules.h"
#include "collector/rules/rules_holder.h"
#include "collector/web/bind_address.h"
#include "collector/web/http_server.h"
#include "collector/web/login.h"
#include "collector/web/router.h"
#include "common/logging.h"

namespace cleansweep::collector::web {
namespace {

// Everything the page holds while it runs; members are destroyed in reverse
// order: the server stops (and its threads end) before what it uses goes.
struct RunningPage {
  EventStorePtr store;
  std::unique_ptr<Login> login;
  std::unique_ptr<StatusRouter> router;
  std::unique_ptr<HttpServer> server;
};

// The rules in force, compiled once per rule generation (egress classification).
class CompiledRulesCache {
 public:
  explicit CompiledRulesCache(RulesHolder* holder) : holder_(holder) {}
  std::shared_ptr<const CompiledRules> Get() {
    if (holder_ == nullptr) return nullptr;
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t generation = holder_->generation();
    if (compiled_ == nullptr || generation != generation_) {
      absl::StatusOr<std::shared_ptr<const CompiledRules>> c = CompileRules(holder_->Current());
      if (!c.ok()) return compiled_;  // a validated set compiles; keep the last one if not
      compiled_ = *std::move(c);
      generation_ = generation;
    }
    return compiled_;
  }

 private:
  RulesHolder* const holder_;
  std::mutex mu_;
  std::shared_ptr<const CompiledRules> compiled_;
  uint64_t generation_ = 0;
};

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

absl::Status CheckPolicy(const ServeConfig& c, const BindAddress& bind) {
  const bool tls = !c.http_tls_cert.empty() || !c.http_tls_key.empty();
  if (tls && (c.http_tls_cert.empty() || c.http_tls_key.empty())) {
    return absl::InvalidArgumentError("--http-tls-cert and --http-tls-key go together");
  }
  if (!c.http_users.empty() && !tls) {
    return absl::InvalidArgumentError(
        "--http-users needs --http-tls-cert and --http-tls-key: the login sends the password "
        "with every request");
  }
  if (!bind.loopback && (!tls || c.http_users.empty())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http ", c.http_address,
        " is not a loopback address: the status page is served there only with TLS "
        "(--http-tls-cert FILE --http-tls-key FILE) and a login (--http-users FILE; add users "
        "with: cleansweep-collector http-user NAME >> FILE); not starting. Use --http "
        "127.0.0.1:PORT for a local page, or --http off"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<void>> StartStatusPage(const ServeRuntime& runtime) {
  const ServeConfig& c = *runtime.config;
  absl::StatusOr<BindAddress> bind = ParseBindAddress(c.http_address);
  if (!bind.ok()) return bind.status();
  if (bind->off) {
    LOG_INFO("status page off (--http off)");
    return std::shared_ptr<void>();
  }
  if (absl::Status policy = CheckPolicy(c, *bind); !policy.ok()) return policy;

  auto page = std::make_shared<RunningPage>();
  if (!c.http_users.empty()) {
    absl::StatusOr<std::unique_ptr<Login>> login = Login::Load(c.http_users);
    if (!login.ok()) return login.status();
    page->login = *std::move(login);
    struct stat st;
    if (::stat(c.http_users.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      LOG_WARNING("--http-users file %s is readable by other users; chmod 600 it",
                  c.http_users);
    }
  }
  absl::StatusOr<EventStorePtr> store = OpenForQuery(c.db_path);
  if (!store.ok()) return store.status();
  page->store = *std::move(store);

  StatusSources sources;
  sources.store = page->store.get();
  sources.clock = [] { return absl::Now(); };
  auto rules = std::make_shared<CompiledRulesCache>(runtime.rules);
  sources.rules = [rules] { return rules->Get(); };
  sources.live = [connected = runtime.connected_agents, ingested = runtime.events_ingested,
                  db = c.db_path] {
    LiveCounters l;
    if (connected) l.connected_agents = connected();
    if (ingested) l.events_ingested = ingested();
    l.store_bytes = FileSize(db) + FileSize(db + "-wal");
    return l;
  };
  page->router = std::make_unique<StatusRouter>(std::move(sources));

  HttpServerOptions options;
  options.host = bind->host;
  options.port = bind->port;
  options.tls_cert_file = c.http_tls_cert;
  options.tls_key_file = c.http_tls_key;
  options.login = page->login.get();
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, page->router.get());
  if (!server.ok()) {
    if (absl::IsUnavailable(server.status()) && !c.http_address_given) {
      LOG_WARNING("status page not started: %s; choose another with --http ADDR:PORT, or "
                  "--http off", server.status().message());
      return std::shared_ptr<void>();
    }
    return absl::Status(server.status().code(),
                        absl::StrCat("--http: ", server.status().message()));
  }
  page->server = *std::move(server);
  LOG_INFO("status page on %s://%s", page->server->tls() ? "https" : "http",
           bind->HostPort(page->server->port()));
  return std::shared_ptr<void>(page);
}

}  // namespace cleansweep::collector::web
