#include "agent/smtp/smtp_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::testing::ElementsAre;

// Feeds `chunks` one after another and collects lines ("!" marks too-long).
std::vector<std::string> Lines(LineAssembler& a, const std::vector<std::string>& chunks) {
  std::vector<std::string> out;
  for (const std::string& c : chunks) {
    absl::string_view data = c;
    absl::string_view line;
    while (true) {
      auto r = a.Next(&data, &line);
      if (r == LineAssembler::Result::kNeedMore) break;
      out.push_back(r == LineAssembler::Result::kLine ? std::string(line) : "!");
    }
    EXPECT_TRUE(data.empty());
  }
  return out;
}

TEST(LineAssemblerTest, SplitsCrlfAndBareLf) {
  LineAssembler a;
  EXPECT_THAT(Lines(a, {"HELO x\r\nMAIL FROM:<a@b>\nRCPT"}),
              ElementsAre("HELO x", "MAIL FROM:<a@b>"));
  EXPECT_EQ(a.pending_bytes(), 4u);
  EXPECT_THAT(Lines(a, {" TO:<c@d>\r", "\n"}), ElementsAre("RCPT TO:<c@d>"));
}

TEST(LineAssemblerTest, LineSplitAcrossManyChunks) {
  LineAssembler a;
  EXPECT_THAT(Lines(a, {"M", "A", "IL FROM:", "<x@y>\r", "\nQUIT\r\n"}),
              ElementsAre("MAIL FROM:<x@y>", "QUIT"));
}

TEST(LineAssemblerTest, OverLongLineIsReportedOnceAndSkipped) {
  LineAssembler a(10);
  EXPECT_THAT(Lines(a, {"0123456789ABC", "DEF", "GH\r\nNOOP\r\n"}), ElementsAre("!", "NOOP"));
  EXPECT_THAT(Lines(a, {std::string(30, 'x') + "\r\nQUIT\r\n"}), ElementsAre("!", "QUIT"));
  // Exactly at the limit is fine.
  EXPECT_THAT(Lines(a, {"0123456789\r\n"}), ElementsAre("0123456789"));
}

TEST(LineAssemblerTest, ResyncDropsTheFragmentUpToTheNextLine) {
  LineAssembler a;
  EXPECT_THAT(Lines(a, {"MAIL FR"}), ElementsAre());
  a.Resync();
  EXPECT_THAT(Lines(a, {"OM:<lost@x>\r\nRCPT TO:<y@z>\r\n"}), ElementsAre("RCPT TO:<y@z>"));
}

TEST(ParseCommandTest, VerbsAreCaseInsensitive) {
  EXPECT_EQ(ParseCommand("helo client.example.com").verb, SmtpVerb::kHelo);
  EXPECT_EQ(ParseCommand("EhLo x").verb, SmtpVerb::kEhlo);
  EXPECT_EQ(ParseCommand("data").verb, SmtpVerb::kData);
  EXPECT_EQ(ParseCommand("RSET").verb, SmtpVerb::kRset);
  EXPECT_EQ(ParseCommand("StartTLS").verb, SmtpVerb::kStarttls);
  EXPECT_EQ(ParseCommand("quit").verb, SmtpVerb::kQuit);
  EXPECT_EQ(ParseCommand("AUTH PLAIN AGFAYg==").verb, SmtpVerb::kAuth);
  EXPECT_EQ(ParseCommand("noop").verb, SmtpVerb::kNoop);
  EXPECT_EQ(ParseCommand("VRFY bob").verb, SmtpVerb::kUnknown);
  EXPECT_EQ(ParseCommand("Hello, Alice (2)").verb, SmtpVerb::kNone);
  EXPECT_EQ(ParseCommand("").verb, SmtpVerb::kNone);
  EXPECT_EQ(ParseCommand(".").verb, SmtpVerb::kNone);
}

TEST(ParseCommandTest, HeloArgumentIsKeptVerbatim) {
  SmtpCommand c = ParseCommand("EHLO [192.168.133.100]  ");
  EXPECT_EQ(c.verb, SmtpVerb::kEhlo);
  EXPECT_EQ(c.argument, "[192.168.133.100]");
  EXPECT_EQ(ParseCommand("HELO").argument, "");
}

struct AddressCase {
  const char* line;
  const char* address;
};

