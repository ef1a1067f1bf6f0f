#include "agent/smtp/smtp_dialogue.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::testing::ElementsAre;

class SmtpDialogueTest : public ::testing::Test {
 protected:
  SmtpDialogue d_{SmtpDialogueLimits(), &anomalies_};
  AnomalyCounters anomalies_;
  int64_t t_ = 1'000'000;

  void C(absl::string_view s) { d_.OnClientData(s, t_++); }
  void S(absl::string_view s) { d_.OnServerData(s, t_++); }
  const cleansweep::v1::SmtpSession& session() { return d_.session(); }
  std::vector<std::string> Rcpts(int i) {
    const auto& r = session().transactions(i).rcpt_to();
    return std::vector<std::string>(r.begin(), r.end());
  }
};

TEST_F(SmtpDialogueTest, PlainDialogueWithOneTransaction) {
  S("220 mx.example.com ESMTP\r\n");
  C("EHLO client.example.org\r\n");
  S("250-mx.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
  C("MAIL FROM:<alice@example.org> SIZE=100\r\n");
  S("250 2.1.0 Ok\r\n");
  C("RCPT TO:<bob@example.com>\r\n");
  S("250 2.1.5 Ok\r\n");
  C("RCPT TO:<nobody@example.com>\r\n");
  S("550 5.1.1 unknown\r\n");
  C("DATA\r\n");
  S("354 go ahead\r\n");
  C("From: alice\r\nMAIL FROM:<not-a-command@x>\r\nRCPT TO:<evil@x>\r\n\r\nbody\r\n.\r\n");
  S("250 2.0.0 queued as 1234\r\n");
  C("QUIT\r\n");
  S("221 bye\r\n");

  EXPECT_EQ(session().helo_command(), "EHLO");
  EXPECT_EQ(session().helo(), "client.example.org");
  ASSERT_EQ(session().transactions_size(), 1);
  const auto& t = session().transactions(0);
  EXPECT_EQ(t.mail_from(), "alice@example.org");
  EXPECT_THAT(Rcpts(0), ElementsAre("bob@example.com", "nobody@example.com"));
  EXPECT_EQ(t.rcpt_accepted(), 1u);
  EXPECT_TRUE(t.data_sent());
  EXPECT_TRUE(t.data_accepted());
  EXPECT_EQ(t.last_reply_code(), 250u);
  EXPECT_EQ(t.last_reply(), "250 2.0.0 queued as 1234");
  EXPECT_EQ(session().last_reply_code(), 221u);
  EXPECT_EQ(session().last_reply(), "221 bye");
  EXPECT_EQ(anomalies_.Total(), 0u);
}

TEST_F(SmtpDialogueTest, PipelinedCommandsAndContentMatchRepliesInOrder) {
  // suricata-verify smtp-pipelining: MAIL, RCPT, DATA and the message in one
  // segment, the four replies later in one segment.
  S("220 mx ESMTP\r\n");
  C("EHLO ehlo.fr\r\n");
  S("250-mx\r\n250 PIPELINING\r\n");
  C("MAIL FROM:<username@domain.com>\r\nRCPT TO:<john.doe@example.com>\r\nDATA\r\n"
    "This is a test\r\n.\r\n");
  S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data\r\n250 2.0.0 Ok: queued\r\n");
  ASSERT_EQ(session().transactions_size(), 1);
  const auto& t = session().transactions(0);
  EXPECT_EQ(t.mail_from(), "username@domain.com");
  EXPECT_THAT(Rcpts(0), ElementsAre("john.doe@example.com"));
  EXPECT_EQ(t.rcpt_accepted(), 1u);
  EXPECT_TRUE(t.data_accepted());
  EXPECT_EQ(t.last_reply(), "250 2.0.0 Ok: queued");
}

TEST_F(SmtpDialogueTest, PipelinedRejectionsAreAttributedToTheRightCommand) {
  S("220 mx\r\n");
  C("MAIL FROM:<a@x>\r\nRCPT TO:<r1@y>\r\nRCPT TO:<r2@y>\r\nRCPT TO:<r3@y>\r\n");
  S("250 ok\r\n250 ok\r\n");
  S("550 no\r\n250 ok\r\n");
  EXPECT_EQ(session().transactions(0).rcpt_accepted(), 2u);
  EXPECT_EQ(session().transactions(0).last_reply_code(), 250u);
}

TEST_F(SmtpDialogueTest, RsetAndSeveralTransactions) {
  S("220 mx\r\n");
  C("HELO a\r\n");
  S("250 hi\r\n");
  C("MAIL FROM:<one@x>\r\n");
  S("250 ok\r\n");
  C("RSET\r\n");
  S("250 reset\r\n");
  C("MAIL FROM:<two@x>\r\nRCPT TO:<r@y>\r\nDATA\r\n");
  S("250 ok\r\n250 ok\r\n354 go\r\n");
  C("hi\r\n.\r\n");
  S("250 queued\r\n");
  C("MAIL FROM:<three@x>\r\nRCPT TO:<s@y>\r\n");
  S("250 ok\r\n250 ok\r\n");
  ASSERT_EQ(session().transactions_size(), 3);
  EXPECT_EQ(session().transactions(0).mail_from(), "one@x");
  EXPECT_TRUE(session().transactions(0).rcpt_to().empty());
  EXPECT_FALSE(session().transactions(0).data_sent());
  EXPECT_EQ(session().transactions(1).mail_from(), "two@x");
  EXPECT_TRUE(session().transactions(1).data_accepted());
  EXPECT_EQ(session().transactions(2).mail_from(), "three@x");
  EXPECT_THAT(Rcpts(2), ElementsAre("s@y"));
  EXPECT_FALSE(session().transactions(2).data_sent());
}

TEST_F(SmtpDialogueTest, CommandsSplitAcrossSegments) {
  S("220 mx\r\n");
  C("MA");
  C("IL FR");
  C("OM:<split@x>\r");
  C("\nRC");
  C("PT TO:<r@y>\r\n");
  ASSERT_EQ(session().transactions_size(), 1);
  EXPECT_EQ(session().transactions(0).mail_from(), "split@x");
  EXPECT_THAT(Rcpts(0), ElementsAre("r@y"));
}

TEST_F(SmtpDialogueTest, ReplySplitAcrossSegments) {
  S("220 mx\r\n");
  C("MAIL FROM:<a@x>\r\nRCPT TO:<r@y>\r\n");
  S("250 o");
  S("k\r\n25");
  S("0 ok\r\n");
  EXPECT_EQ(session().transactions(0).rcpt_accepted(), 1u);
}

TEST_F(SmtpDialogueTest, OneSidedClientCaptureStillRecordsTheEnvelope) {
  // Zeek smtp-one-side-only.pcap: lower-case commands, no server side.
  C("ehlo enzo.icir.org\r\n");
  C("mail FROM:<robin@icir.org> size=9030\r\n");
  C("rcpt TO:<robin@icir.org>\r\n");
  C("data\r\n");
  C("From: robin@icir.org\r\nrcpt TO:<hidden@x>\r\n.\r\n");
  C("mail FROM:<robin@icir.org> size=9031\r\nrcpt TO:<rsommer@lbl.gov>\r\ndata\r\n");
  C("Subject: Hello2!\r\n\r\n.\r\nquit\r\n");
  EXPECT_EQ(session().helo(), "enzo.icir.org");
  ASSERT_EQ(session().transactions_size(), 2);
  EXPECT_THAT(Rcpts(0), ElementsAre("robin@icir.org"));
  EXPECT_THAT(Rcpts(1), ElementsAre("rsommer@lbl.gov"));
  EXPECT_TRUE(session().transactions(0).data_sent());
  EXPECT_FALSE(session().transactions(0).data_accepted());
  EXPECT_EQ(session().last_reply_code(), 0u);
}

TEST_F(SmtpDialogueTest, RefusedDataKeepsTheClientInCommandMode) {
  // Zeek smtp-mail-transactions-invalid.pcap, second part.
  S("220 mx\r\n");
  C("RCPT TO:<alice@example.org>\r\n");
  S("503 sender not yet given\r\n");
  C("DATA\r\n");
  S("503-All RCPT commands were rejected\r\n503 valid RCPT command must precede DATA\r\n");
  C("Hello, Alice (2)\r\n");
  S("500 unrecognized command\r\n");
  C("MAIL FROM:<bob@example.org>\r\n");
  S("250 OK\r\n");
  ASSERT_EQ(session().transactions_size(), 2);
  EXPECT_EQ(session().transactions(0).mail_from(), "");
  EXPECT_THAT(Rcpts(0), ElementsAre("alice@example.org"));
  EXPECT_TRUE(session().transactions(0).data_sent());
  EXPECT_FALSE(session().transactions(0).data_accepted());
  // The server answered the stray text line with 500 (as Zeek's last_reply shows).
  EXPECT_EQ(session().transactions(0).last_reply_code(), 500u);
  EXPECT_EQ(session().transactions(1).mail_from(), "bob@example.org");
  EXPECT_EQ(anomalies_.Get("smtp_rcpt_without_mail"), 1u);
}

TEST_F(SmtpDialogueTest, BdatChunksAreSkippedByByteCount) {
  S("220 mx\r\n");
  C("MAIL FROM:<a@x>\r\nRCPT TO:<r@y>\r\n");
  S("250 ok\r\n250 ok\r\n");
  // The chunk contains what would look like commands and no line ends.
  C("BDAT 26\r\nRCPT TO:<evil@z>\r\nQUIT\r\nxx");  // 18 + 6 + 2 bytes
  C("BDAT 4 LAST\r\nab\r\n");
  S("250 chunk\r\n250 queued\r\n");
  C("RSET\r\n");
  S("250 ok\r\n");
  ASSERT_EQ(session().transactions_size(), 1);
  EXPECT_THAT(Rcpts(0), ElementsAre("r@y"));
  EXPECT_TRUE(session().transactions(0).data_sent());
  EXPECT_TRUE(session().transactions(0).data_accepted());
  EXPECT_EQ(session().transactions(0).last_reply(), "250 queued");
}

TEST_F(SmtpDialogueTest, BdatChunkSplitAcrossSegments) {
  S("220 mx\r\n");
  C("MAIL FROM:<a@x>\r\nBDAT 10 LAST\r\n01234");
  C("56789MAIL FROM:<b@x>\r\n");
  ASSERT_EQ(session().transactions_size(), 2);
  EXPECT_EQ(session().transactions(1).mail_from(), "b@x");
}

TEST_F(SmtpDialogueTest, StarttlsStopsParsing) {
  S("220 mx\r\n");
  C("EHLO openssl.client.net\r\n");
  S("250-mx\r\n250 STARTTLS\r\n");
  C("STARTTLS\r\n");
  S("220 2.0.0 Ready to start TLS\r\n");
  C(absl::string_view("\x16\x03\x01\x00\x05MAIL FROM:<x@y>\r\n", 22));
  S(absl::string_view("\x16\x03\x03\x00\x10garbage\r\n", 14));
  EXPECT_TRUE(session().starttls());
  EXPECT_FALSE(session().implicit_tls());
  EXPECT_EQ(session().transactions_size(), 0);
  EXPECT_EQ(session().last_reply(), "220 2.0.0 Ready to start TLS");
}

TEST_F(SmtpDialogueTest, StarttlsRefusedKeepsParsing) {
  S("220 mx\r\n");
  C("STARTTLS\r\n");
  S("454 TLS not available\r\n");
  C("MAIL FROM:<x@y>\r\n");
  EXPECT_FALSE(session().starttls());
  EXPECT_EQ(session().transactions_size(), 1);
}

TEST_F(SmtpDialogueTest, ClientTlsRecordMeansImplicitTls) {
  C(absl::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 9));
  C("MAIL FROM:<x@y>\r\n");
  EXPECT_TRUE(session().implicit_tls());
  EXPECT_EQ(session().transactions_size(), 0);
}

