#include "agent/smtp/smtp_dialogue.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "agent/observers/event_util.h"

namespace cleansweep::agent {
namespace {
bool Is2xx(uint32_t code) { return code >= 200 && code < 300; }
}  // namespace

SmtpDialogue::SmtpDialogue(const SmtpDialogueLimits& limits, AnomalyCounters* anomalies)
    : limits_(limits),
      anomalies_(anomalies),
      client_lines_(limits.max_line),
      server_lines_(limits.max_line) {}

std::string SmtpDialogue::Cap(absl::string_view s) const {
  return std::string(s.substr(0, std::min(s.size(), limits_.max_text)));
}

void SmtpDialogue::SetImplicitTls() { EnterTls(/*implicit=*/true); }

void SmtpDialogue::EnterTls(bool implicit) {
  tls_ = true;
  if (implicit) {
    session_.set_implicit_tls(true);
  } else {
    session_.set_starttls(true);
  }
  pending_.clear();
}

cleansweep::v1::SmtpTransaction* SmtpDialogue::Txn(int index) {
  if (index < 0 || index >= session_.transactions_size()) return nullptr;
  return session_.mutable_transactions(index);
}

int SmtpDialogue::StartTransaction(absl::string_view mail_from, int64_t time_us) {
  if (static_cast<uint32_t>(session_.transactions_size()) >= limits_.max_transactions) {
    session_.set_transactions_overflow(session_.transactions_overflow() + 1);
    return kOverflowTxn;
  }
  auto* txn = session_.add_transactions();
  txn->set_mail_from(Cap(mail_from));
  SetTimestamp(time_us, txn->mutable_time());
  return session_.transactions_size() - 1;
}

void SmtpDialogue::Push(Kind kind, int txn) {
  if (pending_.size() >= limits_.max_pending_commands) {
    // Replies are lagging far behind (or never come): forget the oldest.
    pending_.pop_front();
    anomalies_->Count("smtp_pending_overflow");
  }
  pending_.push_back(Pending{kind, txn});
}

void SmtpDialogue::OnClientData(absl::string_view bytes, int64_t time_us) {
  if (tls_ || bytes.empty()) return;
  if (!client_bytes_seen_) {
    client_bytes_seen_ = true;
    // A client that opens with a TLS record speaks implicit TLS (SMTPS on an
    // unexpected port).
    if (LooksLikeTlsRecord(bytes)) {
      EnterTls(/*implicit=*/true);
      return;
    }
  }
  if (starttls_requested_ && mode_ == ClientMode::kCommand &&
      client_lines_.pending_bytes() == 0 && !client_lines_.skipping() && LooksLikeTlsRecord(bytes)) {
    // The 220 to STARTTLS was not captured, but the client went on with TLS.
    EnterTls(/*implicit=*/false);
    return;
  }
  while (!bytes.empty() && !tls_) {
    if (mode_ == ClientMode::kBdatChunk) {
      const uint64_t n = std::min<uint64_t>(bdat_remaining_, bytes.size());
      bytes.remove_prefix(static_cast<size_t>(n));
      bdat_remaining_ -= n;
      if (bdat_remaining_ == 0) {
        mode_ = ClientMode::kCommand;
        client_lines_.Reset();
      }
      continue;
    }
    absl::string_view line;
    const LineAssembler::Result r = client_lines_.Next(&bytes, &line);
    if (r == LineAssembler::Result::kNeedMore) break;
    if (r == LineAssembler::Result::kTooLong) {
      // Long lines are legal (if rare) in message content; only count commands.
      if (mode_ == ClientMode::kCommand) anomalies_->Count("smtp_line_too_long");
      continue;
    }
    HandleClientLine(line, time_us);
  }
  // A zero-length BDAT chunk ends immediately.
  if (mode_ == ClientMode::kBdatChunk && bdat_remaining_ == 0) mode_ = ClientMode::kCommand;
}

void SmtpDialogue::HandleClientLine(absl::string_view line, int64_t time_us) {
  if (mode_ == ClientMode::kCommand && data_reply_pending_ && in_data_) {
    // DATA is unanswered but the client keeps talking: it did not wait for
    // the 354 (pipelining clients and some worms do this), so this is content.
    mode_ = ClientMode::kContent;
  }
  if (mode_ == ClientMode::kContent) {
    if (line == ".") {
      Push(Kind::kDataEnd, data_txn_);
      mode_ = ClientMode::kCommand;
      in_data_ = false;
      if (current_txn_ == data_txn_) current_txn_ = kNoTxn;
    }
    return;
  }
  if (auth_continuation_) {
    // The server asked (334) for an AUTH response: this line is credentials.
    auth_continuation_ = false;
    Push(Kind::kAuth, kNoTxn);
    return;
  }
  const SmtpCommand cmd = ParseCommand(line);
  if (client_after_gap_) {
    // The first line after a hole may be the tail of a lost line: believe it
    // only if it is a command we know.
    client_after_gap_ = false;
    if (cmd.verb == SmtpVerb::kNone || cmd.verb == SmtpVerb::kUnknown) {
      anomalies_->Count("smtp_gap_fragment");
      Push(Kind::kOther, current_txn_);  // the server answers the whole lost line
      return;
    }
  }
  HandleCommand(cmd, time_us);
}

void SmtpDialogue::HandleCommand(const SmtpCommand& cmd, int64_t time_us) {
  if (cmd.verb != SmtpVerb::kNone && cmd.verb != SmtpVerb::kUnknown) commands_seen_ = true;
  switch (cmd.verb) {
    case SmtpVerb::kNone:
      // Text that is not a command word (junk, or message text the server
      // refused to take as content): servers answer it (500), so it keeps
      // its place in the reply queue -- once the dialogue is known to be in
      // command mode. Before the first real command (a capture that starts
      // inside a message) such lines are most likely content: no reply comes.
      anomalies_->Count("smtp_not_a_command");
      if (commands_seen_) Push(Kind::kOther, current_txn_);
      return;
    case SmtpVerb::kHelo:
    case SmtpVerb::kEhlo: {
      // A repeated HELO without argument does not erase a known name.
      if (session_.helo_command().empty() || !cmd.argument.empty()) {
        session_.set_helo_command(cmd.verb == SmtpVerb::kHelo ? "HELO" : "EHLO");
        session_.set_helo(Cap(cmd.argument));
      }
      current_txn_ = kNoTxn;  // HELO/EHLO resets the transaction (RFC 5321 4.1.4)
      Push(Kind::kHelo, kNoTxn);
      return;
    }
    case SmtpVerb::kMail: {
      if (!cmd.has_address) anomalies_->Count("smtp_mail_without_address");
      current_txn_ = StartTransaction(cmd.address, time_us);
      Push(Kind::kMail, current_txn_);
      return;
    }
    case SmtpVerb::kRcpt: {
      if (current_txn_ == kNoTxn) {
        anomalies_->Count("smtp_rcpt_without_mail");
        current_txn_ = StartTransaction("", time_us);
      }
      if (auto* txn = Txn(current_txn_)) {
        if (!cmd.has_address) {
          anomalies_->Count("smtp_rcpt_without_address");
        } else if (static_cast<uint32_t>(txn->rcpt_to_size()) <
                   limits_.max_rcpt_per_transaction) {
          txn->add_rcpt_to(Cap(cmd.address));
        } else {
          txn->set_rcpt_overflow(txn->rcpt_overflow() + 1);
        }
      }
      Push(Kind::kRcpt, current_txn_);
      return;
    }
    case SmtpVerb::kData: {
      if (current_txn_ == kNoTxn) anomalies_->Count("smtp_data_without_mail");
      if (auto* txn = Txn(current_txn_)) txn->set_data_sent(true);
      Push(Kind::kData, current_txn_);
      data_txn_ = current_txn_;
      in_data_ = true;
      if (!server_bytes_seen_) {
        // One-sided capture: no 354 will be seen; content follows DATA.
        mode_ = ClientMode::kContent;
      } else {
        data_reply_pending_ = true;
      }
      return;
    }
    case SmtpVerb::kBdat: {
      if (!cmd.bdat_valid) {
        anomalies_->Count("smtp_bdat_invalid");
        Push(Kind::kOther, current_txn_);
        return;
      }
      if (auto* txn = Txn(current_txn_)) txn->set_data_sent(true);
      Push(cmd.bdat_last ? Kind::kBdatLast : Kind::kBdat, current_txn_);
      if (cmd.bdat_last) current_txn_ = kNoTxn;
      mode_ = ClientMode::kBdatChunk;
      bdat_remaining_ = cmd.bdat_size;
      client_lines_.Reset();
      return;
    }
    case SmtpVerb::kRset:
    case SmtpVerb::kQuit:
      current_txn_ = kNoTxn;
      Push(Kind::kOther, kNoTxn);
      return;
    case SmtpVerb::kStarttls:
      current_txn_ = kNoTxn;
      starttls_requested_ = true;
      Push(Kind::kStarttls, kNoTxn);
      return;
    case SmtpVerb::kAuth:
      Push(Kind::kAuth, kNoTxn);
      return;
    case SmtpVerb::kUnknown:
      // Every command gets a reply; keep the queue aligned (see kNone).
      if (commands_seen_) Push(Kind::kOther, current_txn_);
      return;
    case SmtpVerb::kNoop:
      Push(Kind::kOther, current_txn_);
      return;
  }
}

void SmtpDialogue::OnServerData(absl::string_view bytes, int64_t time_us) {
  if (bytes.empty()) return;
  server_bytes_seen_ = true;
  while (!bytes.empty() && !tls_) {
    absl::string_view line;
    const LineAssembler::Result r = server_lines_.Next(&bytes, &line);
    if (r == LineAssembler::Result::kNeedMore) break;
    if (r == LineAssembler::Result::kTooLong) {
      anomalies_->Count("smtp_line_too_long");
      continue;
    }
    HandleServerLine(line);
  }
}

void SmtpDialogue::HandleServerLine(absl::string_view line) {
  const SmtpReplyLine reply = ParseReplyLine(line);
  if (!reply.valid) {
    anomalies_->Count("smtp_reply_invalid");
    return;
  }
  // Only the last line of a multi-line reply ("250 ...") completes it.
  if (reply.continuation) return;
  OnReply(reply.code, line);
}

void SmtpDialogue::OnReply(uint32_t code, absl::string_view line) {
  session_.set_last_reply_code(code);
  session_.set_last_reply(Cap(line));
  if (pending_.empty()) {
    if (mode_ == ClientMode::kContent && !data_reply_pending_) {
      // The server answered the end of data, but the "." was in a hole.
      mode_ = ClientMode::kCommand;
      if (auto* txn = Txn(data_txn_)) {
        txn->set_last_reply_code(code);
        txn->set_last_reply(Cap(line));
        if (Is2xx(code)) txn->set_data_accepted(true);
      }
      if (current_txn_ == data_txn_) current_txn_ = kNoTxn;
      in_data_ = false;
      return;
    }
    if (!greeting_seen_) {
      greeting_seen_ = true;  // the banner answers no command
      return;
    }
    anomalies_->Count("smtp_unmatched_reply");
    return;
  }
  greeting_seen_ = true;
  const Pending p = pending_.front();
  pending_.pop_front();
  auto* txn = Txn(p.txn);
  if (txn != nullptr) {
    txn->set_last_reply_code(code);
    txn->set_last_reply(Cap(line));
  }
  switch (p.kind) {
    case Kind::kRcpt:
      if (txn != nullptr && Is2xx(code)) txn->set_rcpt_accepted(txn->rcpt_accepted() + 1);
      break;
    case Kind::kData:
      data_reply_pending_ = false;
      if (code == 354) {
        if (mode_ == ClientMode::kCommand && in_data_) mode_ = ClientMode::kContent;
      } else if (in_data_) {
        // Refused DATA: what the client sends next are commands again.
        if (mode_ == ClientMode::kContent) mode_ = ClientMode::kCommand;
        in_data_ = false;
      }
      break;
    case Kind::kDataEnd:
    case Kind::kBdatLast:
      if (txn != nullptr && Is2xx(code)) txn->set_data_accepted(true);
      break;
    case Kind::kStarttls:
      if (code == 220) EnterTls(/*implicit=*/false);
      break;
    case Kind::kAuth:
      if (code == 334) auth_continuation_ = true;
      break;
    case Kind::kHelo:
    case Kind::kMail:
    case Kind::kBdat:
    case Kind::kOther:
      break;
  }
}

void SmtpDialogue::OnClientGap(uint64_t missing) {
  if (tls_) return;
  if (mode_ == ClientMode::kBdatChunk) {
    if (missing < bdat_remaining_) {
      bdat_remaining_ -= missing;
      return;
    }
    // The chunk ended inside the hole; where the next command starts is unknown.
    bdat_remaining_ = 0;
    mode_ = ClientMode::kCommand;
  }
  client_lines_.Reset();
  client_after_gap_ = true;
}

void SmtpDialogue::OnServerGap(uint64_t missing) {
  if (tls_) return;
  // A reply fragment after the hole fails ParseReplyLine and is counted.
  server_lines_.Reset();
}

}  // namespace cleansweep::agent
