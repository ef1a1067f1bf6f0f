#include "tests/bench/fleet_model.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cleansweep::bench {
namespace {

const char* const kFirstNames[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace",
                                   "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy"};
}  // namespace

const char* const kPartners[4] = {"partner.example.net", "supplier.example.net",
                                 "customer.example.org", "bank.example.com"};

std::string Ip4(uint32_t a) {
  return absl::StrCat(a >> 24, ".", (a >> 16) & 255, ".", (a >> 8) & 255, ".", a & 255);
}

std::string ExternalIp(Rng& rng) {
  for (;;) {
    const uint32_t a = static_cast<uint32_t>(rng.Next());
    const uint32_t o1 = a >> 24, o2 = (a >> 16) & 255;
    if (o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224) continue;
    if ((o1 == 169 && o2 == 254) || (o1 == 172 && o2 >= 16 && o2 < 32) || (o1 == 192 && o2 == 168))
      continue;
    if ((a & 255) == 0 || (a & 255) == 255) continue;
    return Ip4(a);
  }
}

void SetTime(int64_t us, google::protobuf::Timestamp* t) {
  t->set_seconds(us / kSecond);
  t->set_nanos(static_cast<int32_t>(us % kSecond) * 1000);
}

std::string Person(Rng& rng) { return kFirstNames[rng.Below(14)]; }


Event MakeSmtp(Rng& rng, int64_t t, const Smtp& s) {
  Event e;
  SetTime(t, e.mutable_time());
  e.set_interface("eth0");
  auto* m = e.mutable_smtp();
  m->mutable_client()->set_ip(s.client_ip);
  m->mutable_client()->set_port(rng.Range(32768, 60999));
  m->mutable_server()->set_ip(s.server_ip);
  m->mutable_server()->set_port(s.server_port);
  SetTime(t, m->mutable_start_time());
  m->set_outcome(s.outcome);
  if (s.outcome != cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED) {
    SetTime(t + (s.outcome == cleansweep::v1::CONNECTION_OUTCOME_REFUSED ? 900 : 21 * kSecond),
            m->mutable_end_time());
    m->set_end_reason(s.outcome == cleansweep::v1::CONNECTION_OUTCOME_REFUSED ? "rst" : "timeout");
    return e;
  }
  SetTime(t + rng.Range(200000, 3000000), m->mutable_end_time());
  m->set_helo_command("EHLO");
  m->set_helo(s.helo);
  m->set_client_seen(true);
  m->set_server_seen(true);
  m->set_end_reason("fin");
  if (s.starttls) {
    m->set_starttls(true);
    m->set_client_bytes(rng.Range(2000, 90000));
    m->set_server_bytes(rng.Range(3000, 6000));
    return e;
  }
  m->set_client_bytes(rng.Range(600, 60000));
  m->set_server_bytes(rng.Range(300, 900));
  if (!s.mail_from.empty()) {
    auto* tx = m->add_transactions();
    tx->set_mail_from(s.mail_from);
    for (const std::string& r : s.rcpts) tx->add_rcpt_to(r);
    tx->set_rcpt_accepted(static_cast<uint32_t>(s.rcpts.size()));
    tx->set_data_sent(true);
    tx->set_data_accepted(true);
    tx->set_last_reply_code(250);
    tx->set_last_reply(absl::StrFormat("250 2.0.0 Ok: queued as %08X", rng.Next() & 0xffffffff));
    SetTime(t + 40000, tx->mutable_time());
  }
  m->set_last_reply_code(221);
  m->set_last_reply("221 2.0.0 Bye");
  return e;
}

Event MakeDns(Rng& rng, int64_t t, const std::string& client, const std::string& name,
              uint32_t qtype) {
  Event e;
  SetTime(t, e.mutable_time());
  e.set_interface("eth0");
  auto* d = e.mutable_dns();
  d->mutable_client()->set_ip(client);
  d->mutable_client()->set_port(rng.Range(32768, 60999));
  d->mutable_server()->set_ip(kResolver);
  d->mutable_server()->set_port(53);
  d->set_transport(cleansweep::v1::TRANSPORT_UDP);
  SetTime(t, d->mutable_time());
  d->set_id(rng.Below(65536));
  d->set_name(name);
  d->set_qtype(qtype);
  d->set_qtype_name(qtype == 15 ? "MX" : "A");
  d->set_answered(true);
  d->set_rcode(0);
  d->set_rcode_name("NOERROR");
  SetTime(t + rng.Range(300, 40000), d->mutable_answer_time());
  if (qtype == 15) {
    const int n = static_cast<int>(rng.Range(1, 2));
    for (int i = 0; i < n; ++i) {
      auto* mx = d->add_mx();
      mx->set_preference(static_cast<uint32_t>(10 * (i + 1)));
      mx->set_exchange(absl::StrCat("mx", i + 1, ".", name));
    }
  } else {
    d->add_answers(ExternalIp(rng));
  }
  return e;
}

