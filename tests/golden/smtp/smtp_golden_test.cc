// Replays SMTP captures through the real cleansweep-agent binary and compares
// the SmtpSession events with what peer tools report for the same captures:
//  - Zeek's smtp.log / intel.log baselines (parsed here from their `#fields`
//    header: one log row per mail transaction);
//  - Arkime's session records (*.test.json, parsed into google.protobuf.Value);
//  - suricata-verify test.yaml filters (values hand-copied, file cited).
// Address convention: our events carry addresses without angle brackets, as
// Zeek logs them; suricata's eve.json keeps them ("<a@b>"), so its values are
// compared after stripping the brackets.
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/event.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

using ::cleansweep::v1::Event;
using ::cleansweep::v1::SmtpSession;
using ::cleansweep::v1::SmtpTransaction;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAreArray;

std::vector<SmtpSession> Sessions(const std::string& relative_pcap) {
  std::vector<SmtpSession> out;
  for (const Event& e : ReadPcapEvents(TestDataPath(relative_pcap))) {
    if (e.has_smtp()) out.push_back(e.smtp());
  }
  return out;
}

std::vector<std::string> Rcpts(const SmtpTransaction& t) {
  return std::vector<std::string>(t.rcpt_to().begin(), t.rcpt_to().end());
}

std::string StripBrackets(absl::string_view s) {
  if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

// ---------------------------------------------------------------- Zeek logs --

using ZeekRow = std::map<std::string, std::string>;

// Rows of a Zeek ASCII log (tab-separated, columns named by "#fields").
std::vector<ZeekRow> ReadZeekLog(const std::string& relative) {
  std::vector<ZeekRow> rows;
  std::vector<std::string> fields;
  const std::string text = ReadFileOrDie(TestDataPath(relative));
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (absl::ConsumePrefix(&line, "#fields\t")) fields = absl::StrSplit(line, '\t');
      continue;
    }
    std::vector<std::string> values = absl::StrSplit(line, '\t');
    EXPECT_EQ(values.size(), fields.size()) << relative;
    ZeekRow row;
    for (size_t i = 0; i < fields.size() && i < values.size(); ++i) row[fields[i]] = values[i];
    rows.push_back(row);
  }
  EXPECT_FALSE(fields.empty()) << relative << " has no #fields line";
  return rows;
}

// Zeek's unset field is "-"; a set is comma-separated.
std::string ZeekString(const std::string& v) { return v == "-" ? "" : v; }
std::vector<std::string> ZeekSet(const std::string& v) {
  if (v == "-" || v == "(empty)") return {};
  return absl::StrSplit(v, ',');
}

using ConnKey = std::tuple<std::string, uint32_t, std::string, uint32_t>;

ConnKey KeyOf(const SmtpSession& s) {
  return {s.client().ip(), s.client().port(), s.server().ip(), s.server().port()};
}
ConnKey KeyOf(const ZeekRow& r) {
  return {r.at("id.orig_h"), static_cast<uint32_t>(std::stoul(r.at("id.orig_p"))),
          r.at("id.resp_h"), static_cast<uint32_t>(std::stoul(r.at("id.resp_p")))};
}

struct ZeekCompare {
  bool last_reply = false;  // also compare each transaction's last reply
};