TEST(ParseCommandTest, MailFromAddressForms) {
  const AddressCase cases[] = {
      {"MAIL FROM:<gurpartap@patriots.in>", "gurpartap@patriots.in"},
      {"MAIL FROM:<a@b> SIZE=695", "a@b"},
      {"mail from: <a@b>", "a@b"},
      {"mail FROM:<robin@icir.org> size=9030", "robin@icir.org"},
      {"MAIL FROM:random@example.com", "random@example.com"},
      {"MAIL FROM: <12345678@aol.com>", "12345678@aol.com"},
      {"MAIL FROM:a@b SIZE=10", "a@b"},
      {"MAIL FROM :<x@y>", "x@y"},
      {"MAIL FROM:\"Name\" <n@example.com>", "n@example.com"},
      {"MAIL FROM:Name <n@example.com>", "n@example.com"},
      {"MAIL FROM:<@relay.a,@relay.b:user@host>", "user@host"},
      {"MAIL FROM:<\"odd>local\"@host>", "\"odd>local\"@host"},
      {"MAIL FROM:<a@b", "a@b"},
      {"MAIL FROM:<Bob@Example.ORG>", "Bob@Example.ORG"},
  };
  for (const AddressCase& tc : cases) {
    SmtpCommand c = ParseCommand(tc.line);
    EXPECT_EQ(c.verb, SmtpVerb::kMail) << tc.line;
    EXPECT_TRUE(c.has_address) << tc.line;
    EXPECT_EQ(c.address, tc.address) << tc.line;
  }
}

TEST(ParseCommandTest, NullSender) {
  SmtpCommand c = ParseCommand("MAIL FROM:<> BODY=8BITMIME");
  EXPECT_TRUE(c.has_address);
  EXPECT_EQ(c.address, "");
}

TEST(ParseCommandTest, RcptToForms) {
  SmtpCommand c = ParseCommand("RCPT TO:<raj_deol2002in@yahoo.co.in>");
  EXPECT_EQ(c.verb, SmtpVerb::kRcpt);
  EXPECT_EQ(c.address, "raj_deol2002in@yahoo.co.in");
  EXPECT_EQ(ParseCommand("rcpt to: <x@y> NOTIFY=NEVER").address, "x@y");
  EXPECT_EQ(ParseCommand("RCPT TO:reciever@example.com").address, "reciever@example.com");
  EXPECT_EQ(ParseCommand("RCPT TO:<Postmaster>").address, "Postmaster");
}

TEST(ParseCommandTest, MailWithoutFromHasNoAddress) {
  EXPECT_FALSE(ParseCommand("MAIL").has_address);
  EXPECT_FALSE(ParseCommand("MAIL <a@b>").has_address);
  EXPECT_FALSE(ParseCommand("MAIL FROM:").has_address);
  EXPECT_FALSE(ParseCommand("RCPT FROM:<a@b>").has_address);
}

TEST(ParseCommandTest, Bdat) {
  SmtpCommand c = ParseCommand("BDAT 11 LAST");
  EXPECT_TRUE(c.bdat_valid);
  EXPECT_EQ(c.bdat_size, 11u);
  EXPECT_TRUE(c.bdat_last);
  c = ParseCommand("bdat 4096");
  EXPECT_TRUE(c.bdat_valid);
  EXPECT_FALSE(c.bdat_last);
  EXPECT_FALSE(ParseCommand("BDAT").bdat_valid);
  EXPECT_FALSE(ParseCommand("BDAT x LAST").bdat_valid);
  EXPECT_FALSE(ParseCommand("BDAT 99999999999999999999999").bdat_valid);
}

TEST(ParseReplyLineTest, SingleAndMultiLine) {
  SmtpReplyLine r = ParseReplyLine("250-mail.example.com Hello");
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.code, 250u);
  EXPECT_TRUE(r.continuation);
  EXPECT_EQ(r.text, "mail.example.com Hello");
  r = ParseReplyLine("354 End data with <CR><LF>.<CR><LF>");
  EXPECT_EQ(r.code, 354u);
  EXPECT_FALSE(r.continuation);
  r = ParseReplyLine("334 ");
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.text, "");
  r = ParseReplyLine("250");
  EXPECT_TRUE(r.valid);
  EXPECT_FALSE(r.continuation);
  EXPECT_FALSE(ParseReplyLine("25").valid);
  EXPECT_FALSE(ParseReplyLine("2500 x").valid);
  EXPECT_FALSE(ParseReplyLine("abc def").valid);
}

TEST(LooksLikeTlsRecordTest, ClientHello) {
  EXPECT_TRUE(LooksLikeTlsRecord(absl::string_view("\x16\x03\x01\x02\x00", 5)));
  EXPECT_FALSE(LooksLikeTlsRecord("EHLO"));
  EXPECT_FALSE(LooksLikeTlsRecord(absl::string_view("\x16", 1)));
}

}  // namespace
}  // namespace cleansweep::agent
