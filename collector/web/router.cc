#include "collector/web/router.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "collector/web/assets.h"
#include "collector/web/json_writer.h"
#include "collector/web/sweeps_api.h"

namespace cleansweep::collector::web {
namespace {

constexpr char kJson[] = "application/json; charset=utf-8";

WebResponse JsonResponse(int status, std::string body) {
  return {status, kJson, std::move(body), {}};
}

WebResponse JsonError(int status, absl::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("error").String(message).EndObject();
  return JsonResponse(status, std::move(w).Take());
}

WebResponse FromStatus(const absl::StatusOr<std::string>& body) {
  if (body.ok()) return JsonResponse(200, *body);
  if (absl::IsInvalidArgument(body.status())) return JsonError(400, body.status().message());
  if (absl::IsNotFound(body.status())) return JsonError(404, body.status().message());
  return JsonError(503, body.status().message());
}

WebResponse AssetResponse(absl::string_view path) {
  const Asset* asset = FindAsset(path);
  if (asset == nullptr) return {404, "text/plain; charset=utf-8", "not found\n", {}};
  return {200, asset->content_type, std::string(asset->body), {}};
}

bool IsPagePath(absl::string_view path) {
  return path == "/" || path == "/hosts" || path == "/findings" || path == "/sweeps" ||
         (absl::StartsWith(path, "/hosts/") && path.size() > 7);
}

}  // namespace

StatusRouter::StatusRouter(StatusSources sources)
    : sources_(std::move(sources)),
      week_([this] { return LoadWeekCoverage(*sources_.store, sources_.clock()); },
            sources_.clock, sources_.week_max_age),
      cache_(
          [this]() -> absl::StatusOr<StatusSnapshot> {
            absl::StatusOr<std::shared_ptr<const WeekCoverage>> week = week_.Get();
            if (!week.ok()) return week.status();
            return LoadStatusSnapshot(*sources_.store, sources_.clock(), **week);
          },
          sources_.clock, sources_.snapshot_max_age) {}

WebResponse StatusRouter::Handle(const WebRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return {405, "text/plain; charset=utf-8", "method not allowed: the status page is read-only\n",
            {{"Allow", "GET, HEAD"}}};
  }
  absl::string_view path = request.path;
  if (path == "/healthz") {
    absl::StatusOr<std::vector<InventoryHost>> probe = sources_.store->ListInventory();
    if (!probe.ok()) {
      return {503, "text/plain; charset=utf-8",
              absl::StrCat("store unreadable: ", probe.status().message(), "\n"), {}};
    }
    return {200, "text/plain; charset=utf-8", "ok\n", {}};
  }
  if (path == "/metrics") {
    absl::StatusOr<std::shared_ptr<const StatusSnapshot>> snap = cache_.Get();
    if (!snap.ok()) {
      return {503, "text/plain; charset=utf-8",
              absl::StrCat("store unreadable: ", snap.status().message(), "\n"), {}};
    }
    const LiveCounters live = sources_.live ? sources_.live() : LiveCounters{};
    return {200, "text/plain; version=0.0.4; charset=utf-8", MetricsText(**snap, live), {}};
  }
  if (absl::ConsumePrefix(&path, "/api/v1/")) return Api(path, request);
  if (absl::StartsWith(path, "/static/")) return AssetResponse(path);
  if (IsPagePath(path)) return AssetResponse("/index.html");
  return {404, "text/plain; charset=utf-8", "not found\n", {}};
}

WebResponse StatusRouter::Api(absl::string_view endpoint, const WebRequest& request) {
  const bool known = endpoint == "fleet" || endpoint == "hosts" || endpoint == "findings" ||
                     endpoint == "sweeps" || absl::StartsWith(endpoint, "hosts/");
  if (!known) return JsonError(404, absl::StrCat("no endpoint /api/v1/", endpoint));
  absl::StatusOr<std::shared_ptr<const StatusSnapshot>> snap = cache_.Get();
  if (!snap.ok()) return JsonError(503, snap.status().message());
  const StatusSnapshot& s = **snap;
  if (endpoint == "sweeps") return FromStatus(SweepsJson(*sources_.store, s, request.params));
  if (endpoint == "fleet") return JsonResponse(200, FleetJson(s));
  if (endpoint == "hosts") {
    absl::StatusOr<HostsQuery> query = ParseHostsQuery(request.params);
    if (!query.ok()) return JsonError(400, query.status().message());
    return JsonResponse(200, HostsJson(s, *query));
  }
  if (endpoint == "findings") return FromStatus(FindingsJson(*sources_.store, s, request.params));
  absl::string_view key = endpoint;
  absl::ConsumePrefix(&key, "hosts/");
  std::shared_ptr<const CompiledRules> rules = sources_.rules ? sources_.rules() : nullptr;
  return FromStatus(HostJson(*sources_.store, s, key, rules.get()));
}

}  // namespace cleansweep::collector::web
