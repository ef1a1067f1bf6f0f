// One Received header (RFC 5321 4.4 "Stamp", and what MTAs actually write)
// parsed into a hop.
//
//   Received: from mail.example.net (mail.example.net [192.0.2.1])
//       by mx.example.com (Postfix) with ESMTP id 4AB12 for <user@example.com>;
//       Thu, 8 Mar 2005 14:00:00 -0400
//
// ParseReceived is a pure function over bytes: it never fails and never
// throws; a clause it cannot find is left empty. Work is linear in the input
// and only the first kMaxReceivedClauseBytes before the date are examined.
// Thread-safe.
//
// The "from" part names the host that handed the message over. MTAs write
// its three names differently, so the parser records what the line states:
//  - from_name: the word after "from", as written;
//  - from_ip: the address the receiving server saw. In order of preference:
//    a bracketed literal inside the from-comments ("(host [192.0.2.1])",
//    "([IPv6:2001:db8::1])", "(user@[192.0.2.1])", "([192.0.2.1:2525]
//    helo=x)"), a comment that is only an address (qmail "(192.0.2.1)"),
//    then from_name itself if it is an address ("from [192.0.2.1]",
//    "from 192.0.2.1"). Zero-padded octets are read as decimal
//    (ip_literal.h);
//  - from_helo: the name the client gave in HELO/EHLO. An explicit
//    "HELO x", "EHLO x" or "helo=x" (qmail, Exim, Yahoo) wins; otherwise it
//    is from_name (Postfix, Sendmail, Microsoft write the HELO first);
//  - from_rdns: the name the receiving server found by reverse DNS, empty
//    when the line does not record one or says "unknown": the name before
//    the bracketed address ("(rdns [ip])", Postfix/Sendmail); from_name when
//    an explicit HELO is given elsewhere (qmail/Exim put the rDNS first); and
//    from_name for qmail's "from NAME (IP)" form (qmail leaves HELO out when
//    it equals the rDNS name).
// The HELO name is chosen by the sender and proves nothing; the rDNS name and
// the address are what the receiving server observed.
//
// The date is what follows the last ';' outside comments, parsed with
// ParseMailDate; a malformed or missing date leaves `date` empty (the hop is
// still returned). Unbalanced '(' is tolerated: it opens a comment that ends
// at the next blank, so "with ESMTPS (cipher=X id 42;" still yields id 42.
#ifndef CLEANSWEEP_COLLECTOR_MAIL_RECEIVED_H_
#define CLEANSWEEP_COLLECTOR_MAIL_RECEIVED_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collector/detect/ip_address.h"

namespace cleansweep::collector::mail {

inline constexpr size_t kMaxReceivedClauseBytes = 8192;

struct ReceivedHop {
  std::string raw;  // the value unfolded (line breaks removed) and trimmed

  std::string from_name;
  std::string from_helo;
  std::string from_rdns;
  std::optional<IpAddress> from_ip;
  std::string envelope_from;  // "(envelope-from <a@b>)" / "(envelope-sender <a@b>)", no <>

  std::string by;           // the host that wrote this line
  std::string via;          // the "via" link, rarely present
  std::string with;         // protocol words, e.g. "ESMTP", "ESMTPSA", "local", "Microsoft SMTPSVC"
  std::string id;           // the receiving server's id, without <>
  std::string for_address;  // the first "for" address, without <>
  // The client authenticated (with ESMTPA, ESMTPSA, LMTPA, LMTPSA,
  // UTF8SMTPA, UTF8SMTPSA per RFC 3848, or ASMTP).
  bool authenticated = false;

  std::string date_text;           // after the last ';', trimmed; empty if none
  std::optional<absl::Time> date;  // empty when absent or malformed
};

ReceivedHop ParseReceived(absl::string_view value);

}  // namespace cleansweep::collector::mail

#endif  // CLEANSWEEP_COLLECTOR_MAIL_RECEIVED_H_
