// ParseComplaint and FindOrigin against the third-party mails copied into
// tests/testdata (see its README):
//  - eml/stalwart-arf: every ARF field stalwart's parser reports
//    (*.expected.json, read here as JSON);
//  - eml/sisimai: kind, reason, SMTP reply code and status as sisimai's own
//    tests state them (EXPECTED.from-p5-sisimai-tests.tsv, read here), and
//    the original message's sender and origin hop, judged by hand from the
//    files by the rules in origin.h (noted per file);
//  - eml/mail-parser: long Received chains, hop by hop, and the broken
//    MIME boundary recovered with a warning;
//  - the mail inside suricata-verify's detect-email-received capture
//    (tests/testdata/derived/detect-email-received.eml): the three Received
//    values exactly as Suricata's eve.json oracle lists them, in order.
#include <map>
#include <sstream>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "collector/mail/complaint.h"
#include "collector/mail/origin.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/testdata.h"

namespace cleansweep::collector::mail {
namespace {

using cleansweep::testing::ReadFileOrDie;
using cleansweep::testing::TestDataPath;
using google::protobuf::Value;

Complaint Parse(const std::string& relative) {
  const std::string bytes = ReadFileOrDie(TestDataPath(relative));
  absl::StatusOr<Complaint> c = ParseComplaint(bytes, relative);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : Complaint{};
}

// ---- stalwart ARF ----

google::protobuf::Struct ReadJson(const std::string& relative) {
  google::protobuf::Struct s;
  const auto status =
      google::protobuf::util::JsonStringToMessage(ReadFileOrDie(TestDataPath(relative)), &s);
  EXPECT_TRUE(status.ok()) << relative;
  return s;
}

// A JSON string, or "" for null.
std::string Str(const google::protobuf::Struct& s, const std::string& key) {
  const Value& v = s.fields().at(key);
  return v.kind_case() == Value::kStringValue ? v.string_value() : "";
}

std::vector<std::string> Strs(const google::protobuf::Struct& s, const std::string& key) {
  std::vector<std::string> out;
  for (const Value& v : s.fields().at(key).list_value().values()) out.push_back(v.string_value());
  return out;
}

// stalwart's enum names ("AuthFailure", "BodyHash") as the RFC tokens
// ("auth-failure", "bodyhash" — RFC 6591 writes Auth-Failure values as one word).
std::string Kebab(const std::string& camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    if (i > 0 && std::isupper(static_cast<unsigned char>(camel[i]))) out.push_back('-');
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(camel[i]))));
  }
  return out;
}

// RFC 5322 unfolding of the peer's value: the line break goes, the blanks stay.
std::string Unfold(const std::string& s) { return absl::StrReplaceAll(s, {{"\n", ""}}); }

