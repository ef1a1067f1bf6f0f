#include "collector/mail/mail_date.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"

namespace cleansweep::collector::mail {
namespace {

constexpr size_t kMaxDateBytes = 200;

struct NamedZone {
  const char* name;
  int minutes;  // east of UTC
};

// RFC 5322 section 4.3 names, plus abbreviations that mean one offset only
// (IST, BST and the like are ambiguous and stay unknown).
constexpr NamedZone kZones[] = {
    {"UT", 0},         {"UTC", 0},        {"GMT", 0},       {"Z", 0},          {"EST", -5 * 60},
    {"EDT", -4 * 60},  {"CST", -6 * 60},  {"CDT", -5 * 60}, {"MST", -7 * 60},  {"MDT", -6 * 60},
    {"PST", -8 * 60},  {"PDT", -7 * 60},  {"JST", 9 * 60},  {"KST", 9 * 60},   {"CET", 60},
    {"CEST", 120},     {"EET", 120},      {"EEST", 180},    {"WET", 0},        {"WEST", 60},
    {"MSK", 180},      {"HKT", 8 * 60},   {"SGT", 8 * 60},  {"AEST", 10 * 60}, {"AEDT", 11 * 60},
    {"NZST", 12 * 60}, {"NZDT", 13 * 60},
};

constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// Splits on whitespace and commas, dropping (possibly nested) comments.
std::vector<absl::string_view> Tokens(absl::string_view text) {
  std::vector<absl::string_view> out;
  int depth = 0;
  size_t start = absl::string_view::npos;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ' ';
    const bool separator =
        c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '(' || c == ')';
    if (separator && start != absl::string_view::npos) {
      if (depth == 0) out.push_back(text.substr(start, i - start));
      start = absl::string_view::npos;
    }
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (depth > 0) --depth;
    } else if (!separator && start == absl::string_view::npos) {
      start = i;
    }
  }
  return out;
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int Number(absl::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

int MonthIndex(absl::string_view token) {
  if (token.size() < 3) return -1;
  for (int i = 0; i < 12; ++i) {
    if (absl::EqualsIgnoreCase(token.substr(0, 3), kMonths[i])) return i + 1;
  }
  return -1;
}

bool IsDayName(absl::string_view token) {
  if (token.size() < 3) return false;
  for (const char* d : kDays) {
    if (absl::EqualsIgnoreCase(token.substr(0, 3), d)) return true;
  }
  return false;
}

// "hh:mm" or "hh:mm:ss", 1-2 digits each.
bool ParseClock(absl::string_view token, int* h, int* m, int* s) {
  int parts[3] = {0, 0, 0};
  int count = 0;
  size_t start = 0;
  for (size_t i = 0; i <= token.size(); ++i) {
    if (i == token.size() || token[i] == ':') {
      absl::string_view part = token.substr(start, i - start);
      if (count == 3 || part.empty() || part.size() > 2 || !AllDigits(part)) return false;
      parts[count++] = Number(part);
      start = i + 1;
    }
  }
  if (count < 2) return false;
  *h = parts[0];
  *m = parts[1];
  *s = parts[2];
  return *h <= 23 && *m <= 59 && *s <= 60;
}

std::optional<int> ZoneMinutes(absl::string_view token) {
  if (token.size() == 5 && (token[0] == '+' || token[0] == '-') && AllDigits(token.substr(1))) {
    const int hh = Number(token.substr(1, 2));
    const int mm = Number(token.substr(3, 2));
    if (hh > 23 || mm > 59) return std::nullopt;
    const int minutes = hh * 60 + mm;
    return token[0] == '-' ? -minutes : minutes;
  }
  for (const NamedZone& z : kZones) {
    if (absl::EqualsIgnoreCase(token, z.name)) return z.minutes;
  }
  return std::nullopt;
}

}  // namespace

std::optional<absl::Time> ParseMailDate(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty() || text.size() > kMaxDateBytes) return std::nullopt;
  const std::vector<absl::string_view> tokens = Tokens(text);
  size_t i = 0;
  if (i < tokens.size() && IsDayName(tokens[i])) ++i;
  // day month year
  if (i + 3 > tokens.size()) return std::nullopt;
  if (!AllDigits(tokens[i]) || tokens[i].size() > 2) return std::nullopt;
  const int day = Number(tokens[i++]);
  const int month = MonthIndex(tokens[i++]);
  if (month < 0) return std::nullopt;
  absl::string_view year_text = tokens[i++];
  if (!AllDigits(year_text) || year_text.size() < 2 || year_text.size() > 4) return std::nullopt;
  int year = Number(year_text);
  if (year_text.size() == 2) year += year < 50 ? 2000 : 1900;
  if (year_text.size() == 3) year += 1900;
  if (i >= tokens.size()) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  if (!ParseClock(tokens[i++], &hour, &minute, &second)) return std::nullopt;
  if (second == 60) second = 59;  // a leap second: the minute is what matters
  if (i >= tokens.size()) return std::nullopt;
  const std::optional<int> zone = ZoneMinutes(tokens[i]);
  if (!zone) return std::nullopt;
  // Calendar check: CivilSecond normalises 30 Feb to 2 Mar; refuse that.
  const absl::CivilSecond civil(year, month, day, hour, minute, second);
  if (civil.year() != year || civil.month() != month || civil.day() != day) return std::nullopt;
  return absl::FromCivil(civil, absl::UTCTimeZone()) - absl::Minutes(*zone);
}

}  // namespace cleansweep::collector::mail