TEST_F(SmtpDialogueTest, AuthContinuationLinesAreNotCommands) {
  S("220 mx\r\n");
  C("AUTH LOGIN\r\n");
  S("334 VXNlcm5hbWU6\r\n");
  C("RATA\r\n");  // base64 that happens to look like a word
  S("334 UGFzc3dvcmQ6\r\n");
  C("cGFzcw==\r\n");
  S("235 ok\r\n");
  C("MAIL FROM:<a@x>\r\n");
  S("250 ok\r\n");
  ASSERT_EQ(session().transactions_size(), 1);
  EXPECT_EQ(session().transactions(0).last_reply_code(), 250u);
  EXPECT_EQ(anomalies_.Get("smtp_unmatched_reply"), 0u);
}

TEST_F(SmtpDialogueTest, GapInContentEndsDataAtTheServerReply) {
  S("220 mx\r\n");
  C("MAIL FROM:<a@x>\r\nRCPT TO:<r@y>\r\nDATA\r\n");
  S("250 ok\r\n250 ok\r\n354 go\r\n");
  C("some content\r\n");
  d_.OnClientGap(100);  // the end of the message, dot included, was lost
  S("250 queued\r\n");
  C("MAIL FROM:<b@x>\r\n");
  ASSERT_EQ(session().transactions_size(), 2);
  EXPECT_TRUE(session().transactions(0).data_accepted());
  EXPECT_EQ(session().transactions(1).mail_from(), "b@x");
}