TEST(ComplaintTestdataTest, StalwartArf) {
  for (const char* name : {"arf-001", "arf-002", "arf-003", "arf-004", "arf-005"}) {
    SCOPED_TRACE(name);
    const std::string base = std::string("eml/stalwart-arf/") + name;
    const google::protobuf::Struct want = ReadJson(base + ".expected.json");
    const Complaint c = Parse(base + ".eml");
    EXPECT_EQ(c.kind, ComplaintKind::kFeedbackReport);
    ASSERT_TRUE(c.feedback);
    const FeedbackReport& f = *c.feedback;
    EXPECT_EQ(f.feedback_type, Kebab(Str(want, "feedback_type")));
    EXPECT_EQ(f.source_ip ? f.source_ip->ToString() : "", Str(want, "source_ip"));
    EXPECT_EQ(f.original_mail_from, Str(want, "original_mail_from"));
    EXPECT_EQ(f.original_rcpt_to.empty() ? "" : f.original_rcpt_to.front(),
              Str(want, "original_rcpt_to"));
    EXPECT_EQ(f.reported_domains, Strs(want, "reported_domain"));
    EXPECT_EQ(f.reported_uris, Strs(want, "reported_uri"));
    EXPECT_EQ(f.user_agent, Str(want, "user_agent"));
    EXPECT_EQ(f.version,
              std::to_string(static_cast<int>(want.fields().at("version").number_value())));
    EXPECT_EQ(f.reporting_mta, Str(want, "reporting_mta"));
    EXPECT_EQ(f.original_envelope_id, Str(want, "original_envelope_id"));
    EXPECT_EQ(f.dkim_domain, Str(want, "dkim_domain"));
    EXPECT_EQ(f.dkim_identity, Str(want, "dkim_identity"));
    EXPECT_EQ(f.dkim_selector, Str(want, "dkim_selector"));
    const std::string failure = Str(want, "auth_failure");
    EXPECT_EQ(f.auth_failure, failure == "Unspecified" ? "" : absl::AsciiStrToLower(failure));
    std::vector<std::string> auth;
    for (const std::string& a : Strs(want, "authentication_results")) auth.push_back(Unfold(a));
    EXPECT_EQ(f.authentication_results, auth);
    const Value& arrival = want.fields().at("arrival_date");
    if (arrival.kind_case() == Value::kNumberValue) {
      ASSERT_TRUE(f.arrival_date);
      EXPECT_EQ(absl::ToUnixSeconds(*f.arrival_date), static_cast<int64_t>(arrival.number_value()));
    } else {
      EXPECT_FALSE(f.arrival_date);
    }
    // The reported message: stalwart returns the headers-only copies
    // (text/rfc822-headers) as "headers"; their Received lines are ours.
    ASSERT_TRUE(c.original);
    const std::string headers = Str(want, "headers");
    if (!headers.empty()) {
      EXPECT_EQ(c.original_source, OriginalSource::kAttachedHeaders);
      size_t received = 0;
      for (absl::string_view line : absl::StrSplit(headers, '\n')) {
        if (absl::StartsWith(line, "Received:")) ++received;
      }
      EXPECT_EQ(c.original->hops.size(), received);
    } else {
      EXPECT_EQ(c.original_source, OriginalSource::kAttachedMessage);
    }
  }
}

// ---- sisimai ----

struct SisimaiRow {
  std::string dsn, replycode, reason, feedback_type;
};

std::map<std::string, SisimaiRow> ReadSisimaiExpectations() {
  std::map<std::string, SisimaiRow> rows;
  std::istringstream in(
      ReadFileOrDie(TestDataPath("eml/sisimai/EXPECTED.from-p5-sisimai-tests.tsv")));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 6) continue;
    rows[f[0]] = {f[1], f[2], f[3], f[5]};
  }
  return rows;
}

// The original's sender and where it entered the receiving system, as read
// by hand from each file (origin.h's rules; the line is quoted).
struct HandChecked {
  OriginalSource source;
  const char* from_address;
  int entry_hop;  // -1: no hop records an address (no origin)
  const char* origin;
  bool crossed;
};

