#include "agent/smtp/smtp_parser.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace cleansweep::agent {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimBlanks(absl::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Removes a source route ("@a,@b:user@host" -> "user@host", RFC 5321 4.1.2).
absl::string_view StripSourceRoute(absl::string_view addr) {
  if (!addr.empty() && addr.front() == '@') {
    size_t colon = addr.find(':');
    if (colon != absl::string_view::npos) return addr.substr(colon + 1);
  }
  return addr;
}

// The text between '<' at `open` and its matching '>', honouring a quoted
// local part ("a>b"@c). Returns false if there is no closing bracket.
bool InsideBrackets(absl::string_view text, size_t open, absl::string_view* inside) {
  bool quoted = false;
  for (size_t i = open + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && quoted) {
      ++i;  // skip the escaped character
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == '>' && !quoted) {
      *inside = text.substr(open + 1, i - open - 1);
      return true;
    }
  }
  return false;
}

struct VerbName {
  const char* name;
  SmtpVerb verb;
};
constexpr VerbName kVerbs[] = {
    {"HELO", SmtpVerb::kHelo}, {"EHLO", SmtpVerb::kEhlo},     {"MAIL", SmtpVerb::kMail},
    {"RCPT", SmtpVerb::kRcpt}, {"DATA", SmtpVerb::kData},     {"BDAT", SmtpVerb::kBdat},
    {"RSET", SmtpVerb::kRset}, {"STARTTLS", SmtpVerb::kStarttls}, {"QUIT", SmtpVerb::kQuit},
    {"AUTH", SmtpVerb::kAuth}, {"NOOP", SmtpVerb::kNoop},
};

}  // namespace

LineAssembler::Result LineAssembler::Next(absl::string_view* data, absl::string_view* line) {
  if (clear_next_) {
    buffer_.clear();
    clear_next_ = false;
  }
  while (!data->empty()) {
    const size_t lf = data->find('\n');
    if (skipping_) {
      if (lf == absl::string_view::npos) {
        data->remove_prefix(data->size());
        return Result::kNeedMore;
      }
      data->remove_prefix(lf + 1);
      skipping_ = false;
      continue;
    }
    const size_t take = lf == absl::string_view::npos ? data->size() : lf;
    // The limit is on the line without its CR LF; one byte of slack holds a
    // CR whose LF is still to come.
    size_t length = buffer_.size() + take;
    if (lf != absl::string_view::npos && length > 0 &&
        (take > 0 ? (*data)[take - 1] : buffer_.back()) == '\r') {
      --length;
    }
    if (length > max_line_ + (lf == absl::string_view::npos ? 1 : 0)) {
      // Over-long: drop what we hold and skip to the end of this line.
      buffer_.clear();
      if (lf == absl::string_view::npos) {
        skipping_ = true;
        data->remove_prefix(data->size());
      } else {
        data->remove_prefix(lf + 1);
      }
      return Result::kTooLong;
    }
    if (lf == absl::string_view::npos) {
      buffer_.append(data->data(), data->size());
      data->remove_prefix(data->size());
      return Result::kNeedMore;
    }
    absl::string_view complete;
    if (buffer_.empty()) {
      complete = data->substr(0, lf);  // common case: the whole line is in this chunk
    } else {
      buffer_.append(data->data(), lf);
      complete = buffer_;
    }
    data->remove_prefix(lf + 1);
    if (!complete.empty() && complete.back() == '\r') complete.remove_suffix(1);
    // The returned view may point into buffer_: clear it on the next call.
    clear_next_ = !buffer_.empty();
    *line = complete;
    return Result::kLine;
  }
  return Result::kNeedMore;
}

void LineAssembler::Resync() {
  buffer_.clear();
  clear_next_ = false;
  skipping_ = true;
}

void LineAssembler::Reset() {
  buffer_.clear();
  clear_next_ = false;
  skipping_ = false;
}

