#include "collector/mail/complaint.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "collector/mail/gmime_edge.h"
#include "collector/mail/ip_literal.h"
#include "collector/mail/mail_date.h"

namespace cleansweep::collector::mail {
namespace {

using gmime::ObjectPtr;

// Bytes of text read from the complaint's own text parts (for the reason
// and for quoted headers); a notice is a few KiB.
constexpr size_t kMaxTextBytes = 1024 * 1024;
constexpr size_t kMaxDiagnosticBytes = 2048;
constexpr size_t kMaxWarnings = 50;
constexpr uint64_t kGMimeMaxNesting = 1024;
// Address fields GMime may read (see DefuseAddressFields).
constexpr size_t kMaxAddressFieldBytes = 4096;
constexpr int kMaxAddressFieldColons = 64;
constexpr uint64_t kMaxAddressWork = uint64_t{1} << 28;  // sum of length^2, ~0.4 s

constexpr const char* kMailFields[] = {"From",    "Date", "Received",    "Message-ID",
                                       "Subject", "To",   "Return-Path", "MIME-Version"};

constexpr const char* kBounceSubjects[] = {
    "undelivered mail",       "undeliverable",        "delivery status notification",
    "mail delivery failed",   "returned mail",        "failure notice",
    "delivery failure",       "non-delivery",         "delivery has failed",
    "could not be delivered", "mail delivery system", "delivery notification"};

constexpr const char* kDaemonLocalParts[] = {"mailer-daemon", "mail-daemon", "mailerdaemon",
                                             "postmaster"};

bool ContainsIgnoreCase(absl::string_view haystack, absl::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(haystack), needle);
}

// The line (1-based, counting the mbox line if one was skipped) of a GMime
// stream offset.
int LineOf(absl::string_view mail, int64_t offset, int first_line) {
  if (offset < 0) return 0;
  const size_t end = std::min(static_cast<size_t>(offset), mail.size());
  return first_line + static_cast<int>(std::count(mail.begin(), mail.begin() + end, '\n'));
}

struct ParserWarning {
  int64_t offset;
  GMimeParserWarning code;
  std::string item;
};

void CollectWarning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer user_data) {
  auto* out = static_cast<std::vector<ParserWarning>*>(user_data);
  if (out->size() >= kMaxWarnings) return;
  out->push_back({offset, code, item != nullptr ? std::string(item).substr(0, 200) : ""});
}

std::string DescribeParserWarning(const ParserWarning& w) {
  switch (w.code) {
    case GMIME_WARN_DUPLICATED_HEADER:
      return absl::StrCat("header ", w.item, " appears twice");
    case GMIME_WARN_DUPLICATED_PARAMETER:
      return absl::StrCat("parameter ", w.item, " appears twice");
    case GMIME_WARN_UNENCODED_8BIT_HEADER:
      return absl::StrCat("header ", w.item, " has unencoded 8-bit characters");
    case GMIME_WARN_INVALID_CONTENT_TYPE:
      return absl::StrCat("invalid content type ", w.item, ", read as application/octet-stream");
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
      return absl::StrCat("invalid RFC 2047 encoding in ", w.item);
    case GMIME_WARN_MALFORMED_MULTIPART:
      return "a multipart has no parts";
    case GMIME_WARN_TRUNCATED_MESSAGE:
      return "the message is truncated: it ends before its body or before a multipart's "
             "closing boundary";
    case GMIME_WARN_MALFORMED_MESSAGE:
      return "the message is malformed";
    case GMIME_CRIT_INVALID_HEADER_NAME:
      return absl::StrCat("invalid header name ", w.item, "; the parser skipped part of the input");
    case GMIME_CRIT_CONFLICTING_HEADER:
      return absl::StrCat("conflicting header ", w.item);
    case GMIME_CRIT_CONFLICTING_PARAMETER:
      return absl::StrCat("conflicting parameter ", w.item);
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      return "a multipart has no boundary parameter; its content is read as one part";
    case GMIME_WARN_INVALID_PARAMETER:
      return absl::StrCat("invalid parameter ", w.item);
    case GMIME_WARN_INVALID_ADDRESS_LIST:
      return absl::StrCat("invalid address list ", w.item);
    case GMIME_CRIT_NESTING_OVERFLOW:
      return "MIME parts nested too deep; the deeper parts are read as one";
    case GMIME_WARN_PART_WITHOUT_CONTENT:
      return "a MIME part has headers but no content";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return "a MIME part has neither headers nor content";
  }
  return absl::StrCat("GMime parser warning ", static_cast<int>(w.code));
}