// Every Zeek smtp.log row is one transaction of the connection with the same
// endpoints, in order; rows without mailfrom and rcptto (a session that went
// to TLS before any MAIL) are sessions without transactions.
void ExpectMatchesZeekLog(const std::vector<SmtpSession>& sessions, const std::string& log,
                          ZeekCompare options = {}) {
  std::map<ConnKey, std::vector<ZeekRow>> by_conn;
  for (const ZeekRow& r : ReadZeekLog(log)) by_conn[KeyOf(r)].push_back(r);
  ASSERT_FALSE(by_conn.empty()) << log;

  std::map<ConnKey, const SmtpSession*> ours;
  for (const SmtpSession& s : sessions) ours[KeyOf(s)] = &s;
  EXPECT_EQ(ours.size(), by_conn.size()) << "connections in " << log;

  for (const auto& [key, rows] : by_conn) {
    SCOPED_TRACE(log + ": connection from " + std::get<0>(key) + ":" +
                 std::to_string(std::get<1>(key)));
    auto it = ours.find(key);
    ASSERT_NE(it, ours.end()) << "no SMTP event for this connection";
    const SmtpSession& s = *it->second;
    std::vector<const ZeekRow*> txn_rows;
    for (const ZeekRow& r : rows) {
      EXPECT_EQ(s.helo(), ZeekString(r.at("helo")));
      EXPECT_EQ(s.starttls(), r.at("tls") == "T");
      if (r.at("mailfrom") != "-" || r.at("rcptto") != "-") txn_rows.push_back(&r);
    }
    ASSERT_EQ(static_cast<size_t>(s.transactions_size()), txn_rows.size());
    for (size_t i = 0; i < txn_rows.size(); ++i) {
      const ZeekRow& r = *txn_rows[i];
      const SmtpTransaction& t = s.transactions(static_cast<int>(i));
      EXPECT_EQ(t.mail_from(), ZeekString(r.at("mailfrom"))) << "transaction " << i;
      // rcptto is a Zeek set: its order is not the order sent.
      EXPECT_THAT(Rcpts(t), UnorderedElementsAreArray(ZeekSet(r.at("rcptto"))))
          << "transaction " << i;
      if (options.last_reply) EXPECT_EQ(t.last_reply(), ZeekString(r.at("last_reply")));
    }
  }
}