Event MakeWorm(Rng& rng, int64_t t, const std::string& client, const std::string& server,
               uint32_t port, ConnectionOutcome outcome) {
  Event e;
  SetTime(t, e.mutable_time());
  e.set_interface("eth0");
  auto* w = e.mutable_worm_port();
  w->mutable_client()->set_ip(client);
  w->mutable_client()->set_port(rng.Range(32768, 60999));
  w->mutable_server()->set_ip(server);
  w->mutable_server()->set_port(port);
  w->set_transport(cleansweep::v1::TRANSPORT_TCP);
  SetTime(t, w->mutable_time());
  w->set_outcome(outcome);
  w->set_attempts(outcome == cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER ? rng.Range(2, 4) : 1);
  return e;
}

ConnectionOutcome Pick(Rng& rng, double established, double refused) {
  const double x = static_cast<double>(rng.Below(1000000)) / 1e6;
  if (x < established) return cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED;
  if (x < established + refused) return cleansweep::v1::CONNECTION_OUTCOME_REFUSED;
  return cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER;
}

int64_t Micros(const google::protobuf::Timestamp& t) {
  return t.seconds() * kSecond + t.nanos() / 1000;
}

int64_t EmittedAt(const Event& e) {
  switch (e.kind_case()) {
    case Event::kSmtp:
      return Micros(e.smtp().end_time());
    case Event::kDns:
      return Micros(e.dns().answer_time());
    case Event::kWormPort:
      return Micros(e.time()) +
             (e.worm_port().outcome() == cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER
                  ? e.worm_port().attempts() * 3 * kSecond
                  : kSecond / 10);
    default:
      return Micros(e.time());
  }
}

// A workstation's everyday event.
Event NormalWorkstationEvent(Rng& rng, const Host& h, int64_t t) {
  const bool v6 = rng.Chance(0.04);
  const std::string& me = v6 ? h.ip6 : h.ip4;
  const uint32_t kind = h.role == Role::kRelayOnly ? 0 : rng.Below(100);
  if (kind < 78) {
    Smtp s;
    s.client_ip = me;
    s.server_ip = v6 ? kRelay6 : kRelay4;
    s.server_port = 587;
    s.helo = absl::StrCat(h.agent_id, ".corp.example.com");
    s.outcome = rng.Chance(0.995) ? cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED
                                  : cleansweep::v1::CONNECTION_OUTCOME_REFUSED;
    s.starttls = rng.Chance(0.85);
    if (!s.starttls) {
      s.mail_from = absl::StrCat(Person(rng), "@example.com");
      const int n = static_cast<int>(rng.Range(1, 3));
      for (int i = 0; i < n; ++i) {
        s.rcpts.push_back(absl::StrCat(Person(rng), "@", kPartners[rng.Below(4)]));
      }
    }
    return MakeSmtp(rng, t, s);
  }
  if (kind < 90) {
    const bool nas = rng.Chance(0.05);
    return MakeWorm(rng, t, me, nas ? kNas : kFileServer, 445,
                    nas ? cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER
                        : cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
  }
  if (kind < 96) return MakeDns(rng, t, me, kPartners[rng.Below(3)], 15);
  return MakeDns(rng, t, me, absl::StrCat("www", rng.Below(500), ".example.net"), 1);
}

// The mail server's everyday event: outbound delivery, MX lookups, inbound.
Event MailServerEvent(Rng& rng, int64_t t, uint32_t kind) {
  if (kind == 0) {
    Smtp s;
    s.client_ip = kMailServer;
    s.server_ip = ExternalIp(rng);
    s.helo = "mx-out.example.com";
    s.outcome = Pick(rng, 0.93, 0.04);
    s.mail_from = absl::StrCat(Person(rng), rng.Chance(0.8) ? "@example.com" : "@example.org");
    const int n = static_cast<int>(rng.Range(1, 5));
    const std::string domain = absl::StrCat("d", rng.Below(20000), ".example.net");
    for (int i = 0; i < n; ++i) s.rcpts.push_back(absl::StrCat(Person(rng), "@", domain));
    return MakeSmtp(rng, t, s);
  }
  if (kind == 1) {
    return MakeDns(rng, t, kMailServer, absl::StrCat("d", rng.Below(20000), ".example.net"), 15);
  }
  Smtp s;
  s.client_ip = ExternalIp(rng);
  s.server_ip = kMailServer;
  s.helo = absl::StrCat("mail", rng.Below(1000), ".example.net");
  s.outcome = Pick(rng, 0.97, 0.0);
  s.mail_from = absl::StrCat(Person(rng), "@", kPartners[rng.Below(4)]);
  s.rcpts.push_back(absl::StrCat(Person(rng), "@example.com"));
  return MakeSmtp(rng, t, s);
}

}  // namespace cleansweep::bench