// What the MIME walk found in the complaint (not inside the original).
struct Candidate {
  OriginalSource source;
  GMimeMessage* message = nullptr;  // kAttachedMessage parsed by GMime (owned by the tree)
  std::string headers;              // kAttachedHeaders: the part's text
};

struct TextPart {
  std::string text;
};

struct Walk {
  std::vector<std::string> feedback_contents;
  std::vector<std::string> dsn_contents;
  std::vector<Candidate> candidates;
  std::vector<TextPart> texts;
  size_t text_bytes = 0;
  int parts = 0;
  bool too_many_parts = false;
  bool too_deep = false;
  std::vector<std::string> warnings;
};

bool IsHeadersType(absl::string_view type) {
  return type == "text/rfc822-headers" || type == "text/rfc822-header" ||
         type == "message/rfc822-headers";
}

bool IsMessageType(absl::string_view type) {
  return type == "message/rfc822" || type == "message/global" || type == "message/news";
}

void WalkPart(GMimeObject* object, int depth, absl::string_view mail, int first_line, Walk* w) {
  if (object == nullptr) return;
  if (++w->parts > kMaxMimeParts) {
    w->too_many_parts = true;
    return;
  }
  if (depth > kMaxMimeDepth) {
    w->too_deep = true;
    return;
  }
  const std::string type = gmime::MimeType(object);
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* mp = GMIME_MULTIPART(object);
    const int count = g_mime_multipart_get_count(mp);
    if (count == 0) {
      const char* boundary = g_mime_multipart_get_boundary(mp);
      GMimeHeaderList* headers = g_mime_object_get_header_list(object);
      int line = 0;
      if (headers != nullptr && g_mime_header_list_get_count(headers) > 0) {
        line = LineOf(mail, g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, 0)),
                      first_line);
      }
      w->warnings.push_back(absl::StrCat(
          line > 0 ? absl::StrCat("line ", line, ": ") : "", type, " has no parts: its boundary \"",
          boundary != nullptr ? absl::string_view(boundary).substr(0, 200) : "", "\" never appears",
          " (broken MIME boundary); its content is not examined"));
    }
    for (int i = 0; i < count; ++i) {
      WalkPart(g_mime_multipart_get_part(mp, i), depth + 1, mail, first_line, w);
    }
    return;
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (m != nullptr) w->candidates.push_back({OriginalSource::kAttachedMessage, m, ""});
    return;  // the original's own parts are not the complaint's text
  }
  if (!GMIME_IS_PART(object)) return;
  GMimePart* part = GMIME_PART(object);
  const bool feedback = type == "message/feedback-report";
  const bool dsn = type == "message/delivery-status" || type == "message/global-delivery-status";
  const bool headers = IsHeadersType(type);
  // A message/rfc822 part GMime kept as a leaf (e.g. base64-encoded).
  const bool message_leaf = IsMessageType(type);
  const bool text = type == "text/plain" || type.empty();
  if (!feedback && !dsn && !headers && !message_leaf && !text) return;
  bool truncated = false;
  std::string content = gmime::PartContent(part, kMaxHeaderBlockBytes, &truncated);
  if (feedback) {
    w->feedback_contents.push_back(std::move(content));
  } else if (dsn) {
    w->dsn_contents.push_back(std::move(content));
  } else if (headers) {
    w->candidates.push_back({OriginalSource::kAttachedHeaders, nullptr, std::move(content)});
  } else if (message_leaf) {
    w->candidates.push_back({OriginalSource::kAttachedHeaders, nullptr, std::move(content)});
  } else if (w->text_bytes < kMaxTextBytes) {
    if (content.size() > kMaxTextBytes - w->text_bytes) {
      content.resize(kMaxTextBytes - w->text_bytes);
    }
    w->text_bytes += content.size();
    w->texts.push_back({std::move(content)});
  }
}

