// ParseComplaint on hand-built mails: what is refused and how the message
// says so, what is recovered with a warning, and how the original message
// is found in forwards and notices. The third-party oracles are in
// complaint_testdata_test.cc.
#include "collector/mail/complaint.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::mail {
namespace {

using ::testing::HasSubstr;

std::string Error(absl::string_view bytes) {
  absl::StatusOr<Complaint> c = ParseComplaint(bytes, "x.eml");
  return c.ok() ? "ok" : std::string(c.status().message());
}

TEST(ComplaintTest, NotAMail) {
  EXPECT_EQ(Error(""), "x.eml: not a mail message: the file is empty");
  EXPECT_EQ(Error("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
            "x.eml: not a mail message: no header block at the start (line 1 is not a "
            "\"Name: value\" header field)");
  EXPECT_EQ(Error("<?xml version=\"1.0\"?>\n<feedback></feedback>\n"),
            "x.eml: not a mail message: no header block at the start (line 1 is not a "
            "\"Name: value\" header field)");
  EXPECT_EQ(Error("From MAILER-DAEMON Thu Apr 29 23:34:45 2008\nhello world\n"),
            "x.eml: not a mail message: no header block at the start (line 2 is not a "
            "\"Name: value\" header field)");
  EXPECT_EQ(Error("Foo: bar\nBaz: 1\n\nbody\n"),
            "x.eml: not a mail message: the header block (lines 1-2) has none of From, Date, "
            "Received, Message-ID, Subject, To, Return-Path, MIME-Version");
}

TEST(ComplaintTest, Limits) {
  EXPECT_EQ(Error(std::string(kMaxComplaintBytes + 1, 'a')),
            "x.eml: 52428801 bytes; a complaint is read only up to 52428800 bytes");
  // A 40 MB header line is refused at its 64 KiB mark.
  std::string long_line = "From: a@example.com\nSubject: " + std::string(40 << 20, 'x') + "\n\n";
  EXPECT_EQ(Error(long_line), "x.eml: header line 2 longer than 65536 bytes");
  std::string mbox = "From a@b Thu Apr 29 23:34:45 2008\nX-Long: " + std::string(70000, 'y');
  EXPECT_EQ(Error(mbox), "x.eml: header line 2 longer than 65536 bytes");
  std::string many = "From: a@example.com\n";
  while (many.size() <= kMaxHeaderBlockBytes + 100)
    many += "Received: from a by b; 1 Jan 2020 00:00 +0000\n";
  EXPECT_EQ(Error(many),
            "x.eml: not a mail message: no end of the header block in the first 1048576 bytes");
}

TEST(ComplaintTest, CraftedBoundaryFloodIsRefusedBeforeParsing) {
  // A thousand nested multiparts, then two million "--" lines: GMime would
  // compare each line with each open boundary for minutes.
  std::string mail = "From: a@example.com\nMIME-Version: 1.0\n";
  for (int i = 0; i < 1000; ++i) {
    mail += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" +
            std::to_string(i) + "\n";
  }
  for (int i = 0; i < 2'000'000; ++i) mail += "--zz\n";
  EXPECT_EQ(Error(mail),
            "x.eml: too many MIME boundaries to check: 2001000 lines start with \"--\" and 1000 "
            "boundaries are declared (at most 50000000 line-boundary checks)");
}

TEST(ComplaintTest, CraftedAddressFieldsNeverReachGMimesAddressReader) {
  // GMime reads From/To/... into address lists while it parses: 40000
  // nested groups overflowed its stack, and "a,a,a,..." took minutes.
  std::string groups;
  for (int i = 0; i < 40000; ++i) groups += "a:";
  std::string list;
  for (int i = 0; i < 20000; ++i) list += "a,";
  const std::string inner = "From: " + groups + "\nTo: " + list + "\nSubject: inner\n\nbody\n";
  const std::string mail =
      // Folded, so no line passes the 64 KiB line limit.
      "From: Worm <worm@example.com>\n " + groups.substr(0, 40000) + "\n " + groups.substr(40000) +
      "\n"
      "Subject: outer\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
      "--b\nContent-Type: message/rfc822\n\n" +
      inner + "--b--\n";
  const auto start = absl::Now();
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "crafted.eml");
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(
      c->warnings,
      ::testing::IsSupersetOf(
          {"line 1: a From field of 80034 bytes with 40001 colons is not read as an "
           "address list (crafted or broken)",
           "line 11: a From field of 80007 bytes with 40001 colons is not read as an address "
           "list (crafted or broken)",
           "line 12: a To field of 40005 bytes with 1 colons is not read as an address list "
           "(crafted or broken)"}));
  // Our own reading still finds the mailbox of the top-level From.
  EXPECT_EQ(c->report.from_address, "worm@example.com");
  ASSERT_TRUE(c->original);
  EXPECT_EQ(c->original->subject, "inner");
  EXPECT_EQ(c->original->from_address, "");  // GMime kept it as a renamed plain header
}

TEST(ComplaintTest, PlainMailIsItsOwnOriginal) {
  const std::string mail =
      "Return-Path: <bounce@sender.example>\r\n"
      "Received: from mx.recipient.example (mx.recipient.example [192.0.2.10])\r\n"
      "\tby store.recipient.example with LMTP; Mon, 1 Jan 2024 10:00:05 +0000\r\n"
      "Authentication-Results: mx.recipient.example; spf=fail smtp.mailfrom=sender.example\r\n"
      "Received: from bot.example (dsl-1.isp.example [198.51.100.7])\r\n"
      "\tby mx.recipient.example with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000\r\n"
      "From: =?UTF-8?B?SsO8cmdlbg==?= <juergen@sender.example>\r\n"
      "To: victim@recipient.example\r\n"
      "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus =?UTF-8?B?S8O2bG4=?=\r\n"
      "Message-ID: <abc@sender.example>\r\n"
      "Date: Mon, 1 Jan 2024 09:59:00 +0000\r\n"
      "X-Originating-IP: [010.001.002.003]\r\n"
      "\r\n"
      "hello\r\n";
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "plain.eml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ComplaintKind::kPlainMail);
  ASSERT_TRUE(c->original);
  EXPECT_EQ(c->original_source, OriginalSource::kWholeFile);
  const MessageSummary& m = *c->original;
  EXPECT_EQ(m.from, "Jürgen <juergen@sender.example>");
  EXPECT_EQ(m.from_address, "juergen@sender.example");
  EXPECT_EQ(m.return_path, "bounce@sender.example");
  EXPECT_EQ(m.message_id, "abc@sender.example");
  EXPECT_EQ(m.subject, "Grüße aus Köln");
  ASSERT_TRUE(m.date);
  EXPECT_EQ(absl::ToUnixSeconds(*m.date), 1704103140);
  ASSERT_TRUE(m.x_originating_ip);
  EXPECT_EQ(m.x_originating_ip->ToString(), "10.1.2.3");
  ASSERT_EQ(m.hops.size(), 2u);
  EXPECT_EQ(m.hops[0].by, "store.recipient.example");
  EXPECT_EQ(m.hops[1].from_ip->ToString(), "198.51.100.7");
  ASSERT_EQ(m.auth_results.size(), 1u);
  EXPECT_EQ(m.auth_results[0].method, "spf");
  EXPECT_EQ(m.auth_results[0].received_above, 1);  // between the two hops
  EXPECT_TRUE(c->warnings.empty()) << c->warnings[0];
}

TEST(ComplaintTest, BrokenBoundaryIsAWarning) {
  const std::string mail =
      "From: a@example.com\n"
      "Subject: x\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/alternative; boundary=\"AAA\"\n"
      "\n"
      "--BBB\n"
      "Content-Type: text/plain\n"
      "\n"
      "hi\n"
      "--BBB--\n";
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "b.eml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ComplaintKind::kPlainMail);
  EXPECT_THAT(c->warnings,
              ::testing::Contains(
                  "line 4: multipart/alternative has no parts: its boundary \"AAA\" never appears "
                  "(broken MIME boundary); its content is not examined"));
}

TEST(ComplaintTest, ForwardedAttachment) {
  const std::string mail =
      "From: Abuse Desk <abuse@recipient.example>\n"
      "To: postmaster@ourcompany.example\n"
      "Subject: your company sent us a virus\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\n"
      "\n"
      "--b1\n"
      "Content-Type: text/plain\n"
      "\n"
      "See the attached message.\n"
      "--b1\n"
      "Content-Type: message/rfc822\n"
      "\n"
      "Received: from ws17 (ws17 [203.0.113.17]) by mx.recipient.example; "
      "1 Jan 2024 10:00:00 +0000\n"
      "From: ceo@ourcompany.example\n"
      "Subject: Re: your invoice\n"
      "Message-ID: <worm@ws17>\n"
      "\n"
      "body\n"
      "--b1--\n";
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "fwd.eml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ComplaintKind::kForwarded);
  EXPECT_EQ(c->original_source, OriginalSource::kAttachedMessage);
  ASSERT_TRUE(c->original);
  EXPECT_EQ(c->original->subject, "Re: your invoice");
  EXPECT_EQ(c->original->from_address, "ceo@ourcompany.example");
  ASSERT_EQ(c->original->hops.size(), 1u);
  EXPECT_EQ(c->original->hops[0].from_ip->ToString(), "203.0.113.17");
  EXPECT_EQ(c->report.subject, "your company sent us a virus");
}

TEST(ComplaintTest, ForwardedBounceIsReadAsTheBounce) {
  // "We got this bounce and it says you sent it": the attachment is a DSN
  // that carries the original in turn.
  const std::string bounce =
      "From: MAILER-DAEMON@mx.recipient.example\n"
      "Subject: Undelivered Mail Returned to Sender\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\n"
      "\n"
      "--d\n"
      "Content-Type: text/plain\n"
      "\n"
      "Your message could not be delivered.\n"
      "--d\n"
      "Content-Type: message/delivery-status\n"
      "\n"
      "Reporting-MTA: dns; mx.recipient.example\n"
      "\n"
      "Final-Recipient: rfc822; victim@elsewhere.example\n"
      "Action: failed\n"
      "Status: 5.0.0\n"
      "Diagnostic-Code: smtp; 550 5.7.1 Virus detected: W32.Mydoom\n"
      "--d\n"
      "Content-Type: message/rfc822\n"
      "\n"
      "Received: from ws17 (dsl.isp.example [198.51.100.7]) by mx.recipient.example; "
      "1 Jan 2024 10:00:00 +0000\n"
      "From: ceo@ourcompany.example\n"
      "Subject: invoice\n"
      "\n"
      "body\n"
      "--d--\n";
  const std::string mail =
      "From: Helpdesk <help@partner.example>\n"
      "Subject: Fwd: bounce\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"o\"\n"
      "\n"
      "--o\n"
      "Content-Type: text/plain\n"
      "\n"
      "We received the attached bounce.\n"
      "--o\n"
      "Content-Type: message/rfc822\n"
      "\n" +
      bounce + "--o--\n";
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "fwd-bounce.eml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ComplaintKind::kVirusNotice);
  EXPECT_EQ(c->reply.code, 550);
  EXPECT_EQ(c->reply.status, "5.7.1");
  ASSERT_TRUE(c->delivery);
  EXPECT_EQ(c->delivery->recipients[0].final_recipient, "victim@elsewhere.example");
  ASSERT_TRUE(c->original);
  EXPECT_EQ(c->original->from_address, "ceo@ourcompany.example");
  ASSERT_EQ(c->original->hops.size(), 1u);
  EXPECT_EQ(c->original->hops[0].from_ip->ToString(), "198.51.100.7");
  EXPECT_EQ(c->report.from_address, "help@partner.example");
  EXPECT_THAT(c->warnings, ::testing::Contains("the attached message is itself a virus_notice; the "
                                               "message it reports is used as the original"));
}

TEST(ComplaintTest, HeadersPastedIntoAHumanComplaint) {
  const std::string mail =
      "From: someone@recipient.example\n"
      "Subject: stop sending us viruses\n"
      "\n"
      "Hello, this came from your company:\n"
      "\n"
      "Received: from ws17 ([203.0.113.17]) by mx.recipient.example; 1 Jan 2024 10:00:00 +0000\n"
      "From: ceo@ourcompany.example\n"
      "Subject: invoice\n"
      "\n"
      "Regards\n";
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "pasted.eml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ComplaintKind::kForwarded);
  EXPECT_EQ(c->original_source, OriginalSource::kQuotedInText);
  ASSERT_TRUE(c->original);
  EXPECT_EQ(c->original->from_address, "ceo@ourcompany.example");
  ASSERT_EQ(c->original->hops.size(), 1u);
}

TEST(ComplaintTest, VirusNoticeFromAGateway) {
  const std::string mail =
      "From: MailScanner <antivirus@recipient.example>\n"
      "Auto-Submitted: auto-generated\n"
      "Subject: Warning: VIRUS (W32/Mydoom.A@mm) in mail from you\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"n\"\n"
      "\n"
      "--n\n"
      "Content-Type: text/plain\n"
      "\n"
      "Our virus scanner found W32/Mydoom.A@mm in a message from you.\n"
      "--n\n"
      "Content-Type: text/rfc822-headers\n"
      "\n"
      "Received: from ws17 (ws17 [203.0.113.17]) by mx.recipient.example; "
      "1 Jan 2024 10:00:00 +0000\n"
      "From: ceo@ourcompany.example\n"
      "--n--\n";
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "av.eml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ComplaintKind::kVirusNotice);
  EXPECT_EQ(c->reason, BounceReason::kVirusDetected);
  EXPECT_EQ(c->original_source, OriginalSource::kAttachedHeaders);
  ASSERT_TRUE(c->original);
  EXPECT_EQ(c->original->from_address, "ceo@ourcompany.example");
}

TEST(ComplaintTest, ReportWithoutTheOriginal) {
  const std::string mail =
      "From: fbl@isp.example\n"
      "Subject: abuse report\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=feedback-report; boundary=\"r\"\n"
      "\n"
      "--r\n"
      "Content-Type: text/plain\n"
      "\n"
      "an abuse report\n"
      "--r\n"
      "Content-Type: message/feedback-report\n"
      "\n"
      "Feedback-Type: abuse\n"
      "User-Agent: X/1\n"
      "Version: 1\n"
      "Source-IP: 2001:db8::25\n"
      "--r--\n";
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "arf.eml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kind, ComplaintKind::kFeedbackReport);
  ASSERT_TRUE(c->feedback);
  EXPECT_EQ(c->feedback->feedback_type, "abuse");
  ASSERT_TRUE(c->feedback->source_ip);
  EXPECT_EQ(c->feedback->source_ip->ToString(), "2001:db8::25");
  EXPECT_FALSE(c->original);
  EXPECT_THAT(c->warnings,
              ::testing::Contains("the feedback_report carries no copy of the original message"));
}

TEST(ComplaintTest, ConcurrentCallsAgree) {
  // The contract: callable from several threads at once, GMime initialised
  // once by whichever call comes first.
  const std::string mail =
      "Received: from bot.example (dsl-1.isp.example [198.51.100.7])\n"
      "\tby mx.recipient.example with ESMTP id 1; Mon, 1 Jan 2024 10:00:00 +0000\n"
      "From: =?UTF-8?B?SsO8cmdlbg==?= <juergen@sender.example>\n"
      "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\n"
      "\n"
      "hello\n";
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<Complaint> c = ParseComplaint(mail, "t.eml");
        if (c.ok() && c->original && c->original->subject == "Grüße" &&
            c->original->from == "Jürgen <juergen@sender.example>" &&
            c->original->hops.size() == 1 &&
            c->original->hops[0].from_ip->ToString() == "198.51.100.7") {
          ++good;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), 8 * 50);
}

TEST(ComplaintTest, DeepNestingIsBounded) {
  std::string mail = "From: a@example.com\nMIME-Version: 1.0\n";
  const int depth = 200;
  for (int i = 0; i < depth; ++i) {
    mail += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\n\n--b" +
            std::to_string(i) + "\n";
  }
  mail += "Content-Type: text/plain\n\nx\n";
  for (int i = depth - 1; i >= 0; --i) mail += "--b" + std::to_string(i) + "--\n";
  absl::StatusOr<Complaint> c = ParseComplaint(mail, "deep.eml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->warnings.empty());
}

}  // namespace
}  // namespace cleansweep::collector::mail
