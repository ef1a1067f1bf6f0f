// RFC 5322 date-time ("Tue, 5 Oct 2021 00:36:52 -0400 (EDT)") read the
// tolerant way mail needs: the obsolete forms of RFC 5322 section 4.3 and
// what real MTAs write.
//
// Accepted: an optional day name (and comma), day (1-2 digits), month name
// (English, first three letters, any case), year (4 digits; 2 digits mean
// 1950-2049; 3 digits mean year+1900), hh:mm[:ss], and a zone: +hhmm/-hhmm,
// UT/GMT/Z, the US zones of RFC 5322 (EST EDT CST CDT MST MDT PST PDT), or a
// few unambiguous abbreviations seen in the wild (JST, KST, CET, CEST, EET,
// EEST, WET, WEST, MSK, HKT, SGT, AEST, AEDT, NZST, NZDT). Comments in
// parentheses are ignored, so "-0700 (PDT)" is read as -0700.
//
// Anything else (unknown or missing zone, impossible calendar dates such as
// 30 Feb, hours past 23, more than 200 bytes) is nullopt: a date we cannot
// place within the hour is reported as absent rather than guessed. Pure
// function, thread-safe, linear in the input.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_MAIL_DATE_H_
#define CLEANSWEEP_COLLECTOR_MAIL_MAIL_DATE_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cleansweep::collector::mail {

std::optional<absl::Time> ParseMailDate(absl::string_view text);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_MAIL_DATE_H_