TEST_F(SmtpDialogueTest, GapInCommandsResynchronisesAtTheNextLine) {
  S("220 mx\r\n");
  C("MAIL FROM:<a@");
  d_.OnClientGap(10);
  C("tail>\r\nRCPT TO:<r@y>\r\n");
  ASSERT_EQ(session().transactions_size(), 1);
  EXPECT_EQ(session().transactions(0).mail_from(), "");
  EXPECT_THAT(Rcpts(0), ElementsAre("r@y"));
}

TEST_F(SmtpDialogueTest, DotStuffedLinesDoNotEndTheMessage) {
  C("MAIL FROM:<a@x>\r\nDATA\r\n");
  C("..\r\n.MAIL FROM:<no@x>\r\n.\r\nMAIL FROM:<b@x>\r\n");
  ASSERT_EQ(session().transactions_size(), 2);
  EXPECT_EQ(session().transactions(1).mail_from(), "b@x");
}

TEST_F(SmtpDialogueTest, BareLfLineEndings) {
  C("HELO x\nMAIL FROM:<a@x>\nRCPT TO:<r@y>\nDATA\nRCPT TO:<no@z>\n.\nQUIT\n");
  ASSERT_EQ(session().transactions_size(), 1);
  EXPECT_THAT(Rcpts(0), ElementsAre("r@y"));
}

