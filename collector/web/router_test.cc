// The whole site without HTTP: paths, methods, content types, error shapes.
#include "collector/web/router.h"

#include "absl/strings/match.h"
#include "collector/store/temp_store_test_util.h"
#include "collector/web/assets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const absl::Time kNow = absl::FromUnixSeconds(1795780800);

class RouterTest : public test_util::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    ASSERT_TRUE(store_->ReplaceInventory({{"ws1", "", "", {}}}, kNow).ok());
    StatusSources sources;
    sources.store = store_.get();
    sources.clock = [] { return kNow; };
    router_ = std::make_unique<StatusRouter>(std::move(sources));
  }
  WebResponse Get(const std::string& path, std::map<std::string, std::string> params = {}) {
    return router_->Handle({"GET", path, std::move(params)});
  }
  std::unique_ptr<StatusRouter> router_;
};

TEST_F(RouterTest, OnlyGetAndHeadAreAllowed) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}) {
    WebResponse r = router_->Handle({method, "/api/v1/fleet", {}});
    EXPECT_EQ(r.status, 405) << method;
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Allow");
    EXPECT_EQ(r.headers[0].second, "GET, HEAD");
  }
  EXPECT_EQ(router_->Handle({"HEAD", "/api/v1/fleet", {}}).status, 200);
}

TEST_F(RouterTest, PagesAreTheOneHtmlFileAndAssetsHaveTheirTypes) {
  for (const char* path : {"/", "/hosts", "/hosts/ws1", "/findings", "/sweeps"}) {
    WebResponse r = Get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_THAT(r.body, HasSubstr("<script src=\"/static/app.js\" defer></script>"));
  }
  EXPECT_EQ(Get("/static/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Get("/static/app.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(Get("/static/nope.js").status, 404);
  EXPECT_EQ(Get("/hosts/").status, 404);
  EXPECT_EQ(Get("/etc/passwd").status, 404);
}

TEST_F(RouterTest, TheHtmlHasNoInlineScriptAndTheScriptNoMarkupSinks) {
  // The CSP forbids inline script: every <script> of the page must load a file.
  const std::string html(FindAsset("/index.html")->body);
  size_t at = 0, scripts = 0;
  while ((at = html.find("<script", at)) != std::string::npos) {
    const size_t close = html.find('>', at);
    ASSERT_NE(close, std::string::npos);
    EXPECT_THAT(html.substr(at, close - at), HasSubstr(" src=\"/static/"));
    EXPECT_EQ(html.compare(close + 1, 9, "</script>"), 0) << "inline script content";
    ++scripts;
    at = close;
  }
  EXPECT_EQ(scripts, 1u);
  EXPECT_THAT(html, Not(HasSubstr(" style=")));
  EXPECT_THAT(html, Not(HasSubstr(" on")));  // no inline event handlers
  const std::string js(FindAsset("/static/app.js")->body);
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                           "eval(", "new Function"}) {
    EXPECT_THAT(js, Not(HasSubstr(sink))) << sink;
  }
}

TEST_F(RouterTest, ApiAnswersJsonAndErrorsAsJson) {
  WebResponse fleet = Get("/api/v1/fleet");
  EXPECT_EQ(fleet.status, 200);
  EXPECT_EQ(fleet.content_type, "application/json; charset=utf-8");
  EXPECT_THAT(fleet.body, HasSubstr(R"("expected":1)"));
  WebResponse bad = Get("/api/v1/hosts", {{"limit", "0"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, StartsWith(R"({"error":"parameter limit=0)"));
  EXPECT_EQ(Get("/api/v1/hosts/nope").status, 404);
  EXPECT_EQ(Get("/api/v1/hosts/ws1").status, 200);
  EXPECT_EQ(Get("/api/v1/nothing").status, 404);
  EXPECT_EQ(Get("/api/v1/findings", {{"since", "whenever"}}).status, 400);
  WebResponse sweeps = Get("/api/v1/sweeps");
  EXPECT_EQ(sweeps.status, 200);
  EXPECT_THAT(sweeps.body, HasSubstr(R"("sweeps":[],"more":false,"available":true})"));
  EXPECT_EQ(Get("/api/v1/sweeps", {{"id", "nope"}}).status, 404);
}

TEST_F(RouterTest, HealthAndMetrics) {
  WebResponse health = Get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  WebResponse metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(metrics.body, HasSubstr("cleansweep_hosts{status=\"never_reported\"} 1\n"));
  ASSERT_TRUE(store_->Close().ok());  // a store that cannot answer
  EXPECT_EQ(Get("/healthz").status, 503);
}

}  // namespace
}  // namespace cleansweep::collector::web