TEST(SmtpGoldenTest, ZeekBasicTwoSessions) {
  // baselines/TESTCMD__basic.test.txt: zeek -b -r smtp.pcap
  const auto sessions = Sessions("pcap/zeek/smtp.pcap");
  ExpectMatchesZeekLog(sessions, "pcap/zeek/baselines/smtp.basic__smtp.log", {.last_reply = true});
  for (const SmtpSession& s : sessions) {
    EXPECT_EQ(s.outcome(), cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
    EXPECT_EQ(s.missing_bytes(), 0u);
    ASSERT_EQ(s.transactions_size(), 1);
    EXPECT_TRUE(s.transactions(0).data_sent());
    EXPECT_TRUE(s.transactions(0).data_accepted());
  }
}

TEST(SmtpGoldenTest, ZeekMailTransactionsInvalid) {
  // Four transactions, two of them refused; the second starts with a RCPT TO
  // without MAIL FROM (Zeek's weird "rcpt to missing mail from").
  const auto sessions = Sessions("pcap/zeek/smtp-mail-transactions-invalid.pcap");
  ExpectMatchesZeekLog(sessions, "pcap/zeek/baselines/smtp.mail-transactions-invalid__smtp.log",
                       {.last_reply = true});
  ASSERT_EQ(sessions.size(), 1u);
  // The first and last were accepted (Zeek's last_reply "250 OK id=..." for rows 1 and 4).
  const auto rows = ReadZeekLog("pcap/zeek/baselines/smtp.mail-transactions-invalid__smtp.log");
  ASSERT_EQ(rows.size(), 4u);
  ASSERT_EQ(sessions[0].transactions_size(), 4);
  for (int i = 0; i < 4; ++i) {
    const bool zeek_accepted = rows[i].at("last_reply").rfind("250 OK id=", 0) == 0;
    EXPECT_EQ(sessions[0].transactions(i).data_accepted(), zeek_accepted) << i;
  }
}

TEST(SmtpGoldenTest, ZeekOneSideOnly) {
  // baselines/TESTCMD__one-side.test.txt: only the client's packets exist.
  const auto sessions = Sessions("pcap/zeek/smtp-one-side-only.pcap");
  ExpectMatchesZeekLog(sessions, "pcap/zeek/baselines/smtp.one-side__smtp.log");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_TRUE(sessions[0].client_seen());
  EXPECT_FALSE(sessions[0].server_seen());
  for (const SmtpTransaction& t : sessions[0].transactions()) {
    EXPECT_TRUE(t.data_sent());
    EXPECT_FALSE(t.data_accepted());  // no server reply captured
  }
}

TEST(SmtpGoldenTest, ZeekAttachmentOverIpv6) {
  const auto sessions = Sessions("pcap/zeek/smtp-attachment-msg.pcap");
  ExpectMatchesZeekLog(sessions, "pcap/zeek/baselines/smtp.attachment-msg__smtp.log");
}

TEST(SmtpGoldenTest, ZeekStarttls) {
  const auto sessions = Sessions("pcap/zeek/smtp-starttls.pcap");
  ExpectMatchesZeekLog(sessions, "pcap/zeek/baselines/smtp.starttls__smtp.log");
  ASSERT_EQ(sessions.size(), 1u);
  // Zeek's last_reply for the session: "220 2.0.0 Ready to start TLS".
  const auto rows = ReadZeekLog("pcap/zeek/baselines/smtp.starttls__smtp.log");
  EXPECT_EQ(sessions[0].last_reply(), rows.at(0).at("last_reply"));
  EXPECT_TRUE(sessions[0].starttls());
  EXPECT_FALSE(sessions[0].implicit_tls());
}

TEST(SmtpGoldenTest, ZeekMultiAddr) {
  // No smtp.log baseline for this trace; intel.log (TESTCMD__intel-seen-smtp)
  // records the envelope recipient as seen.where == SMTP::IN_RCPT_TO.
  const auto sessions = Sessions("pcap/zeek/smtp-multi-addr.pcap");
  ASSERT_EQ(sessions.size(), 1u);
  std::vector<std::string> rcpt;
  for (const ZeekRow& r : ReadZeekLog("pcap/zeek/baselines/intel.seen.smtp__intel.log")) {
    if (r.at("seen.where") == "SMTP::IN_RCPT_TO") rcpt.push_back(r.at("seen.indicator"));
    EXPECT_EQ(sessions[0].client().ip(), r.at("id.orig_h"));
    EXPECT_EQ(std::to_string(sessions[0].client().port()), r.at("id.orig_p"));
  }
  ASSERT_EQ(sessions[0].transactions_size(), 1);
  EXPECT_THAT(Rcpts(sessions[0].transactions(0)), UnorderedElementsAreArray(rcpt));
  // Hand-checked (tshark -r smtp-multi-addr.pcap -q -z follow,tcp,ascii,0):
  // "MAIL From:<root@gras-os-desk.cern.ch> SIZE=695", "EHLO gras-os-desk.cern.ch",
  // the message queued with "250 2.6.0 ...". The To: header's name-addr forms
  // are message content, not envelope.
  EXPECT_EQ(sessions[0].transactions(0).mail_from(), "root@gras-os-desk.cern.ch");
  EXPECT_EQ(sessions[0].helo(), "gras-os-desk.cern.ch");
  EXPECT_TRUE(sessions[0].transactions(0).data_accepted());
}

// ------------------------------------------------------- suricata-verify --

struct SuricataTxn {
  const char* mail_from;
  std::vector<const char*> rcpt_to;
};

void ExpectSuricataTransactions(const std::vector<SmtpSession>& sessions,
                                const std::vector<SuricataTxn>& expected) {
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_EQ(static_cast<size_t>(sessions[0].transactions_size()), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const SmtpTransaction& t = sessions[0].transactions(static_cast<int>(i));
    EXPECT_EQ(t.mail_from(), StripBrackets(expected[i].mail_from)) << i;
    std::vector<std::string> want;
    for (const char* r : expected[i].rcpt_to) want.push_back(StripBrackets(r));
    EXPECT_EQ(Rcpts(t), want) << i;  // smtp.rcpt_to[n] is in order sent
  }
}

TEST(SmtpGoldenTest, SuricataMultiMailAccept) {
  // suricata-verify/firewall_ruletype-firewall-135-smtp-multi-mail-accept/test.yaml:
  // Message 1 alice -> bob; Message 2 bob -> alice; Message 3 alice -> bob, alice.
  const auto sessions = Sessions(
      "pcap/suricata-verify/firewall_ruletype-firewall-135-smtp-multi-mail-accept/"
      "smtp-multi-mail.pcap");
  ExpectSuricataTransactions(sessions, {{"<alice@example.com>", {"<bob@example.com>"}},
                                        {"<bob@example.com>", {"<alice@example.com>"}},
                                        {"<alice@example.com>",
                                         {"<bob@example.com>", "<alice@example.com>"}}});
  for (const SmtpTransaction& t : sessions.at(0).transactions()) EXPECT_TRUE(t.data_accepted());
}

TEST(SmtpGoldenTest, SuricataTwoRcpt) {
  // suricata-verify/firewall_ruletype-firewall-125-smtp-all-rcpts-required-drop/test.yaml:
  // smtp.mail_from <alice@example.com>; rcpt_to[0] <bob@example.com>, [1] <alice@example.com>.
  const auto sessions = Sessions(
      "pcap/suricata-verify/firewall_ruletype-firewall-125-smtp-all-rcpts-required-drop/"
      "two-rcpt.pcap");
  ExpectSuricataTransactions(
      sessions, {{"<alice@example.com>", {"<bob@example.com>", "<alice@example.com>"}}});
}

TEST(SmtpGoldenTest, SuricataPipelining) {
  // suricata-verify/smtp-pipelining/test.yaml: one smtp event,
  // mail_from <username@domain.com>, rcpt_to[0] <john.doe@example.com>, PARSE_DONE.
  const auto sessions = Sessions("pcap/suricata-verify/smtp-pipelining/input.pcap");
  ExpectSuricataTransactions(sessions, {{"<username@domain.com>", {"<john.doe@example.com>"}}});
  EXPECT_TRUE(sessions.at(0).transactions(0).data_accepted());
  EXPECT_EQ(sessions.at(0).transactions(0).rcpt_accepted(), 1u);
}

TEST(SmtpGoldenTest, SuricataRsetTwoBdatMails) {
  // suricata-verify/smtp-rset/README.md: "The client sends 2 mails (with BDAT)
  // in one connection with RSET in between"; test.yaml: no BDAT-length alert.
  // Envelope hand-checked (tshark follow): both username@domain.com -> john.doe@example.com.
  const auto sessions = Sessions("pcap/suricata-verify/smtp-rset/input.pcap");
  ExpectSuricataTransactions(sessions, {{"username@domain.com", {"john.doe@example.com"}},
                                        {"username@domain.com", {"john.doe@example.com"}}});
  for (const SmtpTransaction& t : sessions.at(0).transactions()) {
    EXPECT_TRUE(t.data_sent());
    EXPECT_TRUE(t.data_accepted());
  }
}

TEST(SmtpGoldenTest, SuricataBug3616) {
  // suricata-verify/smtp/test.yaml and smtp-md5/test.yaml (pcap ../bug-3616-smtp/input.pcap):
  // one smtp event, mail_from <gurpartap@patriots.in>, rcpt_to[0] <raj_deol2002in@yahoo.co.in>.
  // smtp-eve/test.yaml adds src 10.10.1.4:1470, dest 74.53.140.153:25, smtp.helo GP.
  const auto sessions = Sessions("pcap/suricata-verify/bug-3616-smtp/input.pcap");
  ExpectSuricataTransactions(sessions,
                             {{"<gurpartap@patriots.in>", {"<raj_deol2002in@yahoo.co.in>"}}});
  const SmtpSession& s = sessions.at(0);
  EXPECT_EQ(s.client().ip(), "10.10.1.4");
  EXPECT_EQ(s.client().port(), 1470u);
  EXPECT_EQ(s.server().ip(), "74.53.140.153");
  EXPECT_EQ(s.server().port(), 25u);
  EXPECT_EQ(s.helo(), "GP");
  EXPECT_EQ(s.outcome(), cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
}

// ----------------------------------------------------------------- Arkime --

const google::protobuf::Value& Field(const google::protobuf::Value& v, const std::string& path) {
  static const google::protobuf::Value kNull;
  const google::protobuf::Value* cur = &v;
  for (absl::string_view name : absl::StrSplit(path, '.')) {
    const auto& fields = cur->struct_value().fields();
    auto it = fields.find(std::string(name));
    if (it == fields.end()) return kNull;
    cur = &it->second;
  }
  return *cur;
}

std::vector<std::string> Strings(const google::protobuf::Value& list) {
  std::vector<std::string> out;
  for (const auto& v : list.list_value().values()) out.push_back(v.string_value());
  return out;
}

class ArkimeGoldenTest : public ::testing::TestWithParam<const char*> {};

// Arkime's session record: email.src / email.dst (envelope and header
// addresses, lower-cased, de-duplicated), email.smtpHello, the endpoints, and
// client.bytes / server.bytes (TCP payload bytes each way).
TEST_P(ArkimeGoldenTest, MatchesArkimeSessionRecord) {
  const std::string name = GetParam();
  google::protobuf::Value oracle;
  const std::string json = ReadFileOrDie(TestDataPath("pcap/arkime/" + name + ".test.json"));
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &oracle).ok());
  const auto& records = Field(oracle, "sessions3").list_value().values();
  ASSERT_EQ(records.size(), 1);
  const google::protobuf::Value& body = Field(records[0], "body");

  const auto sessions = Sessions("pcap/arkime/" + name + ".pcap");
  ASSERT_EQ(sessions.size(), 1u);
  const SmtpSession& s = sessions[0];
  EXPECT_EQ(s.client().ip(), Field(body, "source.ip").string_value());
  EXPECT_EQ(s.client().port(), Field(body, "source.port").number_value());
  EXPECT_EQ(s.server().ip(), Field(body, "destination.ip").string_value());
  EXPECT_EQ(s.server().port(), Field(body, "destination.port").number_value());
  EXPECT_EQ(s.client_bytes(), Field(body, "client.bytes").number_value());
  EXPECT_EQ(s.server_bytes(), Field(body, "server.bytes").number_value());

  std::set<std::string> from, to;
  for (const SmtpTransaction& t : s.transactions()) {
    from.insert(absl::AsciiStrToLower(t.mail_from()));
    for (const std::string& r : t.rcpt_to()) to.insert(absl::AsciiStrToLower(r));
  }
  EXPECT_THAT(from, UnorderedElementsAreArray(Strings(Field(body, "email.src"))));
  EXPECT_THAT(to, UnorderedElementsAreArray(Strings(Field(body, "email.dst"))));
  const auto hello = Strings(Field(body, "email.smtpHello"));
  if (hello.empty()) {
    EXPECT_EQ(s.helo(), "");  // e.g. smtp-nospaces: "HELO" without a name
  } else {
    EXPECT_EQ(s.helo(), hello[0]);
  }
}