bool ExtractAddress(absl::string_view text, std::string* address) {
  text = TrimBlanks(text);
  if (text.empty()) return false;
  // Forms with brackets: "<a@b> SIZE=1", "\"Name\" <a@b>", "Name <a@b>".
  // Only look for '<' before any ESMTP parameter: in `a@b SIZE=<x>` the
  // address has no brackets.
  size_t open = absl::string_view::npos;
  if (text.front() == '<') {
    open = 0;
  } else {
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '"') quoted = !quoted;
      if (!quoted && text[i] == '<') {
        open = i;
        break;
      }
      if (!quoted && text[i] == '=') break;  // reached a parameter like SIZE=
    }
  }
  absl::string_view inside;
  if (open != absl::string_view::npos && InsideBrackets(text, open, &inside)) {
    *address = std::string(StripSourceRoute(TrimBlanks(inside)));
    return true;
  }
  if (open == 0) {
    // "<a@b" without the closing bracket: take up to the first blank.
    text.remove_prefix(1);
  }
  // Bare addr-spec: up to the first blank (parameters follow).
  size_t end = 0;
  bool quoted = false;
  while (end < text.size() && (quoted || !IsBlank(text[end]))) {
    if (text[end] == '"') quoted = !quoted;
    ++end;
  }
  absl::string_view bare = text.substr(0, end);
  if (!bare.empty() && bare.back() == '>') bare.remove_suffix(1);
  if (bare.empty()) return false;
  *address = std::string(StripSourceRoute(bare));
  return true;
}

SmtpCommand ParseCommand(absl::string_view line) {
  SmtpCommand cmd;
  // Leading blanks are tolerated; the verb runs to the first blank.
  size_t start = 0;
  while (start < line.size() && IsBlank(line[start])) ++start;
  size_t end = start;
  while (end < line.size() && !IsBlank(line[end]) && line[end] != '\r') ++end;
  cmd.word = line.substr(start, end - start);
  if (cmd.word.empty()) return cmd;
  cmd.word_is_alpha = true;
  for (char c : cmd.word) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      cmd.word_is_alpha = false;
      break;
    }
  }
  cmd.argument = TrimBlanks(line.substr(end));

  // Verbs are case-insensitive ("mail from:", "Rcpt To:"). A glued
  // "MAILFROM:" is refused by servers and not recognised here either.
  cmd.verb = SmtpVerb::kUnknown;
  for (const VerbName& v : kVerbs) {
    if (absl::EqualsIgnoreCase(cmd.word, v.name)) {
      cmd.verb = v.verb;
      break;
    }
  }
  if (cmd.verb == SmtpVerb::kUnknown && !cmd.word_is_alpha) {
    // Not a word of letters: message text, binary junk.
    cmd.verb = SmtpVerb::kNone;
  }

  if (cmd.verb == SmtpVerb::kMail || cmd.verb == SmtpVerb::kRcpt) {
    const absl::string_view keyword = cmd.verb == SmtpVerb::kMail ? "FROM" : "TO";
    absl::string_view arg = cmd.argument;
    if (arg.size() >= keyword.size() &&
        absl::EqualsIgnoreCase(arg.substr(0, keyword.size()), keyword)) {
      arg.remove_prefix(keyword.size());
      // Blanks before the colon are a common client error ("MAIL FROM :<x>").
      while (!arg.empty() && IsBlank(arg.front())) arg.remove_prefix(1);
      if (!arg.empty() && arg.front() == ':') {
        arg.remove_prefix(1);
        if (cmd.verb == SmtpVerb::kMail && absl::StartsWith(TrimBlanks(arg), "<>")) {
          cmd.has_address = true;  // the null reverse-path
          cmd.address.clear();
        } else {
          cmd.has_address = ExtractAddress(arg, &cmd.address);
        }
      }
    }
  } else if (cmd.verb == SmtpVerb::kBdat) {
    absl::string_view arg = cmd.argument;
    size_t blank = 0;
    while (blank < arg.size() && !IsBlank(arg[blank])) ++blank;
    absl::string_view size_text = arg.substr(0, blank);
    uint64_t size = 0;
    if (!size_text.empty() && size_text.size() <= 19 && absl::SimpleAtoi(size_text, &size)) {
      cmd.bdat_valid = true;
      cmd.bdat_size = size;
      cmd.bdat_last = absl::EqualsIgnoreCase(TrimBlanks(arg.substr(blank)), "LAST");
    }
  }
  return cmd;
}

SmtpReplyLine ParseReplyLine(absl::string_view line) {
  SmtpReplyLine reply;
  if (line.size() < 3) return reply;
  uint32_t code = 0;
  for (size_t i = 0; i < 3; ++i) {
    const char c = line[i];
    if (c < '0' || c > '9') return reply;
    code = code * 10 + static_cast<uint32_t>(c - '0');
  }
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return reply;
  reply.valid = true;
  reply.code = code;
  reply.continuation = line.size() > 3 && line[3] == '-';
  reply.text = line.size() > 4 ? line.substr(4) : absl::string_view();
  return reply;
}

bool LooksLikeTlsRecord(absl::string_view data) {
  return data.size() >= 2 && static_cast<uint8_t>(data[0]) == 0x16 &&
         static_cast<uint8_t>(data[1]) == 0x03;
}

}  // namespace cleansweep::agent
