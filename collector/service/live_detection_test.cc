#include "collector/service/live_detection.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/detect/detect_test_util.h"
#include "collector/store/temp_store_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;
using cleansweep::v1::Finding;
using test_util::Smtp;
using test_util::TestRules;

class LiveDetectionTest : public test_util::TempStoreTest {
 protected:
  std::vector<Finding> Stored() {
    auto all = store_->ListFindings(absl::InfinitePast(), absl::InfiniteFuture());
    EXPECT_TRUE(all.ok()) << all.status();
    return all.ok() ? *all : std::vector<Finding>{};
  }

  const AgentIdentity agent_{"ws7", "ws7", "1", "peer"};
};

TEST_F(LiveDetectionTest, StoresWhatTheDetectorFoundForEachChangedHost) {
  // An interval far beyond the test's life: only JudgeNow judges.
  LiveDetection live(store_.get(), TestRules(), {.interval = absl::Hours(1)});
  std::vector<Event> events = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"),
                               Smtp(2, 1, "10.1.1.7", "203.0.113.2")};
  live.Observe(agent_, events);
  live.JudgeNow();
  EXPECT_TRUE(Stored().empty());
  std::vector<Event> more = {Smtp(3, 2, "10.1.1.7", "203.0.113.3")};
  live.Observe(agent_, more);
  live.JudgeNow();
  std::vector<Finding> stored = Stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].rule(), "dest");
  EXPECT_EQ(stored[0].host(), "10.1.1.7");
  EXPECT_EQ(stored[0].SerializeAsString(), live.detector().Current()[0].SerializeAsString());
}

TEST_F(LiveDetectionTest, NewRulesAreAppliedToTheStoredRecentPast) {
  std::vector<Event> events = {Smtp(1, 0, "10.1.1.7", "203.0.113.1"),
                               Smtp(2, 1, "10.1.1.7", "203.0.113.2")};
  ASSERT_TRUE(store_->AppendEvents(agent_, events, absl::Now()).ok());
  LiveDetection live(store_.get(), TestRules(), {.interval = absl::Hours(1)});
  live.Observe(agent_, events);
  live.JudgeNow();
  EXPECT_TRUE(Stored().empty());
  // Lower the destination threshold to 2: the two stored events now fire.
  std::string detection = test_util::kTestDetection;
  const std::string from = "threshold: 3 severity: SEVERITY_MASS_MAILING";
  detection.replace(detection.find(from), from.size(), "threshold: 2 severity: SEVERITY_MASS_MAILING");
  live.SetRules(TestRules(detection));
  live.JudgeNow();
  std::vector<Finding> stored = Stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].rule(), "dest");
  EXPECT_EQ(stored[0].peak(), 2);
}

}  // namespace
}  // namespace cleansweep::collector