bool HasLineBreakBefore(absl::string_view text, size_t pos) {
  // True at the start of the text or right after an empty (or blank) line.
  if (pos == 0) return true;
  if (text[pos - 1] != '\n') return false;
  size_t i = pos - 1;
  while (i > 0 && (text[i - 1] == '\r' || text[i - 1] == ' ' || text[i - 1] == '\t')) --i;
  return i == 0 || text[i - 1] == '\n';
}

bool HasAnyField(const std::vector<HeaderField>& fields,
                 std::initializer_list<absl::string_view> names) {
  for (absl::string_view n : names) {
    if (FindField(fields, n) != nullptr) return true;
  }
  return false;
}

struct Quoted {
  size_t offset = 0;
  std::vector<HeaderField> fields;
};

// A header block quoted in text (see the header comment for the rule).
std::optional<Quoted> FindQuotedHeaders(absl::string_view text, bool require_received) {
  HeaderBlockOptions options;
  options.max_block_bytes = 256 * 1024;
  for (size_t pos = 0; pos < text.size();) {
    if (HasLineBreakBefore(text, pos)) {
      absl::StatusOr<HeaderBlock> block = ScanHeaderBlock(text.substr(pos), options);
      if (block.ok() && block->fields.size() >= 2 &&
          (block->terminated || block->stray_line == 0) &&
          (require_received ? HasAnyField(block->fields, {"Received"})
                            : HasAnyField(block->fields, {"Received", "From", "Message-ID"}))) {
        return Quoted{pos, std::move(block->fields)};
      }
    }
    const size_t nl = text.find('\n', pos);
    if (nl == absl::string_view::npos) break;
    pos = nl + 1;
  }
  return std::nullopt;
}

std::string StripAngles(absl::string_view s) {
  s = absl::StripAsciiWhitespace(s);
  if (!s.empty() && s.front() == '<') s.remove_prefix(1);
  if (!s.empty() && s.back() == '>') s.remove_suffix(1);
  return std::string(absl::StripAsciiWhitespace(s));
}

// The first mailbox of an address list: GMime's reading for sane values,
// a plain look for "<a@b>" or a word with '@' for crafted ones (see
// DefuseAddressFields for why GMime must not see those).
std::string FirstAddress(absl::string_view value) {
  const int colons = static_cast<int>(std::count(value.begin(), value.end(), ':'));
  if (value.size() <= kMaxAddressFieldBytes && colons <= kMaxAddressFieldColons) {
    return gmime::FirstMailboxAddress(value);
  }
  const size_t open = value.find('<');
  if (open != absl::string_view::npos) {
    const size_t close = value.find('>', open);
    if (close != absl::string_view::npos && close - open < 512) {
      absl::string_view inside = value.substr(open + 1, close - open - 1);
      if (inside.find('@') != absl::string_view::npos) return std::string(inside);
    }
  }
  for (absl::string_view word : absl::StrSplit(value.substr(0, 64 * 1024),
                                               absl::ByAnyChar(" \t,;<>()\""), absl::SkipEmpty())) {
    if (word.find('@') != absl::string_view::npos && word.size() < 512) return std::string(word);
  }
  return "";
}