const std::map<std::string, HandChecked>& HandCheckedOrigins() {
  static const auto* m = new std::map<std::string, HandChecked>{
      // hop0 "from x80.mx.example.net (x80.mail.example.net [192.0.2.41]) by
      // y04.mail.example.net": rDNS in example.net, internal; hop1 "from
      // example.ed.jp (example.ed.jp [192.0.2.45]) by x80.mx.example.net".
      {"arf-01.eml",
       {OriginalSource::kAttachedMessage, "abuse@example.ed.jp", 1, "192.0.2.45", true}},
      // "from 127.0.0.1 (EHLO mx8.example.com) (192.0.2.8) by mta34.mail.g9.yahoo.com".
      {"arf-02.eml",
       {OriginalSource::kAttachedMessage, "shironeko@example.com", 0, "192.0.2.8", true}},
      // "from mx53.example.net (mx53.example.net [192.0.2.2]) by example.com".
      {"arf-11.eml",
       {OriginalSource::kAttachedMessage, "shironeko@example.net", 0, "192.0.2.2", true}},
      // text/rfc822-header (sic): "from mx90.example.net (... [192.0.2.89]) by example.com".
      {"arf-12.eml",
       {OriginalSource::kAttachedHeaders, "shironeko@example.net", 0, "192.0.2.89", true}},
      // "from 127.0.0.1 (EHLO a2-22.smtp-out.amazonses.com) (192.0.2.2) by
      // mta2222.mail.bf2.yahoo.com".
      {"arf-14.eml",
       {OriginalSource::kAttachedMessage, "kijitora@example.jp", 0, "192.0.2.2", true}},
      // hop0 "from [192.0.2.222] ([192.0.2.222:222] helo=mta-2.example.org) by
      // example.org", hop1 "from neko (localhost [127.0.0.1]) by
      // mta-2.example.org": the HELO names a host of the receiving domain that
      // wrote the next hop, so every hand-off is inside example.org; the
      // earliest public address is hop 0's (the report's Source-IP as well).
      {"arf-18.eml",
       {OriginalSource::kAttachedMessage, "sironeko@example.org", 0, "192.0.2.222", false}},
      // "from neko.example.net (neko.example.net [192.0.2.19]) by barracuda.cat.example.jp".
      {"lhost-barracuda-01.eml",
       {OriginalSource::kAttachedHeaders, "neko@example.org", 0, "192.0.2.19", true}},
      // Quoted after "Message headers follow."; "from root (uid 0) ... by
      // df.example.jp": local submission, no address.
      {"lhost-dragonfly-25.eml",
       {OriginalSource::kQuotedInText, "kijitora@df.example.jp", -1, "", false}},
      // Quoted after "This is a copy of the message"; "from sironeko by
      // neko.example.com with local": no address.
      {"lhost-exim-55.eml", {OriginalSource::kQuotedInText, "sironeko@example.com", -1, "", false}},
      // nyaans.example.com -> neko.example.com, meow.example.com ->
      // nyaans.example.com, local pickup at meow: all rDNS in example.com;
      // the earliest public address is meow's.
      {"lhost-postfix-39.eml",
       {OriginalSource::kAttachedMessage, "nekonyaan@neko.example.org", 1, "198.51.100.126",
        false}},
      // hop0 from localhost [127.0.0.1] (private); hop1 "from r18.example.org
      // (unknown [203.0.113.3]) by neko-nyaan.example.net".
      {"lhost-postfix-58.eml",
       {OriginalSource::kAttachedMessage, "kijitora@example.jp", 1, "203.0.113.3", true}},
      // "by nyaan2.example.co.uk (Postfix, from userid 222)": no address.
      {"rhost-mimecast-02.eml",
       {OriginalSource::kAttachedMessage, "neko@email.example.com", -1, "", false}},
  };
  return *m;
}

TEST(ComplaintTestdataTest, Sisimai) {
  const std::map<std::string, SisimaiRow> rows = ReadSisimaiExpectations();
  ASSERT_EQ(rows.size(), 12u);
  for (const auto& [file, row] : rows) {
    SCOPED_TRACE(file);
    const Complaint c = Parse("eml/sisimai/" + file);
    if (row.reason == "feedback") {
      EXPECT_EQ(c.kind, ComplaintKind::kFeedbackReport);
      ASSERT_TRUE(c.feedback);
      EXPECT_EQ(c.feedback->feedback_type, row.feedback_type);
    } else {
      EXPECT_EQ(BounceReasonName(c.reason), row.reason);
      const ComplaintKind want = row.reason == "virusdetected"  ? ComplaintKind::kVirusNotice
                                 : row.reason == "spamdetected" ? ComplaintKind::kSpamNotice
                                                                : ComplaintKind::kBounce;
      EXPECT_EQ(c.kind, want);
      EXPECT_EQ(std::to_string(c.reply.code), row.replycode);
      EXPECT_EQ(c.reply.status, row.dsn);
    }
    const HandChecked& hand = HandCheckedOrigins().at(file);
    ASSERT_TRUE(c.original) << "no original found";
    EXPECT_EQ(c.original_source, hand.source);
    EXPECT_EQ(c.original->from_address, hand.from_address);
    const Origin o = FindOrigin(c.original->hops, nullptr);
    if (hand.entry_hop < 0) {
      EXPECT_EQ(o.method, BoundaryMethod::kNoHops);
      EXPECT_FALSE(o.origin_ip);
    } else {
      ASSERT_TRUE(o.entry_hop);
      EXPECT_EQ(static_cast<int>(*o.entry_hop), hand.entry_hop);
      EXPECT_EQ(o.origin_ip->ToString(), hand.origin);
      EXPECT_EQ(o.crossed_boundary, hand.crossed);
    }
  }
}

