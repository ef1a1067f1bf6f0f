#include "collector/mail/bounce_reason.h"

#include "absl/strings/ascii.h"

namespace cleansweep::collector::mail {
namespace {

// Phrases from real rejections (the ones sisimai's reason classes match for
// these three reasons, which its test corpus ties to real MTAs). Lower case,
// single spaces.
constexpr const char* kVirusPhrases[] = {
    "virus detected",
    "virus found",
    "a virus was found",
    "a virus was detected",
    "contains a virus",
    "infected with a virus",
    "your message was infected with a virus",
    "malware detected",
    "it has a potentially executable attachment",
    "this form of attachment has been used by recent viruses or other malware",
    "the message was rejected because it contains prohibited virus or spam content",
    // Mimecast 554: "a signature was detected that could either be a virus"
    // (Mimecast's SMTP error code list).
    "email rejected due to security policies",
};

constexpr const char* kReputationPhrases[] = {
    "a poor email reputation score",
    "has been temporarily rate limited due to ip reputation",
    "ip/domain reputation problems",
    "likely suspicious due to the very low reputation",
    "none/bad reputation",
    "temporarily deferred due to unexpected volume or user complaints",
    "the sending mta's poor reputation",
};

constexpr const char* kSpamPhrases[] = {
    "message content rejected",
    "scored as spam",
    "spam detected",
    "detected as spam",
    "looks like spam",
    "appears to be spam",
    "identified as spam",
    "classified as spam",
    "rejected as spam",
    "probable spam",
    "spam message rejected",
    "spam content",
    "spam score",
    "bulk email",
    "blocked by spamassassin",
    "content filter rejection",
    "appears to be unsolicited",
    "our system has detected that this message is",
    "your message has been rejected because it appears to be spam",
};

// Lower case with every run of blanks and line breaks as one space.
std::string Normalize(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

template <size_t N>
bool ContainsAny(absl::string_view text, const char* const (&phrases)[N]) {
  for (const char* p : phrases) {
    if (text.find(p) != absl::string_view::npos) return true;
  }
  return false;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A reply code at `i`: [245]xx not preceded by a digit, '.' or a letter, and
// followed by a blank, '-' or the end.
bool ReplyCodeAt(absl::string_view t, size_t i) {
  if (i + 3 > t.size()) return false;
  if (t[i] != '2' && t[i] != '4' && t[i] != '5') return false;
  if (!IsDigit(t[i + 1]) || !IsDigit(t[i + 2])) return false;
  if (i > 0) {
    const unsigned char p = static_cast<unsigned char>(t[i - 1]);
    if (IsDigit(p) || p == '.' || absl::ascii_isalpha(p) || p == '-' || p == '[') return false;
  }
  if (i + 3 == t.size()) return true;
  const char n = t[i + 3];
  return n == ' ' || n == '-' || n == '\t' || n == '\r' || n == '\n';
}

// Length of an enhanced status code ("5.7.1", "4.2.22") at `i`, or 0.
size_t StatusAt(absl::string_view t, size_t i) {
  if (i >= t.size() || (t[i] != '2' && t[i] != '4' && t[i] != '5')) return 0;
  if (i > 0 && (IsDigit(t[i - 1]) || t[i - 1] == '.')) return 0;
  size_t j = i + 1;
  for (int part = 0; part < 2; ++part) {
    if (j >= t.size() || t[j] != '.') return 0;
    ++j;
    size_t digits = 0;
    while (j < t.size() && IsDigit(t[j]) && digits < 4) {
      ++j;
      ++digits;
    }
    if (digits == 0 || digits > 3) return 0;
  }
  if (j < t.size() && (IsDigit(t[j]) || t[j] == '.')) return 0;
  return j - i;
}

}  // namespace

absl::string_view BounceReasonName(BounceReason reason) {
  switch (reason) {
    case BounceReason::kVirusDetected:
      return "virusdetected";
    case BounceReason::kSpamDetected:
      return "spamdetected";
    case BounceReason::kBadReputation:
      return "badreputation";
    case BounceReason::kUnknown:
      break;
  }
  return "";
}

BounceReason ClassifyRejectionText(absl::string_view text) {
  const std::string t = Normalize(text);
  if (ContainsAny(t, kVirusPhrases)) return BounceReason::kVirusDetected;
  if (ContainsAny(t, kReputationPhrases)) return BounceReason::kBadReputation;
  if (ContainsAny(t, kSpamPhrases)) return BounceReason::kSpamDetected;
  // Amavis/Exim "Reject, id=... - SPAM. See ...".
  const size_t reject = t.find("reject,");
  if (reject != std::string::npos && t.find(" - spam.", reject) != std::string::npos) {
    return BounceReason::kSpamDetected;
  }
  return BounceReason::kUnknown;
}

SmtpReply FindSmtpReply(absl::string_view text) {
  SmtpReply reply;
  for (size_t i = 0; i < text.size() && (reply.code == 0 || reply.status.empty()); ++i) {
    if (reply.code == 0 && ReplyCodeAt(text, i)) {
      reply.code = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
      i += 2;
      continue;
    }
    if (reply.status.empty()) {
      if (const size_t n = StatusAt(text, i); n > 0) {
        reply.status = std::string(text.substr(i, n));
        i += n - 1;
      }
    }
  }
  return reply;
}

size_t FindReplyWithStatus(absl::string_view text) {
  for (size_t i = 0; i + 4 < text.size(); ++i) {
    if (!ReplyCodeAt(text, i)) continue;
    size_t j = i + 4;
    while (j < text.size() && text[j] == ' ') ++j;
    if (StatusAt(text, j) > 0) return i;
  }
  return absl::string_view::npos;
}

}  // namespace cleansweep::collector::mail
