#include "collector/audit/complaint_section.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "collector/mail/complaint.h"
#include "collector/mail/origin.h"
#include "common/status_macros.h"
#include "common/time_util.h"
#include "google/protobuf/util/time_util.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::ComplaintAnalysis;
using google::protobuf::util::TimeUtil;

// Complaint mails are small; a 64 MiB cap keeps a hostile file from filling memory.
constexpr size_t kMaxComplaintBytes = 64 << 20;

absl::StatusOr<std::string> ReadComplaint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::string data;
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > kMaxComplaintBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than 64 MiB; not a complaint mail"));
    }
  }
  return data;
}

google::protobuf::Timestamp Proto(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

std::string KindName(const mail::Complaint& c) {
  switch (c.kind) {
    case mail::ComplaintKind::kPlainMail: return "mail";
    case mail::ComplaintKind::kForwarded: return "forwarded";
    case mail::ComplaintKind::kBounce: return "bounce";
    case mail::ComplaintKind::kVirusNotice: return "virus-notice";
    case mail::ComplaintKind::kSpamNotice: return "spam-notice";
    case mail::ComplaintKind::kFeedbackReport: return "arf";
  }
  return "mail";
}

bool GapAt(const cleansweep::v1::CoverageSection& cov, absl::Time from, absl::Time to) {
  const int64_t a = absl::ToUnixMicros(from), b = absl::ToUnixMicros(to);
  for (const auto& h : cov.hosts()) {
    for (const auto& g : h.gaps()) {
      if (TimeUtil::TimestampToMicroseconds(g.start()) <= b &&
          TimeUtil::TimestampToMicroseconds(g.end()) >= a) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<ComplaintAnalysis> AnalyzeComplaint(const std::string& path,
                                                   const ComplaintInputs& in, EventStore& store) {
  ASSIGN_OR_RETURN(const std::string bytes, ReadComplaint(path));
  ASSIGN_OR_RETURN(mail::Complaint c, mail::ParseComplaint(bytes, path));
  ASSIGN_OR_RETURN(mail::TrustedRelays trusted, mail::ParseTrustedRelays(in.trusted));

  ComplaintAnalysis out;
  out.set_source(std::filesystem::path(path).filename().string());
  out.set_kind(KindName(c));
  for (const std::string& w : c.warnings) out.add_warnings(w);
  if (c.feedback) {
    out.set_feedback_type(c.feedback->feedback_type);
    out.set_arf_source_ip(c.feedback->source_ip ? c.feedback->source_ip->ToString()
                                                : c.feedback->source_ip_text);
    out.set_original_mail_from(c.feedback->original_mail_from);
  }
  if (!c.original) {
    out.set_decision("the original message could not be found in this mail");
    return out;
  }
  const mail::MessageSummary& m = *c.original;
  out.set_from(m.from);
  out.set_return_path(m.return_path);
  out.set_message_id(m.message_id);
  out.set_date(m.date_text);
  out.set_subject(m.subject);
  const mail::Origin origin = mail::FindOrigin(m.hops, trusted.empty() ? nullptr : &trusted);
  for (size_t i = 0; i < m.hops.size(); ++i) {
    const mail::ReceivedHop& h = m.hops[i];
    cleansweep::v1::ReceivedHop* hop = out.add_hops();
    hop->set_from_name(h.from_name);
    hop->set_from_helo(h.from_helo);
    if (h.from_ip) hop->set_from_ip(h.from_ip->ToString());
    hop->set_by(h.by);
    hop->set_with(h.with);
    hop->set_id(h.id);
    hop->set_for_address(h.for_address);
    if (h.date) *hop->mutable_date() = Proto(*h.date);
    hop->set_untrusted(i < origin.hops.size() && origin.hops[i].role == mail::HopRole::kUntrusted);
    hop->set_raw(h.raw);
  }
  for (const mail::AuthResult& a : m.auth_results) {
    cleansweep::v1::AuthResult* r = out.add_auth();
    r->set_method(a.method);
    r->set_result(a.result);
    r->set_detail(a.ip.empty() ? a.domain : absl::StrCat(a.domain, " ", a.ip));
    r->set_header(a.header);
  }
  out.set_boundary(origin.explanation);

  // The origin: the entry hop's client, else what an ARF report names.
  std::optional<IpAddress> ip = origin.origin_ip;
  if (!ip && c.feedback && c.feedback->source_ip) ip = c.feedback->source_ip;
  std::optional<absl::Time> when = origin.entered_at;
  if (!when && c.feedback && c.feedback->arrival_date) when = c.feedback->arrival_date;
  if (!when) when = m.date;
  if (when) *out.mutable_origin_time() = Proto(*when);
  if (!ip) {
    out.set_decision("no Received hop or report field names the address the message came from");
    return out;
  }
  out.set_origin_ip(ip->ToString());
  const bool ours = in.rules->ours.Contains(*ip);
  out.set_origin_is_ours(ours);
  if (when && in.coverage && GapAt(*in.coverage, *when - in.skew, *when + in.skew)) {
    out.set_coverage_gap_at_time(true);
  }
  if (!ours) {
    out.set_decision(absl::StrCat("the message entered the recipient's system from ",
                                  ip->ToString(), ", which is not ours"));
    return out;
  }
  if (!when) {
    out.set_decision(absl::StrCat("the message left from our address ", ip->ToString(),
                                  ", but carries no time to match our hosts' traffic against"));
    return out;
  }
  // Ours: who sent SMTP that way around that time.
  const bool via_server = in.rules->mail_servers.Contains(*ip);  // relays are in mail_servers
  std::map<std::string, cleansweep::v1::ComplaintSuspect*> by_host;
  cleansweep::v1::Event e;
  RETURN_IF_ERROR(store.ScanEvents(
      *when - in.skew, *when + in.skew,
      [&](absl::string_view agent, absl::string_view payload) -> absl::Status {
        if (!e.ParseFromArray(payload.data(), static_cast<int>(payload.size())) || !e.has_smtp()) {
          return absl::OkStatus();
        }
        std::optional<IpAddress> src = ParseIpAddress(e.smtp().client().ip());
        std::optional<IpAddress> dst = ParseIpAddress(e.smtp().server().ip());
        if (!src || !dst || !in.rules->internal.Contains(*src)) return absl::OkStatus();
        if (in.rules->mail_servers.Contains(*src)) return absl::OkStatus();
        const bool match = via_server ? *dst == *ip
                                      : !in.rules->internal.Contains(*dst) &&
                                            !in.rules->relays.Contains(*dst);
        if (!match) return absl::OkStatus();
        const std::string host = src->ToString();
        auto& s = by_host[host];
        if (s == nullptr) {
          s = out.add_suspects();
          s->set_host(host);
          s->set_agent_id(std::string(agent));
        }
        s->set_sessions(s->sessions() + 1);
        if (s->evidence_size() < 20) {
          cleansweep::v1::EvidenceRef* ev = s->add_evidence();
          ev->set_agent_id(std::string(agent));
          ev->set_sequence(e.sequence());
          *ev->mutable_time() = e.time();
        }
        return absl::OkStatus();
      }));
  if (out.suspects_size() == 0) {
    out.set_decision(absl::StrCat("the message left from our address ", ip->ToString(),
                                  ", but no host of ours sent SMTP ",
                                  via_server ? "to it" : "directly to the Internet", " within ",
                                  absl::FormatDuration(in.skew), " of ", FormatTimeUtc(*when)));
  } else {
    out.set_decision(absl::StrCat("the message left from our address ", ip->ToString(), "; ",
                                  out.suspects_size(), " host(s) of ours sent SMTP ",
                                  via_server ? "through it" : "directly to the Internet",
                                  " within ", absl::FormatDuration(in.skew), " of ",
                                  FormatTimeUtc(*when)));
  }
  return out;
}

}  // namespace cleansweep::collector
