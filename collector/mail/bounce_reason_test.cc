// Diagnostic texts from the sisimai bounces in tests/testdata/eml/sisimai;
// the expected reason, reply code and status are the peer's
// (EXPECTED.from-p5-sisimai-tests.tsv).
#include "collector/mail/bounce_reason.h"

#include "gtest/gtest.h"

namespace cleansweep::collector::mail {
namespace {

TEST(BounceReasonTest, SisimaiDiagnostics) {
  struct Case {
    const char* file;
    const char* text;
    BounceReason reason;
    int code;
    const char* status;
  };
  const Case cases[] = {
      {"lhost-barracuda-01", "550 5.7.1 Message content rejected, UBE, id=00000-22-225",
       BounceReason::kSpamDetected, 550, "5.7.1"},
      {"lhost-postfix-39",
       "host mta.example.com[192.0.2.225] said: 554\n    5.6.0 This message has been scored as "
       "spam with a probability of more than\n    90% (in reply to end of DATA command)",
       BounceReason::kSpamDetected, 554, "5.6.0"},
      {"lhost-exim-55",
       "host neko.nyaan.example.com [192.0.2.222]: 554 5.7.0 Reject, id=22222-22 "
       "NekoNyaan-2y:2 - SPAM. See http://neko.nyaan.example.com/block",
       BounceReason::kSpamDetected, 554, "5.7.0"},
      {"lhost-postfix-58",
       "550-5.7.1 [192.0.2.22      18] Our system has\n    detected that this message is "
       "550-5.7.1 likely suspicious due to the very\n    low reputation of the sending IP "
       "550-5.7.1 address.",
       BounceReason::kBadReputation, 550, "5.7.1"},
      {"lhost-dragonfly-25",
       "550 5.7.0 <virusdetected@libsisimai.net>: Recipient address rejected: Virus detected.",
       BounceReason::kVirusDetected, 550, "5.7.0"},
      {"rhost-mimecast-02",
       "554 email rejected due to security policies -\n    MCSpamSignature.sa.2.2",
       BounceReason::kVirusDetected, 554, ""},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyRejectionText(c.text), c.reason) << c.file;
    const SmtpReply reply = FindSmtpReply(c.text);
    EXPECT_EQ(reply.code, c.code) << c.file;
    EXPECT_EQ(reply.status, c.status) << c.file;
  }
}

TEST(BounceReasonTest, NeutralTextAndNames) {
  EXPECT_EQ(ClassifyRejectionText("550 5.1.1 <a@b>: Recipient address rejected: User unknown"),
            BounceReason::kUnknown);
  EXPECT_EQ(BounceReasonName(BounceReason::kVirusDetected), "virusdetected");
  EXPECT_EQ(BounceReasonName(BounceReason::kUnknown), "");
}

TEST(BounceReasonTest, ReplyCodesAreNotReadOutOfAddresses) {
  const SmtpReply r = FindSmtpReply("host mx[192.0.2.250] v1.2.3 said nothing");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.status, "");
  const std::string text = "did not like our RCPT TO:\n550 5.7.0 <x>: rejected";
  EXPECT_EQ(FindReplyWithStatus(text), text.find("550"));
  EXPECT_EQ(FindReplyWithStatus("code 550 only"), absl::string_view::npos);
}

}  // namespace
}  // namespace cleansweep::collector::mail
