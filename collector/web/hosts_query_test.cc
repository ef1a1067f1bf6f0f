// Hosts built by hand; every expected order and page is written out below.
#include "collector/web/hosts_query.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1795780800);

HostView Host(std::string hostname, std::string agent, HostStatus status, double cov24,
              std::string verdict, std::vector<std::string> addresses = {}) {
  HostView v;
  v.key = agent.empty() ? hostname : agent;
  v.day.hostname = std::move(hostname);
  v.day.agent_id = std::move(agent);
  v.day.status = status;
  v.day.coverage.fraction = cov24;
  v.day.addresses = std::move(addresses);
  v.verdict = std::move(verdict);
  return v;
}

class HostsQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snap_.now = kNow;
    snap_.hosts = {
        Host("alpha", "a1", HostStatus::kReporting, 1.0, "clean", {"10.0.0.1"}),
        Host("Bravo", "b1", HostStatus::kSilent, 0.5, "mass-mailing", {"10.0.0.2", "fe80::2"}),
        Host("charlie", "", HostStatus::kNeverReported, 0.0, "unknown"),
        Host("delta", "d1", HostStatus::kReporting, 0.5, "notice", {"192.168.1.4"}),
        Host("delta", "d0", HostStatus::kReporting, 0.25, "clean", {"192.168.1.5"}),
    };
    snap_.hosts[0].day.owner = "Alice";
    snap_.hosts[0].day.last_seen = kNow - absl::Minutes(1);
    snap_.hosts[1].day.last_seen = kNow - absl::Hours(2);
    snap_.hosts[3].day.last_seen = kNow;
    snap_.hosts[4].day.last_seen = kNow - absl::Minutes(1);
    snap_.hosts[1].findings = 3;
    snap_.hosts[3].findings = 1;
    snap_.hosts[0].day.spool = SpoolBacklog{.events = 10};
    snap_.hosts[3].day.spool = SpoolBacklog{.events = 99};
    snap_.hosts[0].day.loss = {1000, 10, 0};  // 1 %
    snap_.hosts[1].day.loss = {1000, 0, 50};  // 5 %
  }

  std::vector<std::string> Keys(std::map<std::string, std::string> params) {
    absl::StatusOr<HostsQuery> q = ParseHostsQuery(params);
    EXPECT_TRUE(q.ok()) << q.status();
    std::vector<std::string> keys;
    for (const HostView* h : QueryHosts(snap_, *q).rows) keys.push_back(h->key);
    return keys;
  }

  StatusSnapshot snap_;
};

TEST_F(HostsQueryTest, DefaultIsByHostnameIgnoringCaseThenAgent) {
  EXPECT_THAT(Keys({}), ElementsAre("a1", "b1", "charlie", "d0", "d1"));
  EXPECT_THAT(Keys({{"order", "desc"}}), ElementsAre("d1", "d0", "charlie", "b1", "a1"));
}

TEST_F(HostsQueryTest, FilterMatchesNameAgentOwnerAndAddressesIgnoringCase) {
  EXPECT_THAT(Keys({{"q", "BRAV"}}), ElementsAre("b1"));
  EXPECT_THAT(Keys({{"q", "alice"}}), ElementsAre("a1"));    // owner
  EXPECT_THAT(Keys({{"q", "fe80"}}), ElementsAre("b1"));     // second address
  EXPECT_THAT(Keys({{"q", "192.168.1."}}), ElementsAre("d0", "d1"));
  EXPECT_THAT(Keys({{"q", "d0"}}), ElementsAre("d0"));       // agent id
  EXPECT_THAT(Keys({{"q", "nothing"}}), ElementsAre());
  EXPECT_THAT(Keys({{"status", "reporting"}}), ElementsAre("a1", "d0", "d1"));
  EXPECT_THAT(Keys({{"status", "never"}}), ElementsAre("charlie"));
  EXPECT_THAT(Keys({{"status", "silent"}, {"q", "a"}}), ElementsAre("b1"));
  EXPECT_THAT(Keys({{"verdict", "clean"}}), ElementsAre("a1", "d0"));
}

