#include "collector/mail/received.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "collector/mail/header_block.h"
#include "collector/mail/ip_literal.h"
#include "collector/mail/mail_date.h"

namespace cleansweep::collector::mail {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// For every '(' in `text`, the index of its matching ')' (npos when it is
// never closed). One pass with a stack: linear in the input.
std::vector<size_t> MatchParens(absl::string_view text) {
  std::vector<size_t> close(text.size(), absl::string_view::npos);
  std::vector<size_t> open;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') {
      open.push_back(i);
    } else if (text[i] == ')' && !open.empty()) {
      close[open.back()] = i;
      open.pop_back();
    }
  }
  return close;
}

struct Item {
  bool comment = false;
  absl::string_view text;  // a word, or a comment's inside
};

// Words and top-level comments of the clause part. A matched '(' opens a
// comment up to its ')'; an unmatched one opens a comment that ends at the
// next blank, so one stray parenthesis cannot swallow the clauses after it.
std::vector<Item> Tokenize(absl::string_view text, const std::vector<size_t>& close) {
  std::vector<Item> items;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (IsSpace(c)) {
      ++i;
    } else if (c == '(') {
      size_t end = close[i];
      if (end != absl::string_view::npos) {
        items.push_back({true, text.substr(i + 1, end - i - 1)});
        i = end + 1;
      } else {
        end = i + 1;
        while (end < text.size() && !IsSpace(text[end])) ++end;
        items.push_back({true, text.substr(i + 1, end - i - 1)});
        i = end;
      }
    } else if (c == ')') {
      ++i;  // a stray closer
    } else {
      size_t end = i;
      while (end < text.size() && !IsSpace(text[end]) && text[end] != '(' && text[end] != ')') {
        ++end;
      }
      items.push_back({false, text.substr(i, end - i)});
      i = end;
    }
  }
  return items;
}

enum class Clause { kNone, kFrom, kBy, kVia, kWith, kId, kFor };

Clause KeywordOf(absl::string_view word) {
  if (absl::EqualsIgnoreCase(word, "from")) return Clause::kFrom;
  if (absl::EqualsIgnoreCase(word, "by")) return Clause::kBy;
  if (absl::EqualsIgnoreCase(word, "via")) return Clause::kVia;
  if (absl::EqualsIgnoreCase(word, "with")) return Clause::kWith;
  if (absl::EqualsIgnoreCase(word, "id")) return Clause::kId;
  if (absl::EqualsIgnoreCase(word, "for")) return Clause::kFor;
  return Clause::kNone;
}

absl::string_view StripAngles(absl::string_view s) {
  while (!s.empty() && (s.back() == ',' || s.back() == ';')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '<') s.remove_prefix(1);
  if (!s.empty() && s.back() == '>') s.remove_suffix(1);
  return s;
}

// The words inside a comment, split on blanks and parentheses.
std::vector<absl::string_view> Words(absl::string_view text) {
  std::vector<absl::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (IsSpace(text[i]) || text[i] == '(' || text[i] == ')')) ++i;
    size_t end = i;
    while (end < text.size() && !IsSpace(text[end]) && text[end] != '(' && text[end] != ')') {
      ++end;
    }
    if (end > i) out.push_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}

// The address in "[...]" inside `word` ("[192.0.2.1]", "user@[192.0.2.1]",
// "[192.0.2.1]," ...), if there is one.
std::optional<IpAddress> BracketedAddress(absl::string_view word) {
  const size_t open = word.rfind('[');
  if (open == absl::string_view::npos) return std::nullopt;
  const size_t close = word.find(']', open);
  if (close == absl::string_view::npos) return std::nullopt;
  return ParseIpLiteral(word.substr(open, close - open + 1));
}

bool IsUnknown(absl::string_view name) {
  return name.empty() || absl::EqualsIgnoreCase(name, "unknown");
}

bool IsHeloKeyword(absl::string_view w) {
  return absl::EqualsIgnoreCase(w, "HELO") || absl::EqualsIgnoreCase(w, "EHLO") ||
         absl::EqualsIgnoreCase(w, "LHLO");
}

// What the comments and stray words of the from clause say.
struct FromInfo {
  std::optional<IpAddress> bracketed;  // "[ip]" in a comment or word
  std::optional<IpAddress> bare;       // a comment that is just an address
  std::string rdns_candidate;          // the name before "[ip]" in the same comment
  bool rdns_candidate_seen = false;
  std::string explicit_helo;
  bool helo_seen = false;
  std::string envelope_from;
};

void ReadFromComment(absl::string_view inside, FromInfo* info) {
  // qmail's "(192.0.2.1)": the whole comment is a bare address.
  if (!info->bare && absl::StripLeadingAsciiWhitespace(inside).substr(0, 1) != "[") {
    if (std::optional<IpAddress> ip = ParseIpLiteral(inside)) {
      info->bare = ip;
      return;
    }
  }
  const std::vector<absl::string_view> words = Words(inside);
  for (size_t i = 0; i < words.size(); ++i) {
    absl::string_view w = words[i];
    if (IsHeloKeyword(w) && i + 1 < words.size()) {
      if (!info->helo_seen) {
        info->explicit_helo = std::string(StripAngles(words[i + 1]));
        info->helo_seen = true;
      }
      ++i;
      continue;
    }
    if (w.size() > 5 && absl::EqualsIgnoreCase(w.substr(0, 5), "helo=")) {
      if (!info->helo_seen) {
        info->explicit_helo = std::string(StripAngles(w.substr(5)));
        info->helo_seen = true;
      }
      continue;
    }
    if ((absl::EqualsIgnoreCase(w, "envelope-from") ||
         absl::EqualsIgnoreCase(w, "envelope-sender")) &&
        i + 1 < words.size()) {
      if (info->envelope_from.empty()) info->envelope_from = std::string(StripAngles(words[i + 1]));
      ++i;
      continue;
    }
    if (std::optional<IpAddress> ip = BracketedAddress(w)) {
      if (!info->bracketed) {
        info->bracketed = ip;
        // "(rdns [ip])": the word right before the literal, first in the comment.
        if (i == 1 && !info->rdns_candidate_seen && w.front() == '[') {
          absl::string_view name = words[0];
          const size_t at = name.rfind('@');  // Sendmail "(ident@rdns [ip])"
          if (at != absl::string_view::npos) name = name.substr(at + 1);
          info->rdns_candidate = IsUnknown(name) ? "" : std::string(name);
          info->rdns_candidate_seen = true;
        }
      }
    }
  }
}

