// The status page's static files (collector/web/assets/), compiled into the
// binary by embed_assets.cmake: the page needs nothing from outside.
#ifndef CLEANSWEEP_COLLECTOR_WEB_ASSETS_H_
#define CLEANSWEEP_COLLECTOR_WEB_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace cleansweep::collector::web {

struct Asset {
  const char* path;  // "/index.html", "/static/app.js", "/static/app.css"
  const char* content_type;
  absl::string_view body;
};

// The asset served at `path`; null when none.
const Asset* FindAsset(absl::string_view path);

// Generated (embed_assets.cmake).
extern const Asset kAssets[];
extern const size_t kAssetCount;

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_ASSETS_H_
