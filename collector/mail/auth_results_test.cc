// Values from the third-party mails in tests/testdata/eml (named before
// each) and RFC 8601/7208/8617 examples, checked by hand.
#include "collector/mail/auth_results.h"

#include "gtest/gtest.h"

namespace cleansweep::collector::mail {
namespace {

TEST(AuthResultsTest, DkimWithReasonAndAtps) {
  // stalwart arf-004.eml, the reported message's header.
  const std::vector<AuthResult> r = ParseAuthenticationResults(
      "box.mydomain.name;\n\tdkim=fail reason=\"signature verification failed\" (2048-bit key; "
      "unprotected) header.d=interpublication.org header.i=@interpublication.org "
      "header.b=\"PrsTNnuH\";\n\tdkim-atps=neutral",
      "Authentication-Results");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].authserv_id, "box.mydomain.name");
  EXPECT_EQ(r[0].method, "dkim");
  EXPECT_EQ(r[0].result, "fail");
  EXPECT_EQ(r[0].domain, "interpublication.org");
  EXPECT_EQ(r[0].reason, "signature verification failed");
  EXPECT_EQ(r[0].header, "Authentication-Results");
  EXPECT_EQ(r[1].method, "dkim-atps");
  EXPECT_EQ(r[1].result, "neutral");
}

TEST(AuthResultsTest, SeveralMethods) {
  // stalwart arf-005.eml.
  const std::vector<AuthResult> r = ParseAuthenticationResults(
      "mta1011.mail.tp2.receiver.example;\n dkim=fail (bodyhash) header.d=sender.example;\n "
      "spf=pass smtp.mailfrom=anexample.reply@a.sender.example",
      "Authentication-Results");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].method, "dkim");
  EXPECT_EQ(r[0].reason, "bodyhash");
  EXPECT_EQ(r[0].domain, "sender.example");
  EXPECT_EQ(r[1].method, "spf");
  EXPECT_EQ(r[1].result, "pass");
  EXPECT_EQ(r[1].domain, "a.sender.example");
  EXPECT_EQ(r[1].authserv_id, "mta1011.mail.tp2.receiver.example");
}

TEST(AuthResultsTest, NoAuthservIdAndSemicolonInComment) {
  // sisimai arf-18.eml's feedback report: no authserv-id, ';' inside the comment.
  const std::vector<AuthResult> r = ParseAuthenticationResults(
      "dmarc=fail (p=none; dis=none) header.from=example.org", "Authentication-Results");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].authserv_id, "");
  EXPECT_EQ(r[0].method, "dmarc");
  EXPECT_EQ(r[0].result, "fail");
  EXPECT_EQ(r[0].domain, "example.org");
  EXPECT_EQ(r[0].reason, "p=none; dis=none");
}

TEST(AuthResultsTest, YahooDecorationsAreDropped) {
  // sisimai arf-14.eml.
  const std::vector<AuthResult> r = ParseAuthenticationResults(
      "mta2222.mail.bf2.yahoo.com  from=example.jp; domainkeys=neutral (no sig);  "
      "from=amazonses.com; dkim=pass (ok)",
      "Authentication-Results");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].authserv_id, "mta2222.mail.bf2.yahoo.com");
  EXPECT_EQ(r[0].method, "domainkeys");
  EXPECT_EQ(r[0].result, "neutral");
  EXPECT_EQ(r[1].method, "dkim");
  EXPECT_EQ(r[1].result, "pass");
  EXPECT_EQ(r[1].reason, "ok");
}

TEST(AuthResultsTest, SpfDomainAndAddressFromTheComment) {
  // sisimai rhost-mimecast-02.eml: smtp.mail is empty; the comment names both.
  const std::vector<AuthResult> r = ParseAuthenticationResults(
      "mx.google.com; spf=pass (google.com: domain of nyaan2.example.co.uk designates "
      "192.0.2.117 as permitted sender) smtp.mail=",
      "Authentication-Results");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].domain, "nyaan2.example.co.uk");
  EXPECT_EQ(r[0].ip, "192.0.2.117");
}

TEST(AuthResultsTest, ArcAuthenticationResults) {
  // RFC 8617 appendix B style.
  const std::vector<AuthResult> r = ParseAuthenticationResults(
      "i=2; lists.example.org; spf=pass smtp.mailfrom=jqd@d1.example; dkim=pass (1024-bit key) "
      "header.i=@d1.example; dmarc=pass header.from=d1.example",
      "ARC-Authentication-Results");
  ASSERT_EQ(r.size(), 3u);
  for (const AuthResult& a : r) {
    EXPECT_EQ(a.arc_instance, 2);
    EXPECT_EQ(a.authserv_id, "lists.example.org");
    EXPECT_EQ(a.header, "ARC-Authentication-Results");
  }
  EXPECT_EQ(r[0].domain, "d1.example");
  EXPECT_EQ(r[1].domain, "d1.example");  // from header.i
  EXPECT_EQ(r[2].domain, "d1.example");
}

TEST(AuthResultsTest, ReceivedSpf) {
  // sisimai rhost-mimecast-02.eml.
  std::vector<AuthResult> r = ParseReceivedSpf(
      "pass (google.com: domain of nyaan2.example.co.uk designates 192.0.2.117 as permitted "
      "sender) client-ip=192.0.2.117;");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].method, "spf");
  EXPECT_EQ(r[0].result, "pass");
  EXPECT_EQ(r[0].ip, "192.0.2.117");
  EXPECT_EQ(r[0].domain, "nyaan2.example.co.uk");
  // RFC 7208 9.1's example.
  r = ParseReceivedSpf(
      "fail (mybox.example.org: domain of myname@example.com does not designate 192.0.2.1 as "
      "permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1; "
      "envelope-from=\"myname@example.com\"; helo=foo.example.com;");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, "fail");
  EXPECT_EQ(r[0].authserv_id, "mybox.example.org");
  EXPECT_EQ(r[0].ip, "192.0.2.1");
  EXPECT_EQ(r[0].domain, "example.com");
  EXPECT_TRUE(ParseReceivedSpf("garbage here").empty());
}

TEST(AuthResultsTest, ArcSeal) {
  const std::vector<AuthResult> r =
      ParseArcSeal("i=1; a=rsa-sha256; t=1700000000; cv=none; d=google.com; s=arc-20160816; b=AbC");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].method, "arc");
  EXPECT_EQ(r[0].result, "none");
  EXPECT_EQ(r[0].domain, "google.com");
  EXPECT_EQ(r[0].arc_instance, 1);
  EXPECT_TRUE(ParseArcSeal("i=1; cv=bogus").empty());
}

TEST(AuthResultsTest, NothingReadableIsEmpty) {
  EXPECT_TRUE(ParseAuthenticationResults("example.org; none", "Authentication-Results").empty());
  EXPECT_TRUE(ParseAuthenticationResults("", "Authentication-Results").empty());
  EXPECT_TRUE(ParseAuthenticationResults("((((;\"", "Authentication-Results").empty());
}

}  // namespace
}  // namespace cleansweep::collector::mail
