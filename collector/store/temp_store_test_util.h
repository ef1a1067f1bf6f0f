// For tests: a fixture holding a fresh SQLite store in its own temporary
// directory, removed afterwards.
#ifndef CLEANSWEEP_COLLECTOR_STORE_TEMP_STORE_TEST_UTIL_H_
#define CLEANSWEEP_COLLECTOR_STORE_TEMP_STORE_TEST_UTIL_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "collector/store/sqlite_event_store.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::test_util {

class TempStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cs_store_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/c.db";
    auto store = OpenSqliteEventStore(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
  }

  std::string dir_, path_;
  EventStorePtr store_;
};

}  // namespace cleansweep::collector::test_util

#endif  // CLEANSWEEP_COLLECTOR_STORE_TEMP_STORE_TEST_UTIL_H_