TEST(ComplaintTestdataTest, SisimaiFeedbackFields) {
  // arf-01: the report's Source-IP and Reported-Domain.
  Complaint c = Parse("eml/sisimai/arf-01.eml");
  ASSERT_TRUE(c.feedback);
  EXPECT_EQ(c.feedback->source_ip->ToString(), "192.0.2.89");
  EXPECT_THAT(c.feedback->reported_domains, ::testing::ElementsAre("example.ed.jp"));
  // arf-14: Yahoo's results and Received-SPF in the reported message.
  c = Parse("eml/sisimai/arf-14.eml");
  ASSERT_TRUE(c.original);
  std::vector<std::string> got;
  for (const AuthResult& a : c.original->auth_results) {
    got.push_back(a.header + " " + a.method + "=" + a.result + " " + a.domain + " " + a.ip);
  }
  EXPECT_THAT(got, ::testing::ElementsAre("Received-SPF spf=pass amazonses.com 192.0.2.22",
                                          "Authentication-Results domainkeys=neutral  ",
                                          "Authentication-Results dkim=pass  "));
  EXPECT_EQ(c.original->subject, "Nyaan");
  EXPECT_EQ(c.original->message_id,
            "2222222222222222-00000000-eeee-eeee-ffff-222222222222-111111@email.amazonses.com");
}

// ---- mail-parser ----

std::string Ip(const ReceivedHop& h) { return h.from_ip ? h.from_ip->ToString() : "-"; }

TEST(ComplaintTestdataTest, MailParserTurkishStaticAddress) {
  const Complaint c = Parse("eml/mail-parser/mail_test_3.eml");
  EXPECT_EQ(c.kind, ComplaintKind::kPlainMail);
  ASSERT_TRUE(c.original);
  const auto& hops = c.original->hops;
  ASSERT_EQ(hops.size(), 2u);
  EXPECT_EQ(hops[0].raw, "(qmail 13850 invoked from network); 22 Aug 2016 13:56:15 -0000");
  EXPECT_EQ(hops[1].from_rdns, "67.175.76.202.static.randtelekom.com.tr");
  EXPECT_EQ(Ip(hops[1]), "67.175.76.202");
  EXPECT_EQ(hops[1].by, "smtp.server.net");
  const Origin o = FindOrigin(hops, nullptr);
  EXPECT_EQ(*o.entry_hop, 1u);
  EXPECT_EQ(o.origin_ip->ToString(), "67.175.76.202");
  EXPECT_EQ(c.original->from_address, "Oneil.844@randtelekom.com.tr");
  EXPECT_EQ(c.original->subject, "Hi there");
}

TEST(ComplaintTestdataTest, MailParserQmailScannerChain) {
  const Complaint c = Parse("eml/mail-parser/mail_test_9.eml");
  ASSERT_TRUE(c.original);
  const auto& hops = c.original->hops;
  ASSERT_EQ(hops.size(), 5u);
  EXPECT_EQ(hops[0].from_name, "");  // (qmail 12733 invoked from network)
  EXPECT_EQ(Ip(hops[1]), "218.15.33.11");
  EXPECT_EQ(hops[1].from_helo, "sgis.com.cn");
  EXPECT_EQ(hops[1].by, "smtp.didi.net");
  EXPECT_EQ(hops[2].from_name, "");  // (qmail 11857 invoked by uid 8061)
  EXPECT_EQ(Ip(hops[3]), "223.152.177.168");
  EXPECT_EQ(hops[3].by, "mail.sgis.com.cn");
  EXPECT_EQ(hops[3].with, "qmail-scanner-1.24");
  EXPECT_EQ(Ip(hops[4]), "223.152.177.168");
  EXPECT_EQ(hops[4].from_helo, "ljhw");
  EXPECT_EQ(hops[4].by, "0");
  EXPECT_EQ(hops[4].for_address, "webmaster@khaleejtimes.com");
  // Dates: the top hop in March 2017, the spammer's own three in December 2016.
  EXPECT_EQ(absl::ToUnixSeconds(*hops[1].date), 1488952625);
  EXPECT_EQ(absl::ToUnixSeconds(*hops[4].date), 1482730322);
  const Origin o = FindOrigin(hops, nullptr);
  EXPECT_EQ(*o.entry_hop, 1u);
  EXPECT_EQ(o.origin_ip->ToString(), "218.15.33.11");
  for (size_t i = 2; i < hops.size(); ++i) EXPECT_EQ(o.hops[i].role, HopRole::kUntrusted);
  // GBK text labelled gb2312, decoded to UTF-8 (Python's gbk codec reads the same start).
  EXPECT_TRUE(absl::StartsWith(c.original->subject, "我把镜头拉近些")) << c.original->subject;
  EXPECT_EQ(c.original->from_address, "zyb@sgis.com.cn");
}

