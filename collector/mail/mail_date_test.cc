#include "collector/mail/mail_date.h"

#include "gtest/gtest.h"

namespace cleansweep::collector::mail {
namespace {

// Unix seconds, or -1 when the date is reported absent.
int64_t Unix(absl::string_view text) {
  std::optional<absl::Time> t = ParseMailDate(text);
  return t ? absl::ToUnixSeconds(*t) : -1;
}

TEST(MailDateTest, Rfc5322AndObsoleteForms) {
  // Hand-checked: 2005-03-08 14:00:00 EDT (-4) = 18:00 UTC = 1110304800, the
  // value stalwart's ARF oracle gives for this Arrival-Date.
  EXPECT_EQ(Unix("Thu, 8 Mar 2005 14:00:00 EDT"), 1110304800);
  EXPECT_EQ(Unix("Thu, 08 Mar 2005 14:00:00 -0400"), 1110304800);
  // 2010-04-14 12:15:31 -0700 = 19:15:31 UTC = 1271272531 (stalwart arf-003).
  EXPECT_EQ(Unix("Wed, 14 Apr 2010 12:15:31 -0700 (PDT)"), 1271272531);
  // No day name, comment after -0000 (arf-005: 1318104958).
  EXPECT_EQ(Unix("8 Oct 2011 20:15:58 +0000 (GMT)"), 1318104958);
  // Double blank after the comma, as Postfix writes single-digit days.
  EXPECT_EQ(Unix("Tue,  5 Oct 2021 00:36:52 -0400 (EDT)"), Unix("Tue, 5 Oct 2021 04:36:52 +0000"));
  // Two-digit years and a missing seconds field.
  EXPECT_EQ(Unix("1 Jan 70 00:00 GMT"), 0);
  EXPECT_EQ(Unix("1 Jan 00 00:00:00 UT"), 946684800);
  EXPECT_EQ(Unix("Thu, 9 Apr 2006 23:34:45 JST"), Unix("Thu, 9 Apr 2006 14:34:45 +0000"));
  EXPECT_EQ(Unix("31 Dec 2016 23:59:60 +0000"), Unix("31 Dec 2016 23:59:59 +0000"));
  EXPECT_EQ(Unix("mon, 20 MAR 2017 03:11:54 +0400"), Unix("19 Mar 2017 23:11:54 +0000"));
}

TEST(MailDateTest, MalformedIsAbsent) {
  for (const char* bad :
       {"", "yesterday", "30 Feb 2020 10:00:00 +0000", "1 Foo 2020 10:00 +0000",
        "1 Jan 2020 24:00:00 +0000", "1 Jan 2020 10:00:00", "1 Jan 2020 10:00:00 IST",
        "1 Jan 2020 10:00:00 +2400", "1 Jan 2020 10:61:00 +0000", "Jan 1 2020 10:00:00 +0000",
        "1 Jan 20201 10:00:00 +0000"}) {
    EXPECT_EQ(Unix(bad), -1) << bad;
  }
  EXPECT_EQ(Unix(std::string(300, '1')), -1);
}

}  // namespace
}  // namespace cleansweep::collector::mail
