#include "collector/dmarc/source_summary.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::dmarc {
namespace {

using ::testing::ElementsAre;

TEST(DomainsAlignedTest, StrictIsTheSameDomain) {
  EXPECT_TRUE(DomainsAligned("example.com", "example.com", true));
  EXPECT_TRUE(DomainsAligned("Example.COM", "example.com.", true));
  EXPECT_FALSE(DomainsAligned("example.com", "mail.example.com", true));
}

TEST(DomainsAlignedTest, RelaxedAcceptsSubdomainsEitherWay) {
  EXPECT_TRUE(DomainsAligned("example.com", "mail.example.com", false));
  EXPECT_TRUE(DomainsAligned("news.example.com", "example.com", false));
  EXPECT_FALSE(DomainsAligned("example.com", "notexample.com", false));
  EXPECT_FALSE(DomainsAligned("example.com", "example.com.evil.net", false));
  EXPECT_FALSE(DomainsAligned("example.com", "", false));
  EXPECT_FALSE(DomainsAligned("", "", false));
  // Siblings share an organizational domain but are not recognised without a
  // public suffix list (documented).
  EXPECT_FALSE(DomainsAligned("a.example.com", "b.example.com", false));
}

Record MakeRecord(const std::string& ip, uint64_t count, const std::string& dkim_eval,
                  const std::string& spf_eval, const std::string& disposition) {
  Record r;
  r.row.source_ip = ip;
  r.row.count = count;
  r.row.policy_evaluated.dkim = dkim_eval;
  r.row.policy_evaluated.spf = spf_eval;
  r.row.policy_evaluated.disposition = disposition;
  r.identifiers.header_from = "Example.com";
  return r;
}

DmarcReport MakeReport(const std::string& org, const std::string& id, int64_t begin) {
  DmarcReport report;
  report.report_metadata.org_name = org;
  report.report_metadata.report_id = id;
  report.report_metadata.date_range = {begin, begin + 86399};
  report.policy_published.domain = "example.com";
  return report;
}

TEST(SummarizeBySourceTest, CountsPerAddress) {
  DmarcReport google = MakeReport("google.com", "g1", 1000);
  // Our mail server, signing for example.com: DMARC passes.
  Record ours = MakeRecord("203.0.113.5", 12, "pass", "pass", "none");
  ours.auth_results.dkim.push_back({"example.com", "s1", "pass", std::nullopt});
  ours.auth_results.spf.push_back({"example.com", "mfrom", "pass", std::nullopt});
  google.records.push_back(ours);
  // A forger: SPF passes for its own domain only; HELO results do not count.
  Record forger = MakeRecord("2001:DB8::7", 4, "fail", "fail", "reject");
  forger.auth_results.spf.push_back({"spammer.example.net", "mfrom", "pass", std::nullopt});
  forger.auth_results.spf.push_back({"example.com", "helo", "pass", std::nullopt});
  google.records.push_back(forger);
  // An address that is none.
  google.records.push_back(MakeRecord("unknown", 1, "fail", "fail", "quarantine"));

  DmarcReport yahoo = MakeReport("Yahoo", "y1", 2000);
  // The same forger, spelt differently.
  Record again = MakeRecord("2001:db8:0::7", 6, "fail", "fail", "quarantine");
  again.auth_results.dkim.push_back({"mail.example.com", "x", "pass", std::nullopt});
  yahoo.records.push_back(again);

  std::vector<std::string> asked;
  const DmarcSummary s = SummarizeBySource({google, yahoo, google}, [&](const IpAddress& a) {
    asked.push_back(a.ToString());
    return a.ToString() == "203.0.113.5";
  });
  EXPECT_EQ(s.reports, 2u);
  EXPECT_EQ(s.duplicate_reports, 1u);  // google's report given twice
  EXPECT_EQ(s.messages, 23u);
  EXPECT_EQ(s.messages_from_ours, 12u);
  // One question per distinct address; none for the non-address.
  EXPECT_THAT(asked, ::testing::UnorderedElementsAre("203.0.113.5", "2001:db8::7"));

  ASSERT_EQ(s.sources.size(), 3u);
  const SourceSummary& server = s.sources[0];
  EXPECT_EQ(server.source, "203.0.113.5");
  EXPECT_TRUE(server.ours);
  EXPECT_EQ(server.messages, 12u);
  EXPECT_EQ(server.dmarc_pass, 12u);
  EXPECT_EQ(server.dkim_aligned_computed, 12u);
  EXPECT_EQ(server.spf_aligned_computed, 12u);
  EXPECT_THAT(server.header_from, ElementsAre("example.com"));

  const SourceSummary& forgery = s.sources[1];
  EXPECT_EQ(forgery.source, "2001:db8::7");
  EXPECT_FALSE(forgery.ours);
  EXPECT_EQ(forgery.messages, 10u);
  EXPECT_EQ(forgery.dmarc_pass, 0u);
  EXPECT_EQ(forgery.spf_auth_pass, 4u);
  EXPECT_EQ(forgery.spf_aligned_computed, 0u);
  // Relaxed DKIM: mail.example.com aligns with example.com, though the
  // reporter said fail (its evaluation stays in dmarc_pass).
  EXPECT_EQ(forgery.dkim_auth_pass, 6u);
  EXPECT_EQ(forgery.dkim_aligned_computed, 6u);
  EXPECT_EQ(forgery.dispositions.at("reject"), 4u);
  EXPECT_EQ(forgery.dispositions.at("quarantine"), 6u);
  EXPECT_THAT(forgery.reporters, ElementsAre("Yahoo", "google.com"));
  EXPECT_EQ(forgery.first_begin, 1000);
  EXPECT_EQ(forgery.last_end, 2000 + 86399);

  const SourceSummary& none = s.sources[2];
  EXPECT_EQ(none.source, "unknown");
  EXPECT_FALSE(none.address.has_value());
  EXPECT_FALSE(none.ours);
}

TEST(SummarizeBySourceTest, StrictPolicyNeedsTheExactDomain) {
  DmarcReport report = MakeReport("r", "1", 0);
  report.policy_published.adkim = "s";
  Record rec = MakeRecord("192.0.2.1", 2, "fail", "fail", "none");
  rec.auth_results.dkim.push_back({"mail.example.com", "x", "pass", std::nullopt});
  report.records.push_back(rec);
  const DmarcSummary s = SummarizeBySource({report}, [](const IpAddress&) { return false; });
  ASSERT_EQ(s.sources.size(), 1u);
  EXPECT_EQ(s.sources[0].dkim_auth_pass, 2u);
  EXPECT_EQ(s.sources[0].dkim_aligned_computed, 0u);
}

TEST(SummarizeBySourceTest, CountsSaturate) {
  DmarcReport report = MakeReport("r", "1", 0);
  report.records.push_back(MakeRecord("192.0.2.1", UINT64_MAX - 1, "pass", "pass", "none"));
  report.records.push_back(MakeRecord("192.0.2.1", 5, "pass", "pass", "none"));
  const DmarcSummary s = SummarizeBySource({report}, [](const IpAddress&) { return true; });
  ASSERT_EQ(s.sources.size(), 1u);
  EXPECT_EQ(s.sources[0].messages, UINT64_MAX);
  EXPECT_EQ(s.messages, UINT64_MAX);
}

}  // namespace
}  // namespace cleansweep::collector::dmarc
