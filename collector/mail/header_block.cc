#include "collector/mail/header_block.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cleansweep::collector::mail {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

absl::string_view TrimBlanks(absl::string_view s) {
  while (!s.empty() && (IsBlank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Length of the field name if `line` starts a field ("Name:" or "Name :"),
// else 0. Sets *colon to the colon's index.
size_t FieldNameLength(absl::string_view line, size_t* colon) {
  size_t i = 0;
  while (i < line.size()) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == ':' || c <= 32 || c >= 127) break;
    ++i;
  }
  const size_t name_end = i;
  if (name_end == 0) return 0;
  while (i < line.size() && IsBlank(line[i])) ++i;
  if (i >= line.size() || line[i] != ':') return 0;
  *colon = i;
  return name_end;
}

// Continuation lines are appended as written; the ends are trimmed once here.
HeaderBlock Finish(HeaderBlock block) {
  for (HeaderField& f : block.fields) {
    absl::string_view trimmed = TrimBlanks(f.value);
    if (trimmed.size() != f.value.size()) f.value = std::string(trimmed);
  }
  return block;
}

}  // namespace

absl::StatusOr<HeaderBlock> ScanHeaderBlock(absl::string_view text,
                                            const HeaderBlockOptions& limits) {
  HeaderBlock block;
  size_t pos = 0;
  int line_no = limits.first_line - 1;
  while (pos < text.size()) {
    if (pos > limits.max_block_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("no end of the header block in the first ",
                                                     limits.max_block_bytes, " bytes"));
    }
    ++line_no;
    // Look for the line end no further than the line limit allows.
    const size_t window = std::min(text.size() - pos, limits.max_line_bytes + 2);
    const size_t nl = text.substr(pos, window).find('\n');
    if (nl == absl::string_view::npos && window < text.size() - pos) {
      return absl::InvalidArgumentError(
          absl::StrCat("header line ", line_no, " longer than ", limits.max_line_bytes, " bytes"));
    }
    const size_t line_len = nl == absl::string_view::npos ? window : nl;
    const size_t next = nl == absl::string_view::npos ? pos + window : pos + nl + 1;
    absl::string_view line = text.substr(pos, line_len);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > limits.max_line_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("header line ", line_no, " longer than ", limits.max_line_bytes, " bytes"));
    }
    if (line.empty()) {
      block.terminated = true;
      block.body_offset = next;
      return Finish(std::move(block));
    }
    size_t colon = 0;
    if (IsBlank(line.front())) {
      if (block.fields.empty()) {
        block.stray_line = line_no;
        block.body_offset = pos;
        return Finish(std::move(block));
      }
      absl::StrAppend(&block.fields.back().value, line);
    } else if (const size_t name_len = FieldNameLength(line, &colon); name_len > 0) {
      HeaderField field;
      field.name = std::string(line.substr(0, name_len));
      field.value = std::string(TrimBlanks(line.substr(colon + 1)));
      field.line = line_no;
      block.fields.push_back(std::move(field));
    } else {
      block.stray_line = line_no;
      block.body_offset = pos;
      return Finish(std::move(block));
    }
    ++block.lines;
    pos = next;
  }
  block.body_offset = text.size();
  return Finish(std::move(block));
}

std::string UnfoldHeaderValue(absl::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return std::string(TrimBlanks(out));
}

const HeaderField* FindField(const std::vector<HeaderField>& fields, absl::string_view name) {
  for (const HeaderField& f : fields) {
    if (absl::EqualsIgnoreCase(f.name, name)) return &f;
  }
  return nullptr;
}

}  // namespace cleansweep::collector::mail
