// Real Received lines from the third-party mails in tests/testdata/eml (the
// file is named before each), with every field checked by hand against the
// line. Unix times were computed with `date -u -d`.
#include "collector/mail/received.h"

#include <chrono>

#include "gtest/gtest.h"

namespace cleansweep::collector::mail {
namespace {

std::string Ip(const ReceivedHop& h) { return h.from_ip ? h.from_ip->ToString() : "none"; }
int64_t Unix(const ReceivedHop& h) { return h.date ? absl::ToUnixSeconds(*h.date) : -1; }

TEST(ReceivedTest, PostfixWithRdnsAndFor) {
  // sisimai lhost-postfix-39.eml, the bounced message's top hop.
  const ReceivedHop h = ParseReceived(
      "from nyaans.example.com (nyaans.example.com [198.51.100.24])\n"
      "\tby neko.example.com (Postfix) with ESMTP id AAAAAA00000\n"
      "\tfor <kijitora@example.com>; Thu, 29 Apr 2008 23:34:45 -0800 (PST)");
  EXPECT_EQ(h.from_name, "nyaans.example.com");
  EXPECT_EQ(h.from_helo, "nyaans.example.com");
  EXPECT_EQ(h.from_rdns, "nyaans.example.com");
  EXPECT_EQ(Ip(h), "198.51.100.24");
  EXPECT_EQ(h.by, "neko.example.com");
  EXPECT_EQ(h.with, "ESMTP");
  EXPECT_EQ(h.id, "AAAAAA00000");
  EXPECT_EQ(h.for_address, "kijitora@example.com");
  EXPECT_FALSE(h.authenticated);
  EXPECT_EQ(h.date_text, "Thu, 29 Apr 2008 23:34:45 -0800 (PST)");
  EXPECT_EQ(Unix(h), 1209540885);
  EXPECT_EQ(h.raw,
            "from nyaans.example.com (nyaans.example.com [198.51.100.24])\tby neko.example.com "
            "(Postfix) with ESMTP id AAAAAA00000\tfor <kijitora@example.com>; Thu, 29 Apr 2008 "
            "23:34:45 -0800 (PST)");
}

TEST(ReceivedTest, QmailWithHelo) {
  // mail-parser mail_test_9.eml: qmail puts rDNS ("unknown") first, HELO in a comment.
  const ReceivedHop h = ParseReceived(
      "from unknown (HELO sgis.com.cn) (218.15.33.11)\n"
      "  by smtp.didi.net with SMTP; 8 Mar 2017 05:57:05 -0000");
  EXPECT_EQ(h.from_name, "unknown");
  EXPECT_EQ(h.from_helo, "sgis.com.cn");
  EXPECT_EQ(h.from_rdns, "");
  EXPECT_EQ(Ip(h), "218.15.33.11");
  EXPECT_EQ(h.by, "smtp.didi.net");
  EXPECT_EQ(h.with, "SMTP");
  EXPECT_EQ(Unix(h), 1488952625);
}

TEST(ReceivedTest, QmailWithoutHeloNamesTheRdns) {
  // mail-parser mail_test_3.eml: the Turkish static address.
  const ReceivedHop h = ParseReceived(
      "from 67.175.76.202.static.randtelekom.com.tr (67.175.76.202)\n"
      "  by smtp.server.net with SMTP; 22 Aug 2016 13:56:15 -0000");
  EXPECT_EQ(h.from_rdns, "67.175.76.202.static.randtelekom.com.tr");
  EXPECT_EQ(h.from_helo, "67.175.76.202.static.randtelekom.com.tr");
  EXPECT_EQ(Ip(h), "67.175.76.202");
  EXPECT_EQ(h.by, "smtp.server.net");
  EXPECT_EQ(Unix(h), 1471874175);
}

TEST(ReceivedTest, QmailBookkeepingHasNoFrom) {
  const ReceivedHop h =
      ParseReceived("(qmail 13850 invoked from network); 22 Aug 2016 13:56:15 -0000");
  EXPECT_EQ(h.from_name, "");
  EXPECT_FALSE(h.from_ip);
  EXPECT_EQ(h.by, "");
  EXPECT_EQ(Unix(h), 1471874175);
}

TEST(ReceivedTest, QmailAuthenticatedSenderAndEnvelope) {
  // mail-parser mail_test_9.eml: "user@[ip]" and envelope-sender in the from comments.
  const ReceivedHop h = ParseReceived(
      "from unknown (HELO ljhw) (zyb@sgis.com.cn@[223.152.177.168])\n"
      "          (envelope-sender <zyb@sgis.com.cn>)\n"
      "          by 0 (magicmail) with SMTP\n"
      "          for <webmaster@khaleejtimes.com>; 26 Dec 2016 05:32:02 -0000");
  EXPECT_EQ(h.from_helo, "ljhw");
  EXPECT_EQ(Ip(h), "223.152.177.168");
  EXPECT_EQ(h.envelope_from, "zyb@sgis.com.cn");
  EXPECT_EQ(h.by, "0");
  EXPECT_EQ(h.for_address, "webmaster@khaleejtimes.com");
  EXPECT_EQ(Unix(h), 1482730322);
}

TEST(ReceivedTest, QmailScannerMultiLineComment) {
  // mail-parser mail_test_9.eml: the address as the from word, a comment over three lines.
  const ReceivedHop h = ParseReceived(
      "from 223.152.177.168 by mail.sgis.com.cn (envelope-from <zyb@sgis.com.cn>, uid 0) "
      "with qmail-scanner-1.24\n (4.4.4.56.\n Clear:RC:0(223.152.177.168):.\n"
      " Processed in 2.047196 secs); 26 Dec 2016 05:32:04 -0000");
  EXPECT_EQ(Ip(h), "223.152.177.168");
  EXPECT_EQ(h.from_rdns, "");
  EXPECT_EQ(h.by, "mail.sgis.com.cn");
  EXPECT_EQ(h.with, "qmail-scanner-1.24");
  EXPECT_EQ(h.envelope_from, "zyb@sgis.com.cn");
  EXPECT_EQ(Unix(h), 1482730324);
}

TEST(ReceivedTest, EmptyByClause) {
  // mail-parser mail_malformed_3.eml: a spam tool's line with nothing after "by".
  const ReceivedHop h = ParseReceived("from 139.88.66.159 by ; Mon, 20 Mar 2017 03:11:54 +0400");
  EXPECT_EQ(Ip(h), "139.88.66.159");
  EXPECT_EQ(h.by, "");
  EXPECT_EQ(Unix(h), 1489965114);
}

TEST(ReceivedTest, UnclosedCommentDoesNotSwallowId) {
  // sisimai arf-18.eml: "(cipher=AES256-GCM-SHA384" is never closed.
  const ReceivedHop h = ParseReceived(
      "from [192.0.2.222] ([192.0.2.222:222] helo=mta-2.example.org)\n"
      "\tby example.org (envelope-from <sironeko@example.org>)\n"
      "\t(ecelerity 3.6.5.1 r(Core:3.6.5.0)) with ESMTPS (cipher=AES256-GCM-SHA384\n"
      "\tid 22/00-00000-EEEEEEEE; Thu, 29 Apr 2015 23:34:45 +0000");
  EXPECT_EQ(Ip(h), "192.0.2.222");
  EXPECT_EQ(h.from_helo, "mta-2.example.org");
  EXPECT_EQ(h.from_rdns, "");
  EXPECT_EQ(h.by, "example.org");
  EXPECT_EQ(h.envelope_from, "sironeko@example.org");
  EXPECT_EQ(h.with, "ESMTPS");
  EXPECT_EQ(h.id, "22/00-00000-EEEEEEEE");
  EXPECT_EQ(Unix(h), 1430350485);
}

TEST(ReceivedTest, YahooAddressCommentBeatsTheFromWord) {
  // sisimai arf-02.eml: "from 127.0.0.1" is Yahoo's own; the client is in parentheses.
  const ReceivedHop h = ParseReceived(
      "from 127.0.0.1  (EHLO mx8.example.com) (192.0.2.8)\n"
      "  by mta34.mail.g9.yahoo.com with SMTP; Thu, 29 Apr 2013 23:45:06 -0800");
  EXPECT_EQ(Ip(h), "192.0.2.8");
  EXPECT_EQ(h.from_helo, "mx8.example.com");
  EXPECT_EQ(h.from_rdns, "");
  EXPECT_EQ(h.by, "mta34.mail.g9.yahoo.com");
  EXPECT_EQ(Unix(h), 1367307906);
}

TEST(ReceivedTest, AuthenticatedSubmission) {
  // stalwart arf-004.eml: Postfix, HELO and rDNS differ, ESMTPA.
  const ReceivedHop h = ParseReceived(
      "from dslb-002-202-150-127.002.202.pools.vodafone-ip.de "
      "(dslb-188-099-080-029.188.099.pools.vodafone-ip.de [188.99.80.29])\n"
      "\tby sainay.interpublication.org (Postfix) with ESMTPA id 6BB23A2D3\n"
      "\tfor <address@myotherdomain.name>; Tue,  5 Oct 2021 00:36:52 -0400 (EDT)");
  EXPECT_EQ(h.from_helo, "dslb-002-202-150-127.002.202.pools.vodafone-ip.de");
  EXPECT_EQ(h.from_rdns, "dslb-188-099-080-029.188.099.pools.vodafone-ip.de");
  EXPECT_EQ(Ip(h), "188.99.80.29");
  EXPECT_EQ(h.with, "ESMTPA");
  EXPECT_TRUE(h.authenticated);
  EXPECT_EQ(h.id, "6BB23A2D3");
  EXPECT_EQ(h.for_address, "address@myotherdomain.name");
  // The DKIM signature of that message says t=1633408612: the same second.
  EXPECT_EQ(Unix(h), 1633408612);
}

TEST(ReceivedTest, EximLocalDelivery) {
  // sisimai lhost-barracuda-01.eml: no address, envelope-from after "with".
  const ReceivedHop h = ParseReceived(
      "from apache by neko.example.net with local (Exim 4.60)\n"
      "\t(envelope-from <nyaan@neko.example.com>)\n"
      "\tid 0EFq2i-ZkIPUJ-PJ\n"
      "\tfor kijitora@example.org; Thu, 29 Apr 2007 23:34:45 +0900");
  EXPECT_EQ(h.from_name, "apache");
  EXPECT_FALSE(h.from_ip);
  EXPECT_EQ(h.by, "neko.example.net");
  EXPECT_EQ(h.with, "local");
  EXPECT_EQ(h.envelope_from, "nyaan@neko.example.com");
  EXPECT_EQ(h.id, "0EFq2i-ZkIPUJ-PJ");
  EXPECT_EQ(h.for_address, "kijitora@example.org");
  EXPECT_EQ(Unix(h), 1177857285);
}

TEST(ReceivedTest, DragonFlyIdBeforeBy) {
  // sisimai lhost-dragonfly-25.eml.
  const ReceivedHop h = ParseReceived(
      "from MAILER-DAEMON\n\tid e0734\n\tby df.example.jp (DragonFly Mail Agent v0.13);\n"
      "\tTue, 11 Jun 2024 19:13:34 +0900");
  EXPECT_EQ(h.from_name, "MAILER-DAEMON");
  EXPECT_EQ(h.id, "e0734");
  EXPECT_EQ(h.by, "df.example.jp");
  EXPECT_EQ(Unix(h), 1718100814);
}

TEST(ReceivedTest, MicrosoftSmtpsvc) {
  // The form SpamAssassin's Received.pm documents for Microsoft SMTPSVC.
  const ReceivedHop h = ParseReceived(
      "from inet-vrs-05.redmond.corp.microsoft.com ([157.54.6.157]) by "
      "INET-IMC-05.redmond.corp.microsoft.com with Microsoft SMTPSVC(5.0.2195.6624); "
      "Thu, 6 Mar 2003 12:02:35 -0800");
  EXPECT_EQ(h.from_helo, "inet-vrs-05.redmond.corp.microsoft.com");
  EXPECT_EQ(h.from_rdns, "");
  EXPECT_EQ(Ip(h), "157.54.6.157");
  EXPECT_EQ(h.with, "Microsoft SMTPSVC");
  EXPECT_EQ(Unix(h), 1046980955);
}

TEST(ReceivedTest, Ipv6AndZeroPaddedLiterals) {
  ReceivedHop h = ParseReceived(
      "from mail.example.org (mail.example.org [IPv6:2001:db8::25]) by mx.example.com "
      "(Postfix) with ESMTPS id 4XyZ; Mon, 1 Jan 2024 10:00:00 +0000");
  EXPECT_EQ(Ip(h), "2001:db8::25");
  EXPECT_EQ(h.from_rdns, "mail.example.org");
  h = ParseReceived("from webmail ([010.001.002.003]) by mx.example.com; 1 Jan 2024 10:00 +0000");
  EXPECT_EQ(Ip(h), "10.1.2.3");
  h = ParseReceived("from x (x [2001:DB8:0:0:0:0:0:99]) by y; 1 Jan 2024 10:00 +0000");
  EXPECT_EQ(Ip(h), "2001:db8::99");
}

TEST(ReceivedTest, MalformedDateKeepsTheHop) {
  const ReceivedHop h = ParseReceived(
      "from a.example (a.example [192.0.2.1]) by b.example with SMTP id 7; "
      "Thu, 32 Foo 2020 99:99");
  EXPECT_FALSE(h.date);
  EXPECT_EQ(h.date_text, "Thu, 32 Foo 2020 99:99");
  EXPECT_EQ(Ip(h), "192.0.2.1");
  EXPECT_EQ(h.by, "b.example");
  EXPECT_EQ(h.id, "7");
  const ReceivedHop no_date = ParseReceived("from a by b");
  EXPECT_FALSE(no_date.date);
  EXPECT_EQ(no_date.by, "b");
}

TEST(ReceivedTest, GarbageNeverFailsAndStaysLinear) {
  for (const std::string& s :
       {std::string(), std::string(";;;"), std::string("(((("), std::string("))) from"),
        std::string("from"), std::string("from ("), std::string("by ["), std::string(300000, '('),
        std::string(300000, ')'), std::string(300000, ';')}) {
    const ReceivedHop h = ParseReceived(s);
    EXPECT_FALSE(h.from_ip) << s.substr(0, 20);
  }
  std::string many;
  for (int i = 0; i < 50000; ++i) many += "from a (HELO b) ([192.0.2.1]) by c ";
  const auto start = std::chrono::steady_clock::now();
  const ReceivedHop h = ParseReceived(many);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(Ip(h), "192.0.2.1");
}

}  // namespace
}  // namespace cleansweep::collector::mail