TEST_F(HostsQueryTest, SortKeysWithNameTieBreak) {
  EXPECT_THAT(Keys({{"sort", "coverage24h"}}), ElementsAre("charlie", "d0", "b1", "d1", "a1"));
  EXPECT_THAT(Keys({{"sort", "coverage24h"}, {"order", "desc"}}),
              ElementsAre("a1", "b1", "d1", "d0", "charlie"));  // ties stay by name
  // Never seen sorts oldest.
  EXPECT_THAT(Keys({{"sort", "lastSeen"}}), ElementsAre("charlie", "b1", "a1", "d0", "d1"));
  EXPECT_THAT(Keys({{"sort", "status"}}), ElementsAre("a1", "d0", "d1", "b1", "charlie"));
  EXPECT_THAT(Keys({{"sort", "verdict"}, {"order", "desc"}}),
              ElementsAre("b1", "d1", "a1", "d0", "charlie"));
  EXPECT_THAT(Keys({{"sort", "findings"}, {"order", "desc"}}),
              ElementsAre("b1", "d1", "a1", "charlie", "d0"));
  EXPECT_THAT(Keys({{"sort", "backlog"}, {"order", "desc"}}),
              ElementsAre("d1", "a1", "b1", "charlie", "d0"));
  EXPECT_THAT(Keys({{"sort", "loss"}, {"order", "desc"}}),
              ElementsAre("b1", "a1", "charlie", "d0", "d1"));
  EXPECT_THAT(Keys({{"sort", "address"}}), ElementsAre("charlie", "a1", "b1", "d1", "d0"));
  EXPECT_THAT(Keys({{"sort", "agent"}}), ElementsAre("charlie", "a1", "b1", "d0", "d1"));
}

TEST_F(HostsQueryTest, PagesCountEveryMatch) {
  absl::StatusOr<HostsQuery> q = ParseHostsQuery({{"offset", "1"}, {"limit", "2"}});
  ASSERT_TRUE(q.ok());
  HostsPage page = QueryHosts(snap_, *q);
  EXPECT_EQ(page.total, 5u);
  ASSERT_EQ(page.rows.size(), 2u);
  EXPECT_EQ(page.rows[0]->key, "b1");
  EXPECT_EQ(page.rows[1]->key, "charlie");
  EXPECT_THAT(Keys({{"offset", "4"}, {"limit", "2"}}), ElementsAre("d1"));
  EXPECT_THAT(Keys({{"offset", "9"}}), ElementsAre());
  q = ParseHostsQuery({{"status", "reporting"}, {"limit", "1"}});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(QueryHosts(snap_, *q).total, 3u);
}

TEST_F(HostsQueryTest, BadParametersNameWhatIsAccepted) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> bad = {
      {{{"sort", "owner"}}, "parameter sort=owner: expected hostname, agent"},
      {{{"order", "up"}}, "asc or desc"},
      {{{"status", "dead"}}, "reporting, silent or never"},
      {{{"verdict", "infected"}}, "mass-mailing"},
      {{{"limit", "0"}}, "from 1 to 500"},
      {{{"limit", "501"}}, "from 1 to 500"},
      {{{"limit", "-5"}}, "from 1 to 500"},
      {{{"offset", "x"}}, "parameter offset=x"},
  };
  for (const auto& [params, message] : bad) {
    absl::StatusOr<HostsQuery> q = ParseHostsQuery(params);
    ASSERT_FALSE(q.ok()) << message;
    EXPECT_TRUE(absl::IsInvalidArgument(q.status()));
    EXPECT_THAT(q.status().message(), HasSubstr(message));
  }
  // Empty values are "not given".
  EXPECT_TRUE(ParseHostsQuery({{"q", ""}, {"sort", ""}, {"limit", ""}}).ok());
}

}  // namespace
}  // namespace cleansweep::collector::web