TEST_F(SmtpDialogueTest, OverLongCommandLineIsCountedAndSkipped) {
  C("MAIL FROM:<" + std::string(10000, 'a') + ">\r\nMAIL FROM:<ok@x>\r\n");
  EXPECT_EQ(anomalies_.Get("smtp_line_too_long"), 1u);
  ASSERT_EQ(session().transactions_size(), 1);
  EXPECT_EQ(session().transactions(0).mail_from(), "ok@x");
}

TEST(SmtpDialogueLimitsTest, RecipientsAndTransactionsAreCapped) {
  AnomalyCounters anomalies;
  SmtpDialogueLimits limits;
  limits.max_rcpt_per_transaction = 2;
  limits.max_transactions = 2;
  SmtpDialogue d(limits, &anomalies);
  d.OnClientData("MAIL FROM:<a@x>\r\nRCPT TO:<1@y>\r\nRCPT TO:<2@y>\r\nRCPT TO:<3@y>\r\n", 1);
  d.OnClientData("MAIL FROM:<b@x>\r\nMAIL FROM:<c@x>\r\nRCPT TO:<4@y>\r\nMAIL FROM:<d@x>\r\n", 2);
  ASSERT_EQ(d.session().transactions_size(), 2);
  EXPECT_EQ(d.session().transactions(0).rcpt_to_size(), 2);
  EXPECT_EQ(d.session().transactions(0).rcpt_overflow(), 1u);
  EXPECT_EQ(d.session().transactions_overflow(), 2u);
}

TEST(SmtpDialogueLimitsTest, PendingQueueIsBounded) {
  AnomalyCounters anomalies;
  SmtpDialogueLimits limits;
  limits.max_pending_commands = 4;
  SmtpDialogue d(limits, &anomalies);
  for (int i = 0; i < 10; ++i) d.OnClientData("NOOP\r\n", i);
  EXPECT_EQ(anomalies.Get("smtp_pending_overflow"), 6u);
}

TEST_F(SmtpDialogueTest, CaptureStartingInsideAMessageKeepsRepliesAligned) {
  // Joined mid-message: content lines, the final dot, then real commands.
  C("Some body text here\r\nThis line looks like a verb\r\n.\r\n");
  S("250 queued\r\n");
  C("MAIL FROM:<next@x>\r\nRCPT TO:<r@y>\r\n");
  S("250 ok\r\n550 unknown user\r\n");
  ASSERT_EQ(session().transactions_size(), 1);
  EXPECT_EQ(session().transactions(0).mail_from(), "next@x");
  EXPECT_EQ(session().transactions(0).rcpt_accepted(), 0u);
  EXPECT_EQ(session().transactions(0).last_reply_code(), 550u);
}

TEST_F(SmtpDialogueTest, UnknownCommandsKeepPipelinedRepliesAligned) {
  S("220 mx\r\n");
  C("EHLO a\r\n");
  S("250 hi\r\n");
  C("MAIL FROM:<a@x>\r\nXFOO bar\r\nRCPT TO:<r@y>\r\n");
  S("250 ok\r\n502 unknown command\r\n250 ok\r\n");
  EXPECT_EQ(session().transactions(0).rcpt_accepted(), 1u);
}

TEST_F(SmtpDialogueTest, HeloKeptWhenALaterOneIsEmpty) {
  C("HELO first\r\nHELO\r\n");
  EXPECT_EQ(session().helo(), "first");
  C("EHLO second\r\n");
  EXPECT_EQ(session().helo_command(), "EHLO");
  EXPECT_EQ(session().helo(), "second");
}

TEST_F(SmtpDialogueTest, ImplicitTlsParsesNothing) {
  d_.SetImplicitTls();
  C("MAIL FROM:<a@x>\r\n");
  S("220 hi\r\n");
  EXPECT_TRUE(session().implicit_tls());
  EXPECT_EQ(session().transactions_size(), 0);
  EXPECT_EQ(session().last_reply_code(), 0u);
}

}  // namespace
}  // namespace cleansweep::agent