INSTANTIATE_TEST_SUITE_P(Captures, ArkimeGoldenTest,
                         ::testing::Values("smtp-nospaces", "smtp-data-250", "smtp-data-521",
                                           "smtp-rcpt-553", "smtp-originating", "smtp-zip"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

TEST(SmtpGoldenTest, ArkimeRcpt553IsRefusedAndData521NotAccepted) {
  // smtp-rcpt-553: "553 5.7.1 ... Sender address rejected: not logged in" to the
  // RCPT (tshark follow); smtp-data-521: the message refused with 521 after DATA.
  auto s = Sessions("pcap/arkime/smtp-rcpt-553.pcap");
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].transactions_size(), 1);
  EXPECT_EQ(s[0].transactions(0).rcpt_accepted(), 0u);
  EXPECT_EQ(s[0].transactions(0).last_reply_code(), 553u);
  s = Sessions("pcap/arkime/smtp-data-521.pcap");
  ASSERT_EQ(s.size(), 1u);
  ASSERT_GE(s[0].transactions_size(), 1);
  EXPECT_TRUE(s[0].transactions(0).data_sent());
  EXPECT_FALSE(s[0].transactions(0).data_accepted());
  s = Sessions("pcap/arkime/smtp-data-250.pcap");
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].transactions_size(), 1);
  EXPECT_TRUE(s[0].transactions(0).data_accepted());
}

}  // namespace
}  // namespace cleansweep::testing
