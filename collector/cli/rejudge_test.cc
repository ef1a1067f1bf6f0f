// Rejudge reads stored events on a second thread and most of them without
// protobuf: its findings must be those of evaluating the parsed messages, and
// a damaged event must stop it with the error it always gave.
#include "collector/cli/rejudge.h"

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "collector/detect/detect_test_util.h"
#include "collector/detect/evaluate.h"
#include "collector/store/temp_store_test_util.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::Event;
using cleansweep::v1::Finding;
using google::protobuf::util::TimeUtil;

class RejudgeTest : public test_util::TempStoreTest {
 protected:
  // 50,000 events of 40 agents: routine traffic, a mass mailer, a scanner,
  // the mail server; stored in interleaved batches as agents send them.
  void Fill() {
    uint64_t state = 3;
    auto next = [&](uint32_t n) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<uint32_t>((state >> 33) % n);
    };
    std::vector<std::vector<Event>> pending(40);
    std::vector<uint64_t> seq(40, 0);
    for (int i = 0; i < 50000; ++i) {
      const int a = static_cast<int>(next(40));
      const int64_t t = i / 10;  // about 83 minutes in all
      const std::string me = absl::StrCat("10.1.0.", a);
      Event e;
      if (a == 7 && i % 3 == 0) {
        e = test_util::Mail(++seq[a], t, me, absl::StrCat("203.0.", next(200), ".", next(200)),
                          "x@example.com", 3);
      } else if (a == 8) {
        e = test_util::Worm(++seq[a], t, me, absl::StrCat("10.9.", next(200), ".", next(200)), 445);
      } else if (a == 9) {
        e = test_util::Smtp(++seq[a], t, "10.0.0.26", absl::StrCat("198.51.100.", next(250)));
      } else if (next(4) == 0) {
        e = test_util::Mx(++seq[a], t, me, next(2) ? "example.net" : "example.org");
      } else {
        e = test_util::Smtp(++seq[a], t, me, "10.0.0.25", 587);
      }
      pending[static_cast<size_t>(a)].push_back(std::move(e));
      if (i % 500 == 499) Flush(pending);
    }
    Flush(pending);
  }

  // One commit for the agents' batches.
  void Flush(std::vector<std::vector<Event>>& pending) {
    std::vector<AgentIdentity> agents;
    agents.reserve(pending.size());
    std::vector<EventAppend> batches;
    for (size_t a = 0; a < pending.size(); ++a) {
      agents.push_back({absl::StrCat("ws-", a), "h", "1.0", "ipv4:10.0.0.5:5000"});
      if (!pending[a].empty()) batches.push_back({&agents.back(), pending[a]});
    }
    for (const auto& result : store_->AppendEventGroups(batches, absl::FromUnixSeconds(1))) {
      ASSERT_TRUE(result.ok()) << result.status();
    }
    for (auto& p : pending) p.clear();
  }

  // The oracle: every stored event of the range parsed by protobuf and
  // evaluated as a message, the findings that meet [from, to] kept.
  std::vector<Finding> Expected(absl::Time from, absl::Time to) {
    Evaluation eval(rules_);
    const absl::Time read_from = from - absl::Microseconds(rules_->max_window_us);
    EXPECT_TRUE(store_
                    ->ScanEvents(read_from, to,
                                 [&](absl::string_view agent, absl::string_view payload) {
                                   Event e;
                                   EXPECT_TRUE(e.ParseFromArray(payload.data(),
                                                                static_cast<int>(payload.size())));
                                   eval.Add(agent, e);
                                   return absl::OkStatus();
                                 })
                    .ok());
    std::vector<Finding> out;
    for (Finding& f : eval.Judge()) {
      if (TimeUtil::TimestampToMicroseconds(f.last_time()) < absl::ToUnixMicros(from) ||
          TimeUtil::TimestampToMicroseconds(f.first_time()) > absl::ToUnixMicros(to)) {
        continue;
      }
      DescribeEvidence(*store_, &f);
      out.push_back(std::move(f));
    }
    return out;
  }

  void ExpectSameFindings(absl::Time from, absl::Time to) {
    RejudgeStats stats;
    absl::StatusOr<cleansweep::v1::FindingReport> report =
        Rejudge(*store_, rules_, from, to, nullptr, &stats);
    ASSERT_TRUE(report.ok()) << report.status();
    const std::vector<Finding> want = Expected(from, to);
    ASSERT_GE(want.size(), 3u);
    ASSERT_EQ(report->findings_size(), static_cast<int>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(report->findings(static_cast<int>(i)).SerializeAsString(),
                want[i].SerializeAsString())
          << i;
    }
    EXPECT_EQ(report->events_judged(), stats.events);
  }

  // Replaces one stored payload (a second connection; the store is WAL).
  void Damage(const std::string& agent, uint64_t sequence, const std::string& sql_payload) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const std::string sql = absl::StrCat("UPDATE events SET payload = ", sql_payload,
                                         " WHERE agent_id = '", agent,
                                         "' AND sequence = ", sequence);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_free(err);
    sqlite3_close(db);
  }

  const absl::Time origin_ = absl::FromUnixSeconds(test_util::At(0).seconds());
  std::shared_ptr<const CompiledRules> rules_ = test_util::TestRules();
};

TEST_F(RejudgeTest, FindingsAreThoseOfEvaluatingTheParsedEvents) {
  Fill();
  ExpectSameFindings(origin_ - absl::Hours(1), origin_ + absl::Hours(3));
  // A range inside the history: read through the time index, with one
  // window before it.
  ExpectSameFindings(origin_ + absl::Minutes(20), origin_ + absl::Minutes(30));
}

TEST_F(RejudgeTest, EventsProtobufReadsDifferentlyAreJudgedAsProtobufReadsThem) {
  Fill();
  // The same event appended twice: protobuf merges the copies.
  Damage("ws-7", 100, "payload || payload");
  // A sender with a non-ASCII (valid UTF-8) name.
  Event e = test_util::Mail(101, 1000, "10.1.0.7", "203.0.113.77", "j\xc3\xb8rn@example.com", 2);
  Damage("ws-7", 101, absl::StrCat("X'", absl::BytesToHexString(e.SerializeAsString()), "'"));
  ExpectSameFindings(origin_ - absl::Hours(1), origin_ + absl::Hours(3));
}

TEST_F(RejudgeTest, AnUnboundedRangeJudgesEverythingAndSaysSoInTheReport) {
  Fill();
  ExpectSameFindings(absl::InfinitePast(), absl::InfiniteFuture());
  absl::StatusOr<cleansweep::v1::FindingReport> report =
      Rejudge(*store_, rules_, absl::InfinitePast(), absl::InfiniteFuture(), nullptr, nullptr);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->from().seconds(), TimeUtil::kTimestampMinSeconds);
  EXPECT_EQ(report->to().seconds(), TimeUtil::kTimestampMaxSeconds);
}

TEST_F(RejudgeTest, ADamagedEventIsDataLossNamingItsAgent) {
  Fill();
  Damage("ws-3", 700, "X'0aff'");  // a length beyond the end
  absl::StatusOr<cleansweep::v1::FindingReport> report =
      Rejudge(*store_, rules_, origin_, origin_ + absl::Hours(3), nullptr, nullptr);
  ASSERT_EQ(report.status().code(), absl::StatusCode::kDataLoss) << report.status();
  EXPECT_EQ(report.status().message(),
            "a stored event of agent ws-3 does not parse; the database is damaged");
}

}  // namespace
}  // namespace cleansweep::collector