TEST(ComplaintTestdataTest, MailParserBrokenBoundary) {
  const Complaint c = Parse("eml/mail-parser/mail_malformed_3.eml");
  EXPECT_EQ(c.kind, ComplaintKind::kPlainMail);
  EXPECT_THAT(c.warnings,
              ::testing::Contains(
                  "line 15: multipart/alternative has no parts: its boundary \"--=_HsWzsKVZkho\" "
                  "never appears (broken MIME boundary); its content is not examined"));
  ASSERT_TRUE(c.original);
  EXPECT_EQ(c.original->subject, "Ahorre Dinero en su Recibo de Luz");
  EXPECT_EQ(c.original->from_address, "smgsiso@yahoo.com.mx");
  const auto& hops = c.original->hops;
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[1].from_helo, "192.168.15.15");
  EXPECT_EQ(Ip(hops[1]), "189.207.175.29");
  EXPECT_EQ(Ip(hops[2]), "139.88.66.159");
  EXPECT_EQ(hops[2].by, "");
  const Origin o = FindOrigin(hops, nullptr);
  EXPECT_EQ(o.origin_ip->ToString(), "189.207.175.29");
  EXPECT_EQ(o.hops[2].role, HopRole::kUntrusted);
}

// ---- suricata-verify detect-email-received ----

TEST(ComplaintTestdataTest, SuricataThreeHopsInOrder) {
  const Complaint c = Parse("derived/detect-email-received.eml");
  ASSERT_TRUE(c.original);
  const auto& hops = c.original->hops;
  ASSERT_EQ(hops.size(), 3u);
  // test.yaml's email.received[0..2].
  EXPECT_EQ(hops[0].raw,
            "from client.local (client.local [10.0.0.1]) by smtp.relay1.com with ESMTP id "
            "relay1abc; Thu, 10 Apr 2025 12:00:00 -0000");
  EXPECT_EQ(hops[1].raw,
            "from smtp.relay1.com (smtp.relay1.com [10.0.0.10]) by smtp.relay2.com with ESMTP id "
            "relay2xyz; Thu, 10 Apr 2025 12:01:00 -0000");
  EXPECT_EQ(hops[2].raw,
            "from smtp.relay2.com (smtp.relay2.com [10.0.0.20]) by smtp.destination.com with "
            "ESMTP id final123; Thu, 10 Apr 2025 12:02:00 -0000");
  const char* ips[] = {"10.0.0.1", "10.0.0.10", "10.0.0.20"};
  const char* bys[] = {"smtp.relay1.com", "smtp.relay2.com", "smtp.destination.com"};
  const char* ids[] = {"relay1abc", "relay2xyz", "final123"};
  const int64_t dates[] = {1744286400, 1744286460, 1744286520};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Ip(hops[i]), ips[i]);
    EXPECT_EQ(hops[i].by, bys[i]);
    EXPECT_EQ(hops[i].id, ids[i]);
    EXPECT_EQ(hops[i].with, "ESMTP");
    EXPECT_EQ(absl::ToUnixSeconds(*hops[i].date), dates[i]);
  }
}

}  // namespace
}  // namespace cleansweep::collector::mail
