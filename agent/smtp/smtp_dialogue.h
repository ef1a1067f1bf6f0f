// Follows one SMTP conversation from its two reassembled byte streams and
// records what a mail-abuse investigation needs: HELO/EHLO, every mail
// transaction's envelope (MAIL FROM, RCPT TO), whether data was sent and
// accepted, STARTTLS / implicit TLS, the replies.
//
// Contract:
//  - Feed client and server bytes in the order they were captured (each
//    direction in stream order, as a TcpReassembler delivers it), and report
//    holes with On*Gap: parsing resynchronises at the next line.
//  - Pipelined commands are matched to replies in order. Message content after
//    DATA (up to CRLF.CRLF) and BDAT chunks (by byte count) are skipped, never
//    parsed as commands. When the server side is missing, DATA is assumed to be
//    followed by content; when it is seen, a 4xx/5xx answer to DATA keeps the
//    client in command mode.
//  - After STARTTLS is answered 220, or when the client's first bytes are a
//    TLS record, parsing stops (starttls / implicit_tls set).
//  - Transactions start at MAIL FROM (or at a RCPT TO without one, recorded with
//    an empty mail_from and counted "smtp_rcpt_without_mail", as Zeek logs it)
//    and end at the end of data, RSET, HELO/EHLO, QUIT or STARTTLS.
//  - Memory is bounded: line buffers (`max_line`), pending-command queue,
//    transactions and recipients per transaction are capped; what is cut is
//    counted in the session (`*_overflow`) or as an anomaly.
//
// Not thread-safe. `anomalies` is not owned and must outlive the dialogue.
#ifndef CLEANSWEEP_AGENT_SMTP_SMTP_DIALOGUE_H_
#define CLEANSWEEP_AGENT_SMTP_SMTP_DIALOGUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/strings/string_view.h"
#include "agent/decode/anomaly_counters.h"
#include "agent/smtp/smtp_parser.h"
#include "cleansweep/v1/event.pb.h"

namespace cleansweep::agent {

struct SmtpDialogueLimits {
  uint32_t max_rcpt_per_transaction = 100;
  uint32_t max_transactions = 50;
  size_t max_line = 4096;
  size_t max_pending_commands = 256;
  size_t max_text = 512;  // HELO argument, reply text, addresses
};

class SmtpDialogue {
 public:
  SmtpDialogue(const SmtpDialogueLimits& limits, AnomalyCounters* anomalies);

  // Bytes of the client (resp. server) stream, delivered at packet time `time_us`.
  void OnClientData(absl::string_view bytes, int64_t time_us);
  void OnServerData(absl::string_view bytes, int64_t time_us);
  void OnClientGap(uint64_t missing);
  void OnServerGap(uint64_t missing);

  // The connection is TLS from the first byte (port 465): parse nothing.
  void SetImplicitTls();

  // The SMTP part of the session: helo_command, helo, starttls, implicit_tls,
  // transactions, transactions_overflow, last_reply_code, last_reply.
  const cleansweep::v1::SmtpSession& session() const { return session_; }

 private:
  enum class ClientMode { kCommand, kContent, kBdatChunk };
  enum class Kind { kHelo, kMail, kRcpt, kData, kDataEnd, kBdat, kBdatLast, kStarttls, kAuth, kOther };
  struct Pending {
    Kind kind;
    int txn;  // index into session_.transactions, or -1
  };
  static constexpr int kNoTxn = -1;
  static constexpr int kOverflowTxn = -2;  // a transaction beyond the cap

  void HandleClientLine(absl::string_view line, int64_t time_us);
  void HandleCommand(const SmtpCommand& cmd, int64_t time_us);
  void HandleServerLine(absl::string_view line);
  void OnReply(uint32_t code, absl::string_view line);
  void Push(Kind kind, int txn);
  int StartTransaction(absl::string_view mail_from, int64_t time_us);
  cleansweep::v1::SmtpTransaction* Txn(int index);
  void EnterTls(bool implicit);
  std::string Cap(absl::string_view s) const;

  SmtpDialogueLimits limits_;
  AnomalyCounters* anomalies_;
  cleansweep::v1::SmtpSession session_;

  LineAssembler client_lines_;
  LineAssembler server_lines_;
  ClientMode mode_ = ClientMode::kCommand;
  uint64_t bdat_remaining_ = 0;
  std::deque<Pending> pending_;
  int current_txn_ = kNoTxn;
  int data_txn_ = kNoTxn;  // transaction of the last DATA (may be kNoTxn)
  bool in_data_ = false;   // a DATA awaits its 354 or its content is being skipped
  bool data_reply_pending_ = false;
  bool auth_continuation_ = false;
  bool client_after_gap_ = false;
  bool commands_seen_ = false;  // a known command was seen: we are in command mode
  bool starttls_requested_ = false;
  bool client_bytes_seen_ = false;
  bool server_bytes_seen_ = false;
  bool greeting_seen_ = false;
  bool tls_ = false;
};

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SMTP_SMTP_DIALOGUE_H_