MessageSummary Summarize(std::vector<HeaderField> fields, std::vector<std::string>* warnings,
                         absl::string_view where) {
  MessageSummary s;
  int received_seen = 0;
  int received_dropped = 0;
  for (const HeaderField& f : fields) {
    auto is = [&f](absl::string_view name) { return absl::EqualsIgnoreCase(f.name, name); };
    if (is("Received")) {
      ++received_seen;
      if (static_cast<int>(s.hops.size()) < kMaxHops) {
        s.hops.push_back(ParseReceived(f.value));
      } else {
        ++received_dropped;
      }
    } else if (is("Authentication-Results") || is("ARC-Authentication-Results")) {
      for (AuthResult& r : ParseAuthenticationResults(f.value, f.name)) {
        r.received_above = received_seen;
        s.auth_results.push_back(std::move(r));
      }
    } else if (is("Received-SPF")) {
      for (AuthResult& r : ParseReceivedSpf(f.value)) {
        r.received_above = received_seen;
        s.auth_results.push_back(std::move(r));
      }
    } else if (is("ARC-Seal")) {
      for (AuthResult& r : ParseArcSeal(f.value)) {
        r.received_above = received_seen;
        s.auth_results.push_back(std::move(r));
      }
    } else if (is("From") && s.from.empty()) {
      s.from = gmime::DecodeHeaderText(f.value);
      s.from_address = FirstAddress(f.value);
    } else if (is("Return-Path") && s.return_path.empty()) {
      s.return_path = StripAngles(f.value);
    } else if ((is("Message-ID") || is("Message-Id")) && s.message_id.empty()) {
      s.message_id = StripAngles(f.value);
    } else if (is("Date") && s.date_text.empty()) {
      s.date_text = f.value;
      s.date = ParseMailDate(f.value);
    } else if (is("Subject") && s.subject.empty()) {
      s.subject = gmime::DecodeHeaderText(f.value);
    } else if (is("To") && s.to.empty()) {
      s.to = gmime::DecodeHeaderText(f.value);
    } else if (is("X-Originating-IP") && !s.x_originating_ip) {
      s.x_originating_ip = ParseIpLiteral(f.value);
    }
  }
  if (received_dropped > 0) {
    warnings->push_back(absl::StrCat(where, " has ", received_seen,
                                     " Received headers; only the first ", kMaxHops,
                                     " are parsed"));
  }
  s.headers = std::move(fields);
  return s;
}

bool IsDaemonSender(const MessageSummary& m) {
  const size_t at = m.from_address.find('@');
  const std::string local = absl::AsciiStrToLower(
      at == std::string::npos ? m.from_address : m.from_address.substr(0, at));
  for (const char* d : kDaemonLocalParts) {
    if (local == d) return true;
  }
  return ContainsIgnoreCase(m.from, "mailer-daemon");
}

bool HasEmptyReturnPath(const MessageSummary& m) {
  const HeaderField* rp = FindField(m.headers, "Return-Path");
  return rp != nullptr && StripAngles(rp->value).empty();
}

bool IsAutomated(const MessageSummary& m) {
  const HeaderField* auto_submitted = FindField(m.headers, "Auto-Submitted");
  if (auto_submitted != nullptr &&
      !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(auto_submitted->value), "no")) {
    return true;
  }
  return IsDaemonSender(m) || HasEmptyReturnPath(m);
}

bool HasBounceSubject(const MessageSummary& m) {
  const std::string subject = absl::AsciiStrToLower(m.subject);
  for (const char* s : kBounceSubjects) {
    if (absl::StrContains(subject, s)) return true;
  }
  return false;
}

// The paragraph of `text` that quotes the remote SMTP reply, or "".
std::string QuotedReply(absl::string_view text) {
  const size_t start = FindReplyWithStatus(text);
  if (start == absl::string_view::npos) return "";
  size_t end = text.find("\n\n", start);
  const size_t crlf = text.find("\r\n\r\n", start);
  end = std::min(end, crlf);
  if (end == absl::string_view::npos) end = text.size();
  end = std::min(end, start + kMaxDiagnosticBytes);
  return std::string(text.substr(start, end - start));
}

// GMime compares every line that starts with "--" against each open
// multipart boundary (up to its nesting limit of about a thousand). A crafted
// mail with a thousand nested multiparts and millions of "--" lines would
// keep it busy for minutes, so the cost is bounded before it starts.
struct BoundaryCost {
  size_t dash_lines = 0;
  size_t boundaries = 0;
};

BoundaryCost EstimateBoundaryCost(absl::string_view mail) {
  BoundaryCost cost;
  for (size_t i = 0; i + 1 < mail.size(); ++i) {
    const bool line_start = i == 0 || mail[i - 1] == '\n';
    if (line_start && mail[i] == '-' && mail[i + 1] == '-') ++cost.dash_lines;
    if ((mail[i] == 'b' || mail[i] == 'B') && i + 9 <= mail.size() &&
        absl::EqualsIgnoreCase(mail.substr(i, 9), "boundary=")) {
      ++cost.boundaries;
    }
  }
  return cost;
}

