#include "collector/dmarc/xml_encoding.h"

#include "absl/strings/ascii.h"

namespace cleansweep::collector::dmarc {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if none does.
size_t ValidSequenceLength(absl::string_view s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;  // overlong
    if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

std::string DeclaredXmlEncoding(absl::string_view xml) {
  if (xml.substr(0, 3) == "\xef\xbb\xbf") xml.remove_prefix(3);
  if (xml.substr(0, 5) != "<?xml") return "";
  const size_t end = xml.find("?>");
  if (end == absl::string_view::npos) return "";
  const absl::string_view decl = xml.substr(0, end);
  const size_t at = decl.find("encoding");
  if (at == absl::string_view::npos) return "";
  size_t i = at + 8;
  while (i < decl.size() && (decl[i] == ' ' || decl[i] == '\t' || decl[i] == '\r' ||
                             decl[i] == '\n' || decl[i] == '=')) {
    ++i;
  }
  if (i >= decl.size() || (decl[i] != '"' && decl[i] != '\'')) return "";
  const char quote = decl[i];
  const size_t close = decl.find(quote, i + 1);
  if (close == absl::string_view::npos) return "";
  return absl::AsciiStrToLower(decl.substr(i + 1, close - i - 1));
}

bool ReadAsUtf8(absl::string_view xml) {
  if (xml.substr(0, 2) == "\xff\xfe" || xml.substr(0, 2) == "\xfe\xff") return false;
  const std::string enc = DeclaredXmlEncoding(xml);
  return enc.empty() || enc == "utf-8" || enc == "utf8";
}

std::optional<Utf8Repair> DropInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = ValidSequenceLength(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return std::nullopt;

  Utf8Repair repair;
  repair.text.reserve(text.size());
  repair.text.append(text.data(), i);
  size_t line = 1;
  for (char c : text.substr(0, i)) line += (c == '\n');
  repair.first_line = line;
  while (i < text.size()) {
    const size_t n = ValidSequenceLength(text, i);
    if (n == 0) {
      ++repair.dropped;
      ++i;
      continue;
    }
    repair.text.append(text.data() + i, n);
    i += n;
  }
  return repair;
}

}  // namespace cleansweep::collector::dmarc
