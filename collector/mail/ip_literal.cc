#include "collector/mail/ip_literal.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace cleansweep::collector::mail {
namespace {

// Mail software writes zero-padded decimal octets ("010.001.002.003", seen in
// X-Originating-IP and some Received lines); inet_pton refuses those, and
// inet_aton would read them as octal. Parsed by hand, as decimal.
std::optional<IpAddress> ParseDottedQuad(absl::string_view text) {
  IpAddress out;
  size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    int value = 0;
    int digits = 0;
    while (pos < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[pos])) &&
           digits < 4) {
      value = value * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 3 || value > 255) return std::nullopt;
    out.bytes[octet] = static_cast<uint8_t>(value);
  }
  if (pos == text.size()) return out;
  // An optional ":PORT" (Exim with port logging, "[192.0.2.1:2525]").
  if (text[pos] != ':' || pos + 1 == text.size() || text.size() - pos - 1 > 5) return std::nullopt;
  for (size_t i = pos + 1; i < text.size(); ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  return out;
}

bool InV4(const IpAddress& a, uint8_t b0, uint8_t b1, int prefix) {
  const uint32_t addr = (uint32_t{a.bytes[0]} << 24) | (uint32_t{a.bytes[1]} << 16) |
                        (uint32_t{a.bytes[2]} << 8) | a.bytes[3];
  const uint32_t net = (uint32_t{b0} << 24) | (uint32_t{b1} << 16);
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (addr & mask) == (net & mask);
}

}  // namespace

std::optional<IpAddress> ParseIpLiteral(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() >= 2 && ((text.front() == '[' && text.back() == ']') ||
                           (text.front() == '(' && text.back() == ')'))) {
    text = absl::StripAsciiWhitespace(text.substr(1, text.size() - 2));
  }
  if (text.size() >= 5 && absl::EqualsIgnoreCase(text.substr(0, 5), "IPv6:")) {
    text = text.substr(5);
  }
  if (text.empty() || text.size() > 64) return std::nullopt;
  if (std::optional<IpAddress> v4 = ParseDottedQuad(text)) return v4;
  const size_t zone = text.find('%');
  if (zone != absl::string_view::npos) text = text.substr(0, zone);
  if (text.find(':') == absl::string_view::npos) return std::nullopt;
  return ParseIpAddress(text);
}

bool IsPrivateAddress(const IpAddress& a) {
  if (!a.ipv6) {
    return InV4(a, 127, 0, 8) || InV4(a, 10, 0, 8) || InV4(a, 172, 16, 12) ||
           InV4(a, 192, 168, 16) || InV4(a, 169, 254, 16) || InV4(a, 100, 64, 10) ||
           InV4(a, 0, 0, 8);
  }
  if ((a.bytes[0] & 0xfe) == 0xfc) return true;                        // fc00::/7
  if (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80) return true;  // fe80::/10
  for (int i = 0; i < 15; ++i) {
    if (a.bytes[i] != 0) return false;
  }
  return a.bytes[15] <= 1;  // :: and ::1
}

}  // namespace cleansweep::collector::mail
