#include "collector/web/assets.h"

namespace cleansweep::collector::web {

const Asset* FindAsset(absl::string_view path) {
  for (size_t i = 0; i < kAssetCount; ++i) {
    if (kAssets[i].path == path) return &kAssets[i];
  }
  return nullptr;
}

}  // namespace cleansweep::collector::web
