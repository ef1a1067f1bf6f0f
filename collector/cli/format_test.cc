#include "collector/cli/format.h"

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

cleansweep::v1::Event SmtpEvent() {
  cleansweep::v1::Event e;
  e.set_sequence(7);
  e.mutable_time()->set_seconds(1700000000);
  auto* s = e.mutable_smtp();
  s->mutable_client()->set_ip("10.0.0.5");
  s->mutable_client()->set_port(1234);
  s->mutable_server()->set_ip("1.2.3.4");
  s->mutable_server()->set_port(25);
  s->set_outcome(cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
  auto* t = s->add_transactions();
  t->set_mail_from("a@b");
  t->add_rcpt_to("x@y");
  t->add_rcpt_to("z@y");
  t->set_rcpt_overflow(1);
  return e;
}

TEST(FormatTest, SmtpSummaryShowsFlowSenderAndRecipientCount) {
  EXPECT_EQ(EventSummary(SmtpEvent()),
            "smtp 10.0.0.5:1234 \u2192 1.2.3.4:25 from=a@b rcpt=3 established");
}

TEST(FormatTest, ControlCharactersFromTheWireAreShownEscaped) {
  cleansweep::v1::Event e = SmtpEvent();
  // ESC [ 2 J clears a terminal; U+009B (C2 9B) is the 8-bit CSI; é stays.
  e.mutable_smtp()->mutable_transactions(0)->set_mail_from("a\x1b[2J\xc2\x9b\\b@\xc3\xa9.example");
  EXPECT_EQ(EventSummary(e),
            "smtp 10.0.0.5:1234 \u2192 1.2.3.4:25 from=a\\x1b[2J\\xc2\\x9b\\x5cb@\xc3\xa9.example rcpt=3 "
            "established");
}

TEST(FormatTest, DnsAndWormSummaries) {
  cleansweep::v1::Event d;
  auto* q = d.mutable_dns();
  q->mutable_client()->set_ip("2001:db8::1");
  q->mutable_client()->set_port(5353);
  q->mutable_server()->set_ip("192.0.2.53");
  q->mutable_server()->set_port(53);
  q->set_qtype(15);
  q->set_qtype_name("MX");
  q->set_name("example.com");
  q->set_answered(true);
  q->set_rcode_name("NOERROR");
  q->add_mx()->set_exchange("mx.example.com");
  EXPECT_EQ(EventSummary(d),
            "dns [2001:db8::1]:5353 \u2192 192.0.2.53:53 MX example.com NOERROR mx=1");

  cleansweep::v1::Event w;
  auto* c = w.mutable_worm_port();
  c->mutable_client()->set_ip("10.0.0.9");
  c->mutable_client()->set_port(40000);
  c->mutable_server()->set_ip("198.51.100.7");
  c->mutable_server()->set_port(445);
  c->set_transport(cleansweep::v1::TRANSPORT_TCP);
  c->set_outcome(cleansweep::v1::CONNECTION_OUTCOME_REFUSED);
  c->set_attempts(3);
  EXPECT_EQ(EventSummary(w),
            "worm_port tcp 10.0.0.9:40000 \u2192 198.51.100.7:445 refused attempts=3");
}

TEST(FormatTest, EventTableHasHeaderAndRow) {
  StoredEvent se{"ws-1", absl::FromUnixSeconds(1700000001), SmtpEvent()};
  std::string table = EventTable({se});
  EXPECT_THAT(table, StartsWith("TIME"));
  EXPECT_THAT(table, HasSubstr("2023-11-14T22:13:20Z"));
  EXPECT_THAT(table, HasSubstr("ws-1"));
  EXPECT_THAT(table, HasSubstr("smtp 10.0.0.5:1234"));
}

TEST(FormatTest, EventJsonLineRoundTripsTheEvent) {
  StoredEvent se{"ws-\"1\"", absl::FromUnixSeconds(1700000001), SmtpEvent()};
  std::string line = EventJsonLine(se);
  EXPECT_THAT(line, StartsWith("{\"agentId\":\"ws-\\\"1\\\"\",\"receivedTime\":\"2023-11-14T22:13:21Z\",\"event\":{"));
  // Pull the event object back out through protobuf's JSON parser.
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  EXPECT_EQ(parsed.fields().at("agentId").string_value(), "ws-\"1\"");
  std::string event_json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(parsed.fields().at("event"),
                                                          &event_json)
                  .ok());
  cleansweep::v1::Event back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(event_json, &back).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(back, SmtpEvent()));
}

TEST(FormatTest, JsonQuoteEscapesControlCharacters) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST(FormatTest, AgentsShowWhetherTheirKeyIsEnrolledOrRevoked) {
  AgentSummary a;
  a.identity.agent_id = "ws-1";
  a.first_seen = a.last_seen = absl::FromUnixSeconds(1795000000);  // 2026-11-18T11:06:40Z
  AgentCredential c;
  c.agent_id = "ws-1";
  c.enrolled_at = absl::FromUnixSeconds(1795000000);
  a.credential = c;
  EXPECT_NE(AgentTable({a}).find("ws-1                  enrolled"), std::string::npos)
      << AgentTable({a});
  EXPECT_NE(AgentJsonLine(a).find("\"enrolledAt\":\"2026-11-18T11:06:40Z\""), std::string::npos);
  EXPECT_EQ(AgentJsonLine(a).find("revokedAt"), std::string::npos);
  a.credential->revoked_at = absl::FromUnixSeconds(1795000060);
  EXPECT_NE(AgentTable({a}).find("ws-1                  revoked"), std::string::npos);
  EXPECT_NE(AgentJsonLine(a).find("\"revokedAt\":\"2026-11-18T11:07:40Z\""), std::string::npos)
      << AgentJsonLine(a);
}

}  // namespace
}  // namespace cleansweep::collector
