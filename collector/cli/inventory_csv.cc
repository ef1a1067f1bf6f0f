#include "collector/cli/inventory_csv.h"

#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cleansweep::collector {
namespace {

// Splits one CSV line into trimmed fields. std::nullopt for an unterminated
// quote or text after a closing quote.
std::optional<std::vector<std::string>> SplitCsvLine(absl::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (true) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        field += line[i++];
      }
      if (!closed) return std::nullopt;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') return std::nullopt;
    } else {
      size_t comma = line.find(',', i);
      size_t end = comma == absl::string_view::npos ? line.size() : comma;
      const absl::string_view trimmed = absl::StripAsciiWhitespace(line.substr(i, end - i));
      field.assign(trimmed.data(), trimmed.size());
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

}  // namespace

bool NormalizeMac(absl::string_view text, std::string* out) {
  if (text.size() != 17) return false;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return false;
  std::string mac;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2) {
      if (text[i] != sep) return false;
      mac += ':';
    } else {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) return false;
      mac += absl::ascii_tolower(static_cast<unsigned char>(text[i]));
    }
  }
  *out = std::move(mac);
  return true;
}

absl::StatusOr<std::vector<InventoryHost>> ParseInventoryCsv(absl::string_view text,
                                                             absl::string_view file_name) {
  absl::ConsumePrefix(&text, "\xEF\xBB\xBF");
  std::vector<std::string> errors;
  int error_count = 0;
  auto error = [&](int line, absl::string_view what) {
    ++error_count;
    if (errors.size() < static_cast<size_t>(kMaxInventoryErrors)) {
      errors.push_back(absl::StrCat(file_name, ":", line, ": ", what));
    }
  };

  int hostname_col = -1, mac_col = -1, owner_col = -1;
  size_t columns = 0;
  bool have_header = false;
  std::vector<InventoryHost> hosts;
  std::map<std::string, int> first_line;  // lower-case hostname → line
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::optional<std::vector<std::string>> fields = SplitCsvLine(line);
    if (!fields) {
      error(line_number, "unbalanced double quote");
      if (!have_header) break;
      continue;
    }
    if (!have_header) {
      have_header = true;
      columns = fields->size();
      for (size_t c = 0; c < fields->size(); ++c) {
        const std::string name = absl::AsciiStrToLower((*fields)[c]);
        int* slot = name == "hostname" ? &hostname_col
                    : name == "mac"    ? &mac_col
                    : name == "owner"  ? &owner_col
                                       : nullptr;
        if (slot == nullptr) {
          error(line_number, absl::StrCat("unknown column \"", (*fields)[c],
                                          "\" (the header is hostname,mac,owner)"));
        } else if (*slot >= 0) {
          error(line_number, absl::StrCat("column \"", name, "\" appears twice"));
        } else {
          *slot = static_cast<int>(c);
        }
      }
      if (hostname_col < 0) {
        error(line_number, "header has no hostname column (expected hostname,mac,owner)");
      }
      if (!errors.empty()) break;  // rows cannot be read without a header
      continue;
    }
    if (fields->size() > columns) {
      error(line_number, absl::StrCat(fields->size(), " fields but the header has ", columns));
      continue;
    }
    auto field = [&](int col) {
      return col >= 0 && static_cast<size_t>(col) < fields->size() ? (*fields)[col] : std::string();
    };
    InventoryHost host;
    host.hostname = field(hostname_col);
    host.owner = field(owner_col);
    const std::string mac = field(mac_col);
    if (host.hostname.empty()) {
      error(line_number, "empty hostname");
      continue;
    }
    if (!mac.empty() && !NormalizeMac(mac, &host.mac)) {
      error(line_number, absl::StrCat("bad MAC address \"", mac,
                                      "\" (expected six hex pairs, e.g. 00:1a:2b:3c:4d:5e)"));
      continue;
    }
    auto [it, inserted] = first_line.emplace(absl::AsciiStrToLower(host.hostname), line_number);
    if (!inserted) {
      error(line_number, absl::StrCat("duplicate hostname \"", host.hostname, "\" (first on line ",
                                      it->second, ")"));
      continue;
    }
    hosts.push_back(std::move(host));
  }
  if (!have_header && errors.empty()) {
    error(1, "empty file (expected a header line hostname,mac,owner)");
  }
  if (error_count > static_cast<int>(errors.size())) {
    errors.push_back(absl::StrCat(file_name, ": ", error_count - static_cast<int>(errors.size()),
                                  " more errors not shown"));
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return hosts;
}

}  // namespace cleansweep::collector