bool IsAuthenticatedProtocol(absl::string_view with) {
  static constexpr const char* kAuth[] = {"ESMTPA",    "ESMTPSA",    "LMTPA", "LMTPSA",
                                          "UTF8SMTPA", "UTF8SMTPSA", "ASMTP"};
  for (const char* p : kAuth) {
    if (absl::EqualsIgnoreCase(with, p)) return true;
  }
  return false;
}

}  // namespace

ReceivedHop ParseReceived(absl::string_view value) {
  ReceivedHop hop;
  hop.raw = UnfoldHeaderValue(value);
  absl::string_view raw = hop.raw;

  // The date follows the last ';' outside (matched) comments.
  const std::vector<size_t> close = MatchParens(raw);
  size_t semicolon = absl::string_view::npos;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '(' && close[i] != absl::string_view::npos) {
      i = close[i];
    } else if (raw[i] == ';') {
      semicolon = i;
    }
  }
  absl::string_view clauses = raw;
  if (semicolon != absl::string_view::npos) {
    clauses = raw.substr(0, semicolon);
    hop.date_text = std::string(absl::StripAsciiWhitespace(raw.substr(semicolon + 1)));
    hop.date = ParseMailDate(hop.date_text);
  }
  if (clauses.size() > kMaxReceivedClauseBytes)
    clauses = clauses.substr(0, kMaxReceivedClauseBytes);

  // Parenthesis matches are positions in `raw`; `clauses` is a prefix of it.
  const std::vector<Item> items = Tokenize(clauses, close);
  Clause current = Clause::kNone;
  int seen = 0;
  bool want_value = false;
  FromInfo from;
  std::vector<absl::string_view> with_words;
  for (const Item& item : items) {
    if (!item.comment) {
      const Clause keyword = KeywordOf(item.text);
      if (keyword != Clause::kNone) {
        // A clause named twice keeps its first value; what follows the
        // repetition is ignored (Clause::kNone).
        const int bit = 1 << static_cast<int>(keyword);
        current = (seen & bit) ? Clause::kNone : keyword;
        seen |= bit;
        want_value = current != Clause::kNone;
        continue;
      }
    }
    if (want_value && !item.comment) {
      want_value = false;
      switch (current) {
        case Clause::kFrom:
          hop.from_name = std::string(item.text);
          break;
        case Clause::kBy:
          hop.by = std::string(StripAngles(item.text));
          break;
        case Clause::kVia:
          hop.via = std::string(item.text);
          break;
        case Clause::kWith:
          with_words.push_back(item.text);
          break;
        case Clause::kId:
          hop.id = std::string(StripAngles(item.text));
          break;
        case Clause::kFor:
          hop.for_address = std::string(StripAngles(item.text));
          break;
        case Clause::kNone:
          break;
      }
      continue;
    }
    // Comments and further words of the current clause.
    if (item.comment) {
      if (current == Clause::kFrom) {
        ReadFromComment(item.text, &from);
      } else if (from.envelope_from.empty()) {
        // Exim and ecelerity put "(envelope-from <a@b>)" after "by".
        const std::vector<absl::string_view> words = Words(item.text);
        if (words.size() >= 2 && (absl::EqualsIgnoreCase(words[0], "envelope-from") ||
                                  absl::EqualsIgnoreCase(words[0], "envelope-sender"))) {
          from.envelope_from = std::string(StripAngles(words[1]));
        }
      }
    } else if (current == Clause::kFrom && !from.bracketed) {
      from.bracketed = BracketedAddress(item.text);
    } else if (current == Clause::kWith && with_words.size() < 4) {
      with_words.push_back(item.text);
    }
  }

  hop.with = absl::StrJoin(with_words, " ");
  hop.authenticated = !with_words.empty() && IsAuthenticatedProtocol(with_words[0]);
  hop.envelope_from = from.envelope_from;

  if (from.bracketed) {
    hop.from_ip = from.bracketed;
  } else if (from.bare) {
    hop.from_ip = from.bare;
  } else if (!hop.from_name.empty()) {
    hop.from_ip = ParseIpLiteral(hop.from_name);
  }
  const bool name_is_address = ParseIpLiteral(hop.from_name).has_value();
  if (from.helo_seen) {
    // qmail "from RDNS (HELO x) (ip)", Exim "from RDNS ([ip] helo=x)".
    hop.from_helo = from.explicit_helo;
    if (!IsUnknown(hop.from_name) && !name_is_address) hop.from_rdns = hop.from_name;
  } else if (from.rdns_candidate_seen) {
    hop.from_helo = hop.from_name;
    hop.from_rdns = from.rdns_candidate;
  } else if (from.bare && !from.bracketed) {
    // qmail omits HELO when it equals the remote host's rDNS name.
    hop.from_helo = hop.from_name;
    if (!IsUnknown(hop.from_name) && !name_is_address) hop.from_rdns = hop.from_name;
  } else {
    hop.from_helo = hop.from_name;
  }
  return hop;
}

}  // namespace cleansweep::collector::mail
