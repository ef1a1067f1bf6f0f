#include "collector/cli/format.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/time_util.h"
#include "google/protobuf/util/json_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::ConnectionOutcome;
using cleansweep::v1::Endpoint;
using cleansweep::v1::Event;

// Strings that came off the wire may hold terminal control sequences (an
// ESC in a MAIL FROM would recolour or rewrite the operator's screen): C0 and
// C1 controls, DEL and backslash are shown as \xNN; other UTF-8 is kept.
std::string Printable(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool c1 = c == 0xc2 && i + 1 < s.size() &&
                    static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(s[i + 1]) <= 0x9f;
    if (c < 0x20 || c == 0x7f || c == '\\') {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else if (c1) {
      absl::StrAppendFormat(&out, "\\xc2\\x%02x", static_cast<unsigned char>(s[++i]));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string HostPort(const Endpoint& e) {
  const std::string ip = Printable(e.ip());
  // IPv6 addresses are bracketed so the port stays unambiguous.
  if (ip.find(':') != std::string::npos) return absl::StrCat("[", ip, "]:", e.port());
  return absl::StrCat(ip, ":", e.port());
}

std::string Flow(const Endpoint& client, const Endpoint& server) {
  return absl::StrCat(HostPort(client), " \u2192 ", HostPort(server));
}

absl::string_view OutcomeName(ConnectionOutcome o) {
  switch (o) {
    case cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER: return "no-answer";
    case cleansweep::v1::CONNECTION_OUTCOME_REFUSED: return "refused";
    case cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED: return "established";
    case cleansweep::v1::CONNECTION_OUTCOME_MIDSTREAM: return "midstream";
    default: return "unknown";
  }
}

absl::string_view TransportName(cleansweep::v1::Transport t) {
  switch (t) {
    case cleansweep::v1::TRANSPORT_TCP: return "tcp";
    case cleansweep::v1::TRANSPORT_UDP: return "udp";
    default: return "?";
  }
}

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string Kind(const Event& e) {
  switch (e.kind_case()) {
    case Event::kSmtp: return "smtp";
    case Event::kDns: return "dns";
    case Event::kWormPort: return "worm_port";
    case Event::KIND_NOT_SET: break;
  }
  return "unknown";
}

}  // namespace

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string EventSummary(const Event& e) {
  switch (e.kind_case()) {
    case Event::kSmtp: {
      const auto& s = e.smtp();
      std::string out = absl::StrCat("smtp ", Flow(s.client(), s.server()));
      uint64_t rcpt = 0;
      for (const auto& t : s.transactions()) rcpt += t.rcpt_to_size() + t.rcpt_overflow();
      if (s.transactions_size() > 0) {
        absl::StrAppend(&out, " from=", s.transactions(0).mail_from().empty()
                                            ? "<>"
                                            : Printable(s.transactions(0).mail_from()));
        absl::StrAppend(&out, " rcpt=", rcpt);
        if (s.transactions_size() > 1) absl::StrAppend(&out, " mails=", s.transactions_size());
      }
      if (s.starttls()) absl::StrAppend(&out, " starttls");
      if (s.implicit_tls()) absl::StrAppend(&out, " tls");
      absl::StrAppend(&out, " ", OutcomeName(s.outcome()));
      return out;
    }
    case Event::kDns: {
      const auto& d = e.dns();
      std::string out = absl::StrCat(
          "dns ", Flow(d.client(), d.server()), " ",
          d.qtype_name().empty() ? absl::StrCat("TYPE", d.qtype()) : Printable(d.qtype_name()), " ",
          Printable(d.name()));
      if (d.answered()) {
        absl::StrAppend(&out, " ", d.rcode_name().empty() ? absl::StrCat("rcode=", d.rcode())
                                                          : Printable(d.rcode_name()));
        if (d.mx_size() > 0) absl::StrAppend(&out, " mx=", d.mx_size());
      } else {
        absl::StrAppend(&out, " unanswered");
      }
      return out;
    }
    case Event::kWormPort: {
      const auto& w = e.worm_port();
      return absl::StrCat("worm_port ", TransportName(w.transport()), " ",
                          Flow(w.client(), w.server()), " ", OutcomeName(w.outcome()),
                          " attempts=", w.attempts());
    }
    case Event::KIND_NOT_SET:
      break;
  }
  return "unknown event";
}

std::string EventTable(const std::vector<StoredEvent>& events) {
  size_t agent_width = 5;
  for (const auto& e : events) agent_width = std::max(agent_width, e.agent_id.size());
  std::string out = absl::StrFormat("%-27s  %-*s  %8s  %-9s  %s\n", "TIME",
                                    static_cast<int>(agent_width), "AGENT", "SEQ", "KIND",
                                    "SUMMARY");
  for (const auto& e : events) {
    absl::StrAppendFormat(&out, "%-27s  %-*s  %8d  %-9s  %s\n",
                          FormatTimeUtc(ToTime(e.event.time())), static_cast<int>(agent_width),
                          e.agent_id, e.event.sequence(), Kind(e.event), EventSummary(e.event));
  }
  return out;
}

std::string EventJsonLine(const StoredEvent& e) {
  std::string event_json;
  // Default options: lowerCamelCase names, default values omitted — the same
  // mapping the agent's --json uses, so lines can be compared or re-parsed.
  auto converted = google::protobuf::util::MessageToJsonString(e.event, &event_json);
  if (!converted.ok()) event_json = "{}";
  return absl::StrCat("{\"agentId\":", JsonQuote(e.agent_id),
                      ",\"receivedTime\":", JsonQuote(FormatTimeUtc(e.received_time)),
                      ",\"event\":", event_json, "}");
}

std::string AgentTable(const std::vector<AgentSummary>& agents) {
  std::string out = absl::StrFormat("%-20s  %-8s  %-20s  %-20s  %-20s  %8s  %8s  %6s  %s\n",
                                    "AGENT", "KEY", "HOSTNAME", "FIRST SEEN", "LAST SEEN",
                                    "EVENTS", "ACKED", "LOST", "LAST HEARTBEAT");
  for (const auto& a : agents) {
    std::string hb = "none";
    if (a.last_heartbeat) {
      const auto& h = *a.last_heartbeat;
      hb = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", h.time, absl::UTCTimeZone()),
                        " received=", h.pcap_received, " dropped=", h.pcap_dropped,
                        " if_dropped=", h.pcap_interface_dropped, " packets=", h.packets,
                        " events=", h.events);
    }
    absl::StrAppendFormat(
        &out, "%-20s  %-8s  %-20s  %-20s  %-20s  %8d  %8d  %6d  %s\n", a.identity.agent_id,
        !a.credential ? "-" : a.credential->revoked_at ? "revoked" : "enrolled",
        a.identity.hostname,
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", a.first_seen, absl::UTCTimeZone()),
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", a.last_seen, absl::UTCTimeZone()), a.event_count,
        a.acked_sequence, a.lost_events, hb);
  }
  return out;
}

std::string AgentJsonLine(const AgentSummary& a) {
  std::string out = absl::StrCat(
      "{\"agentId\":", JsonQuote(a.identity.agent_id),
      ",\"hostname\":", JsonQuote(a.identity.hostname),
      ",\"version\":", JsonQuote(a.identity.version), ",\"peer\":", JsonQuote(a.identity.peer),
      ",\"firstSeen\":", JsonQuote(FormatTimeUtc(a.first_seen)),
      ",\"lastSeen\":", JsonQuote(FormatTimeUtc(a.last_seen)), ",\"events\":", a.event_count,
      ",\"ackedSequence\":", a.acked_sequence, ",\"lostEvents\":", a.lost_events);
  if (a.credential) {
    absl::StrAppend(&out, ",\"enrolledAt\":", JsonQuote(FormatTimeUtc(a.credential->enrolled_at)));
    if (a.credential->revoked_at) {
      absl::StrAppend(&out, ",\"revokedAt\":", JsonQuote(FormatTimeUtc(*a.credential->revoked_at)));
    }
  }
  if (a.last_heartbeat) {
    const auto& h = *a.last_heartbeat;
    absl::StrAppend(&out, ",\"lastHeartbeat\":{\"time\":", JsonQuote(FormatTimeUtc(h.time)),
                    ",\"receivedTime\":", JsonQuote(FormatTimeUtc(h.received_time)),
                    ",\"pcapReceived\":", h.pcap_received, ",\"pcapDropped\":", h.pcap_dropped,
                    ",\"pcapInterfaceDropped\":", h.pcap_interface_dropped,
                    ",\"packets\":", h.packets, ",\"events\":", h.events, "}");
  }
  out += "}";
  return out;
}

}  // namespace cleansweep::collector
