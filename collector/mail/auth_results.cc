#include "collector/mail/auth_results.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "collector/mail/header_block.h"

namespace cleansweep::collector::mail {
namespace {

constexpr const char* kResults[] = {"pass",     "fail",      "softfail",  "neutral",
                                    "none",     "temperror", "permerror", "policy",
                                    "hardfail", "unknown",   "error"};

bool IsResultWord(absl::string_view w) {
  for (const char* r : kResults) {
    if (absl::EqualsIgnoreCase(w, r)) return true;
  }
  return false;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A segment's words and comments, in order. Quoted strings stay one word
// (quotes removed); comments may nest; an unclosed comment or quote ends at
// the end of the text.
struct Token {
  bool comment = false;
  std::string text;
};

std::vector<Token> TokenizeSegment(absl::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    if (IsSpace(s[i])) {
      ++i;
      continue;
    }
    if (s[i] == '(') {
      int depth = 0;
      size_t start = i + 1;
      for (; i < s.size(); ++i) {
        if (s[i] == '(') ++depth;
        if (s[i] == ')' && --depth == 0) break;
      }
      const size_t end = std::min(i, s.size());
      out.push_back({true, std::string(absl::StripAsciiWhitespace(s.substr(start, end - start)))});
      ++i;
      continue;
    }
    std::string word;
    while (i < s.size() && !IsSpace(s[i]) && s[i] != '(') {
      if (s[i] == '"') {
        ++i;
        while (i < s.size() && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          word.push_back(s[i++]);
        }
        if (i < s.size()) ++i;  // closing quote
        continue;
      }
      word.push_back(s[i++]);
    }
    out.push_back({false, std::move(word)});
  }
  return out;
}

// Splits on `sep` outside comments and quoted strings.
std::vector<absl::string_view> SplitOutside(absl::string_view s, char sep) {
  std::vector<absl::string_view> out;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"' && depth == 0) {
      quoted = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (depth > 0) --depth;
    } else if (c == sep && depth == 0) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

absl::string_view DomainPart(absl::string_view addr) {
  const size_t at = addr.rfind('@');
  return at == absl::string_view::npos ? addr : addr.substr(at + 1);
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

const std::string* Property(const AuthResult& r, absl::string_view key) {
  for (const auto& [k, v] : r.properties) {
    if (absl::EqualsIgnoreCase(k, key) && !v.empty()) return &v;
  }
  return nullptr;
}

// "... domain of X designates 192.0.2.1 as permitted sender" (and "does not
// designate"), the comment Google, Yahoo and libspf2 write.
void FromSpfComment(absl::string_view comment, AuthResult* r) {
  std::vector<absl::string_view> words;
  for (absl::string_view w : SplitOutside(comment, ' ')) {
    if (!w.empty()) words.push_back(w);
  }
  for (size_t i = 0; i + 2 < words.size(); ++i) {
    if (!absl::EqualsIgnoreCase(words[i], "domain") ||
        !absl::EqualsIgnoreCase(words[i + 1], "of")) {
      continue;
    }
    if (r->domain.empty()) r->domain = Lower(DomainPart(words[i + 2]));
    for (size_t j = i + 3; j + 1 < words.size() && j < i + 8; ++j) {
      if (absl::EqualsIgnoreCase(words[j], "designates") ||
          absl::EqualsIgnoreCase(words[j], "designate")) {
        if (r->ip.empty()) r->ip = std::string(words[j + 1]);
        break;
      }
    }
    return;
  }
}

void FillDomain(AuthResult* r) {
  const std::string& m = r->method;
  if (m == "spf") {
    const std::string* v = Property(*r, "smtp.mailfrom");
    if (!v) v = Property(*r, "smtp.mail");  // seen in the wild for smtp.mailfrom
    if (!v) v = Property(*r, "smtp.helo");
    if (v) r->domain = Lower(DomainPart(*v));
    if (const std::string* ip = Property(*r, "smtp.client-ip")) r->ip = *ip;
    if (r->domain.empty() || r->ip.empty()) FromSpfComment(r->reason, r);
  } else if (m == "dkim" || m == "domainkeys") {
    if (const std::string* d = Property(*r, "header.d")) {
      r->domain = Lower(*d);
    } else if (const std::string* id = Property(*r, "header.i")) {
      r->domain = Lower(DomainPart(*id));
    }
  } else if (m == "dmarc") {
    if (const std::string* f = Property(*r, "header.from")) r->domain = Lower(*f);
  } else if (m == "iprev") {
    if (const std::string* ip = Property(*r, "policy.iprev")) r->ip = *ip;
  }
}

// "method[/version]=result" followed by reason= and ptype.property=value.
std::optional<AuthResult> ParseResinfo(const std::vector<Token>& tokens) {
  size_t i = 0;
  while (i < tokens.size() && tokens[i].comment) ++i;
  if (i == tokens.size()) return std::nullopt;
  absl::string_view spec = tokens[i].text;
  const size_t eq = spec.find('=');
  if (eq == absl::string_view::npos || eq == 0) return std::nullopt;
  absl::string_view method = spec.substr(0, eq);
  const size_t slash = method.find('/');
  if (slash != absl::string_view::npos) method = method.substr(0, slash);
  absl::string_view result = spec.substr(eq + 1);
  if (!IsResultWord(result)) return std::nullopt;
  AuthResult r;
  r.method = Lower(method);
  r.result = Lower(result);
  for (++i; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.comment) {
      if (r.reason.empty()) r.reason = t.text;
      continue;
    }
    const size_t e = t.text.find('=');
    if (e == std::string::npos) continue;
    const std::string key = t.text.substr(0, e);
    std::string val = t.text.substr(e + 1);
    if (absl::EqualsIgnoreCase(key, "reason")) {
      r.reason = std::move(val);
    } else {
      r.properties.emplace_back(key, std::move(val));
    }
  }
  FillDomain(&r);
  return r;
}

int ParseInstance(absl::string_view segment) {
  segment = absl::StripAsciiWhitespace(segment);
  int n = 0;
  if (segment.size() > 2 && absl::EqualsIgnoreCase(segment.substr(0, 2), "i=") &&
      absl::SimpleAtoi(segment.substr(2), &n)) {
    return n;
  }
  return 0;
}

}  // namespace

std::vector<AuthResult> ParseAuthenticationResults(absl::string_view value,
                                                   absl::string_view header) {
  std::vector<AuthResult> out;
  const std::string unfolded = UnfoldHeaderValue(value);
  std::vector<absl::string_view> segments = SplitOutside(unfolded, ';');
  size_t first = 0;
  int instance = 0;
  if (!segments.empty() && (instance = ParseInstance(segments[0])) > 0) first = 1;
  std::string authserv;
  for (size_t s = first; s < segments.size(); ++s) {
    const std::vector<Token> tokens = TokenizeSegment(segments[s]);
    if (std::optional<AuthResult> r = ParseResinfo(tokens)) {
      r->header = std::string(header);
      r->authserv_id = authserv;
      r->arc_instance = instance;
      out.push_back(std::move(*r));
    } else if (s == first) {
      // The authserv-id (and an optional version, or decorations after it).
      for (const Token& t : tokens) {
        if (!t.comment) {
          authserv = t.text;
          break;
        }
      }
    }
  }
  return out;
}

std::vector<AuthResult> ParseReceivedSpf(absl::string_view value) {
  const std::string unfolded = UnfoldHeaderValue(value);
  const std::vector<Token> tokens = TokenizeSegment(unfolded);
  size_t i = 0;
  while (i < tokens.size() && tokens[i].comment) ++i;
  if (i == tokens.size() || !IsResultWord(tokens[i].text)) return {};
  AuthResult r;
  r.header = "Received-SPF";
  r.method = "spf";
  r.result = Lower(tokens[i].text);
  for (++i; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (t.comment) {
      if (r.reason.empty()) r.reason = t.text;
      continue;
    }
    std::string word = t.text;
    while (!word.empty() && word.back() == ';') word.pop_back();
    const size_t e = word.find('=');
    if (e == std::string::npos) continue;
    r.properties.emplace_back(word.substr(0, e), word.substr(e + 1));
  }
  if (const std::string* v = Property(r, "receiver")) r.authserv_id = *v;
  if (const std::string* v = Property(r, "client-ip")) r.ip = *v;
  const std::string* identity = Property(r, "identity");
  const std::string* envelope = Property(r, "envelope-from");
  const std::string* helo = Property(r, "helo");
  if (identity && absl::EqualsIgnoreCase(*identity, "helo") && helo) {
    r.domain = Lower(*helo);
  } else if (envelope) {
    r.domain = Lower(DomainPart(*envelope));
  } else if (helo) {
    r.domain = Lower(*helo);
  }
  if (r.domain.empty() || r.ip.empty()) FromSpfComment(r.reason, &r);
  return {std::move(r)};
}

std::vector<AuthResult> ParseArcSeal(absl::string_view value) {
  const std::string unfolded = UnfoldHeaderValue(value);
  AuthResult r;
  r.header = "ARC-Seal";
  r.method = "arc";
  for (absl::string_view tag : SplitOutside(unfolded, ';')) {
    tag = absl::StripAsciiWhitespace(tag);
    const size_t e = tag.find('=');
    if (e == absl::string_view::npos) continue;
    absl::string_view key = absl::StripAsciiWhitespace(tag.substr(0, e));
    absl::string_view val = absl::StripAsciiWhitespace(tag.substr(e + 1));
    if (absl::EqualsIgnoreCase(key, "cv")) r.result = Lower(val);
    if (absl::EqualsIgnoreCase(key, "d")) r.domain = Lower(val);
    if (absl::EqualsIgnoreCase(key, "i") && !absl::SimpleAtoi(val, &r.arc_instance)) {
      r.arc_instance = 0;
    }
  }
  if (!IsResultWord(r.result)) return {};
  return {std::move(r)};
}

}  // namespace cleansweep::collector::mail