// GMime reads From, Sender, Reply-To, To, Cc and Bcc into address lists as
// it parses, with a recursion per nested group (":" ... ";") and work that
// grows with the square of the field's length for some malformed lists
// ("a,a,a,..."). A crafted field of a few tens of KiB crashes it (stack
// overflow) or keeps it busy for minutes. Such fields are renamed in the
// copy GMime reads ("From" -> "Xrom", same length) so GMime keeps them as
// plain headers; the renaming is reported as a warning.

constexpr const char* kAddressFields[] = {"From", "Sender", "Reply-To", "To", "Cc", "Bcc"};

// The address field starting at `pos` (a line start), or "".
absl::string_view AddressFieldName(absl::string_view text, size_t pos) {
  for (const char* name : kAddressFields) {
    const size_t n = std::char_traits<char>::length(name);
    if (pos + n >= text.size() || !absl::EqualsIgnoreCase(text.substr(pos, n), name)) continue;
    size_t i = pos + n;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i < text.size() && text[i] == ':') return name;
  }
  return "";
}

void DefuseAddressFields(std::string* copy, int first_line, std::vector<std::string>* warnings) {
  std::string& t = *copy;
  uint64_t work = 0;
  int line = first_line;
  for (size_t pos = 0; pos < t.size();) {
    size_t end = t.find('\n', pos);
    end = end == std::string::npos ? t.size() : end + 1;
    const int start_line = line;
    ++line;
    const absl::string_view name = AddressFieldName(t, pos);
    if (name.empty()) {
      pos = end;
      continue;
    }
    // The field runs over its continuation lines.
    while (end < t.size() && (t[end] == ' ' || t[end] == '\t')) {
      const size_t next = t.find('\n', end);
      end = next == std::string::npos ? t.size() : next + 1;
      ++line;
    }
    const uint64_t length = end - pos;
    const int colons = static_cast<int>(std::count(t.begin() + pos, t.begin() + end, ':'));
    if (length > kMaxAddressFieldBytes || colons > kMaxAddressFieldColons ||
        work + length * length > kMaxAddressWork) {
      t[pos] = 'X';
      if (warnings->size() < kMaxWarnings) {
        warnings->push_back(
            absl::StrCat("line ", start_line, ": a ", name, " field of ", length, " bytes with ",
                         colons, " colons is not read as an address list (crafted or broken)"));
      }
    } else {
      work += length * length;
    }
    pos = end;
  }
}

absl::Status Refuse(absl::string_view source, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", message));
}

}  // namespace

absl::string_view ComplaintKindName(ComplaintKind kind) {
  switch (kind) {
    case ComplaintKind::kPlainMail:
      return "plain_mail";
    case ComplaintKind::kForwarded:
      return "forwarded";
    case ComplaintKind::kBounce:
      return "bounce";
    case ComplaintKind::kVirusNotice:
      return "virus_notice";
    case ComplaintKind::kSpamNotice:
      return "spam_notice";
    case ComplaintKind::kFeedbackReport:
      return "feedback_report";
  }
  return "unknown";
}

absl::string_view OriginalSourceName(OriginalSource source) {
  switch (source) {
    case OriginalSource::kWholeFile:
      return "whole_file";
    case OriginalSource::kAttachedMessage:
      return "attached_message";
    case OriginalSource::kAttachedHeaders:
      return "attached_headers";
    case OriginalSource::kQuotedInText:
      return "quoted_in_text";
  }
  return "unknown";
}

