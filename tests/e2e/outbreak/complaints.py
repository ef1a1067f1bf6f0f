"""Complaint mails built around a message a real MX of the test received.

The original is the file mail_sink.py stored, with the Received line the MX
wrote on top (the address it really saw and the second it accepted the
message). bounce() wraps it like Postfix's virus rejection (RFC 3464
multipart/report); arf() like an abuse desk's feedback report (RFC 5965).
"""
import email.utils
import time


def _original(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace").replace("\r\n", "\n")


def bounce(path, record):
    """A delivery-status bounce from the MX of `record` (a mail_sink.py line)."""
    mx, rcpt = record["server"], record["rcpt"][0]
    return f"""\
From: MAILER-DAEMON@{mx} (Mail Delivery System)
To: {record["mail_from"]}
Subject: Undelivered Mail Returned to Sender
Date: {email.utils.formatdate(time.time(), usegmt=True)}
Message-ID: <bounce-{record["message_id"]}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="bounce-b1"

--bounce-b1
Content-Type: text/plain

This is the mail system at host {mx}.

Your message was rejected: it contained the virus W32.Mydoom.A@mm.

--bounce-b1
Content-Type: message/delivery-status

Reporting-MTA: dns; {mx}
Arrival-Date: {record["date"]}

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.7.1
Diagnostic-Code: smtp; 554 5.7.1 Virus found: W32.Mydoom.A@mm

--bounce-b1
Content-Type: message/rfc822

{_original(path)}
--bounce-b1--
"""


def arf(path, record, reporter):
    """An abuse report about the message of `record`, sent by `reporter`."""
    return f"""\
From: <abuse@{reporter}>
To: <abuse@{record["mail_from"].split("@")[1]}>
Subject: FW: abuse report about mail from your domain
Date: {email.utils.formatdate(time.time(), usegmt=True)}
Message-ID: <arf-{record["message_id"]}>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="arf-b1"

--arf-b1
Content-Type: text/plain

This is an email abuse report for a message received from IP {record["peer"]}
on {record["date"]}. It carried a virus and a sender in your domain.

--arf-b1
Content-Type: message/feedback-report

Feedback-Type: virus
User-Agent: outbreak-test/1.0
Version: 1
Original-Mail-From: <{record["mail_from"]}>
Original-Rcpt-To: <{record["rcpt"][0]}>
Arrival-Date: {record["date"]}
Source-IP: {record["peer"]}
Reported-Domain: {record["mail_from"].split("@")[1]}

--arf-b1
Content-Type: message/rfc822
Content-Disposition: inline

{_original(path)}
--arf-b1--
"""