namespace {

// A forwarded message that is itself a bounce, notice or report is read as
// one, this many levels deep.
constexpr int kMaxReportNesting = 2;

bool LooksLikeReport(GMimeMessage* message, const MessageSummary& summary) {
  GMimeObject* body = g_mime_message_get_mime_part(message);
  return (body != nullptr && gmime::MimeType(body) == "multipart/report") || IsAutomated(summary) ||
         HasBounceSubject(summary);
}

absl::StatusOr<Complaint> ParseAt(absl::string_view bytes, absl::string_view source_name,
                                  int depth) {
  if (bytes.size() > kMaxComplaintBytes) {
    return Refuse(source_name, absl::StrCat(bytes.size(), " bytes; a complaint is read only up to ",
                                            kMaxComplaintBytes, " bytes"));
  }
  if (bytes.empty()) return Refuse(source_name, "not a mail message: the file is empty");

  // An mbox "From " separator line (saved mailboxes, sisimai's samples) is
  // not part of the message.
  absl::string_view mail = bytes;
  int first_line = 1;
  if (absl::StartsWith(mail, "From ")) {
    const size_t nl = mail.substr(0, kMaxHeaderLineBytes + 1).find('\n');
    if (nl == absl::string_view::npos) {
      return Refuse(source_name, "not a mail message: an mbox \"From \" line and nothing else");
    }
    mail.remove_prefix(nl + 1);
    first_line = 2;
  }

  // Our own look at the top header block before GMime: it bounds line and
  // block length (so a 100 MB header line is refused after 64 KiB, not
  // buffered) and tells a mail from something else.
  HeaderBlockOptions options;
  options.max_line_bytes = kMaxHeaderLineBytes;
  options.max_block_bytes = kMaxHeaderBlockBytes;
  options.first_line = first_line;
  absl::StatusOr<HeaderBlock> top = ScanHeaderBlock(mail, options);
  if (!top.ok()) {
    const bool not_mail = absl::StrContains(top.status().message(), "no end of the header block");
    return Refuse(source_name,
                  absl::StrCat(not_mail ? "not a mail message: " : "", top.status().message()));
  }
  if (top->fields.empty()) {
    return Refuse(source_name,
                  absl::StrCat("not a mail message: no header block at the start (line ",
                               top->stray_line > 0 ? top->stray_line : first_line,
                               " is not a \"Name: value\" header field)"));
  }
  bool mail_field = false;
  for (const char* name : kMailFields) mail_field = mail_field || FindField(top->fields, name);
  if (!mail_field) {
    return Refuse(source_name, absl::StrCat("not a mail message: the header block (lines ",
                                            first_line, "-", first_line + top->lines - 1,
                                            ") has none of ", absl::StrJoin(kMailFields, ", ")));
  }

  const BoundaryCost cost = EstimateBoundaryCost(mail);
  const uint64_t checks = static_cast<uint64_t>(cost.dash_lines) *
                          std::min<uint64_t>(cost.boundaries, kGMimeMaxNesting);
  if (checks > kMaxBoundaryChecks) {
    return Refuse(source_name, absl::StrCat("too many MIME boundaries to check: ", cost.dash_lines,
                                            " lines start with \"--\" and ", cost.boundaries,
                                            " boundaries are declared (at most ",
                                            kMaxBoundaryChecks, " line-boundary checks)"));
  }

  Complaint c;
  c.source_name = std::string(source_name);
  if (top->stray_line > 0) {
    c.warnings.push_back(absl::StrCat("line ", top->stray_line,
                                      ": not a header field; the header block ends there"));
  }

  std::string gmime_input(mail);
  DefuseAddressFields(&gmime_input, first_line, &c.warnings);

  gmime::EnsureGMimeInitialized();
  // The memory stream copies the bytes; GMime never reads past them.
  ObjectPtr<GMimeStream> stream(
      g_mime_stream_mem_new_with_buffer(gmime_input.data(), gmime_input.size()));
  ObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  gmime::ParserOptionsPtr parser_options(g_mime_parser_options_new());
  std::vector<ParserWarning> parser_warnings;
  g_mime_parser_options_set_warning_callback(parser_options.get(), CollectWarning,
                                             &parser_warnings);
  ObjectPtr<GMimeMessage> message(
      g_mime_parser_construct_message(parser.get(), parser_options.get()));
  if (!message) {
    return Refuse(source_name, "not a mail message: the MIME parser found no message in it");
  }

  // The complaint's own header, from our scan: every field in order.
  c.report = Summarize(top->fields, &c.warnings, "the complaint");

  Walk walk;
  WalkPart(g_mime_message_get_mime_part(message.get()), 0, mail, first_line, &walk);
  for (const ParserWarning& w : parser_warnings) {
    const int line = LineOf(mail, w.offset, first_line);
    c.warnings.push_back(
        absl::StrCat(line > 0 ? absl::StrCat("line ", line, ": ") : "", DescribeParserWarning(w)));
  }
  for (std::string& w : walk.warnings) c.warnings.push_back(std::move(w));
  if (walk.too_many_parts) {
    c.warnings.push_back(
        absl::StrCat("more than ", kMaxMimeParts, " MIME parts; the rest are not examined"));
  }
  if (walk.too_deep) {
    c.warnings.push_back(
        absl::StrCat("MIME parts nested deeper than ", kMaxMimeDepth, " levels are not examined"));
  }

  GMimeObject* body = g_mime_message_get_mime_part(message.get());
  const std::string top_type = body ? gmime::MimeType(body) : "";
  const std::string report_type = body ? gmime::ContentTypeParameter(body, "report-type") : "";
  const bool is_arf = !walk.feedback_contents.empty() ||
                      (top_type == "multipart/report" && report_type == "feedback-report");
  const bool has_dsn = !walk.dsn_contents.empty() ||
                       (top_type == "multipart/report" && report_type == "delivery-status");
  const bool bounce_like = has_dsn || IsDaemonSender(c.report) || HasEmptyReturnPath(c.report) ||
                           HasBounceSubject(c.report);
  const bool automated = bounce_like || IsAutomated(c.report);

  if (!walk.feedback_contents.empty()) {
    absl::StatusOr<FeedbackReport> fr = ParseFeedbackReport(walk.feedback_contents.front());
    if (fr.ok()) {
      c.feedback = std::move(*fr);
    } else {
      c.warnings.push_back(
          absl::StrCat("the feedback report part is unreadable: ", fr.status().message()));
    }
  }
  if (!walk.dsn_contents.empty()) {
    absl::StatusOr<DeliveryStatus> ds = ParseDeliveryStatus(walk.dsn_contents.front());
    if (ds.ok()) {
      c.delivery = std::move(*ds);
    } else {
      c.warnings.push_back(
          absl::StrCat("the delivery-status part is unreadable: ", ds.status().message()));
    }
  }

  // The original: attached whole message, then attached headers, then quoted text.
  const Candidate* attached = nullptr;
  for (const Candidate& cand : walk.candidates) {
    if (cand.source == OriginalSource::kAttachedMessage) {
      attached = &cand;
      break;
    }
  }
  if (attached == nullptr && !walk.candidates.empty()) attached = &walk.candidates.front();

  // Text written by the notice itself: up to a quoted original.
  std::string notice_text;
  std::optional<Quoted> quoted;
  for (const TextPart& t : walk.texts) {
    absl::string_view text = t.text;
    if (attached == nullptr && !quoted) {
      quoted = FindQuotedHeaders(text, /*require_received=*/!automated);
      if (quoted) text = text.substr(0, quoted->offset);
    }
    absl::StrAppend(&notice_text, text, "\n");
  }

  if (attached != nullptr) {
    std::vector<HeaderField> fields;
    if (attached->message != nullptr) {
      int cut = 0;
      fields = gmime::HeaderFieldsOf(GMIME_OBJECT(attached->message), kMaxHeaderValueBytes, &cut);
      if (cut > 0) {
        c.warnings.push_back(absl::StrCat(cut,
                                          " header value(s) of the attached message longer than ",
                                          kMaxHeaderValueBytes, " bytes were cut"));
      }
    } else {
      HeaderBlockOptions nested;
      nested.first_line = 0;
      absl::StatusOr<HeaderBlock> block = ScanHeaderBlock(attached->headers, nested);
      if (block.ok()) {
        fields = std::move(block->fields);
        for (HeaderField& f : fields) f.line = 0;  // lines of the part, not of the file
      } else {
        c.warnings.push_back(
            absl::StrCat("the attached headers are unreadable: ", block.status().message()));
      }
    }
    if (!fields.empty()) {
      c.original = Summarize(std::move(fields), &c.warnings, "the original message");
      c.original_source = attached->source;
    }
  } else if (quoted) {
    for (HeaderField& f : quoted->fields) f.line = 0;
    c.original = Summarize(std::move(quoted->fields), &c.warnings, "the original message");
    c.original_source = OriginalSource::kQuotedInText;
  }

  // Why it was refused, and what the remote server answered.
  if (c.delivery && !c.delivery->recipients.empty()) {
    std::vector<absl::string_view> diagnostics;
    for (const BouncedRecipient& r : c.delivery->recipients) {
      if (!r.diagnostic.empty()) diagnostics.push_back(r.diagnostic);
    }
    const BouncedRecipient& first = c.delivery->recipients.front();
    c.reply.code = first.reply_code;
    c.reply.status = first.status;
    c.diagnostic = first.diagnostic;
    c.reason = ClassifyRejectionText(absl::StrJoin(diagnostics, "\n"));
  } else if (bounce_like) {
    c.diagnostic = QuotedReply(notice_text);
    c.reply = FindSmtpReply(c.diagnostic);
    c.reason = ClassifyRejectionText(c.diagnostic);
  }
  if (!is_arf && automated && c.reason == BounceReason::kUnknown) {
    c.reason = ClassifyRejectionText(absl::StrCat(c.report.subject, "\n", notice_text));
    if (c.reason == BounceReason::kUnknown && ContainsIgnoreCase(c.report.subject, "virus")) {
      c.reason = BounceReason::kVirusDetected;
    }
  }

  if (is_arf) {
    c.kind = ComplaintKind::kFeedbackReport;
    c.reason = BounceReason::kUnknown;
  } else if (c.reason == BounceReason::kVirusDetected) {
    c.kind = ComplaintKind::kVirusNotice;
  } else if (c.reason == BounceReason::kSpamDetected) {
    c.kind = ComplaintKind::kSpamNotice;
  } else if (bounce_like) {
    c.kind = ComplaintKind::kBounce;
  } else if (c.original) {
    c.kind = ComplaintKind::kForwarded;
  } else {
    c.kind = ComplaintKind::kPlainMail;
  }

  // "We got this bounce, you sent it": a report forwarded as an attachment.
  if (c.kind == ComplaintKind::kForwarded && attached != nullptr && attached->message != nullptr &&
      depth < kMaxReportNesting && LooksLikeReport(attached->message, *c.original)) {
    gmime::CharPtr inner_bytes(g_mime_object_to_string(GMIME_OBJECT(attached->message), nullptr));
    absl::StatusOr<Complaint> inner = inner_bytes
                                          ? ParseAt(inner_bytes.get(), source_name, depth + 1)
                                          : absl::InternalError("unserializable");
    if (inner.ok() && inner->kind != ComplaintKind::kPlainMail &&
        inner->kind != ComplaintKind::kForwarded) {
      c.warnings.push_back(absl::StrCat("the attached message is itself a ",
                                        ComplaintKindName(inner->kind),
                                        "; the message it reports is used as the original"));
      for (std::string& w : inner->warnings) {
        c.warnings.push_back(
            absl::StrCat("in the attached ", ComplaintKindName(inner->kind), ": ", std::move(w)));
      }
      c.kind = inner->kind;
      c.reason = inner->reason;
      c.feedback = std::move(inner->feedback);
      c.delivery = std::move(inner->delivery);
      c.reply = std::move(inner->reply);
      c.diagnostic = std::move(inner->diagnostic);
      c.original = std::move(inner->original);
      c.original_source = inner->original_source;
    }
  }

  if (!c.original) {
    if (c.kind == ComplaintKind::kPlainMail) {
      c.original = c.report;
      c.original_source = OriginalSource::kWholeFile;
    } else {
      c.warnings.push_back(absl::StrCat("the ", ComplaintKindName(c.kind),
                                        " carries no copy of the original message"));
    }
  }
  if (c.warnings.size() > kMaxWarnings) {
    const size_t more = c.warnings.size() - kMaxWarnings;
    c.warnings.resize(kMaxWarnings);
    c.warnings.push_back(absl::StrCat("and ", more, " more warnings"));
  }
  return c;
}

}  // namespace

absl::StatusOr<Complaint> ParseComplaint(absl::string_view bytes, absl::string_view source_name) {
  return ParseAt(bytes, source_name, 0);
}

}  // namespace cleansweep::collector::mail
