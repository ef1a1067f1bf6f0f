// JsonWriter: builds one JSON text for the status page's API. Strings are
// escaped so that the text is safe to serve to a browser and to parse with any
// JSON parser: `"` `\` and control characters as JSON requires, and also `<`,
// `>`, `&`, U+2028 and U+2029 as \uXXXX (a host named "<script>" can never
// close a tag or form markup, whatever a client does with the bytes), and
// every invalid UTF-8 sequence as U+FFFD (the output is always valid UTF-8).
//
//   JsonWriter w;
//   w.BeginObject().Key("hosts").Uint(3).Key("name").String(name).EndObject();
//   std::string text = std::move(w).Take();
//
// Commas are inserted by the writer; the caller pairs Begin/End and gives a
// Key before each value inside an object. Misuse is a programming error (not
// checked). Not thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_WEB_JSON_WRITER_H_
#define CLEANSWEEP_COLLECTOR_WEB_JSON_WRITER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cleansweep::collector::web {

// `s` as a JSON string literal with the escaping described above.
std::string JsonString(absl::string_view s);

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(absl::string_view key);

  JsonWriter& String(absl::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  // Fixed-point with `decimals` digits; NaN and infinities are written as null.
  JsonWriter& Double(double value, int decimals = 3);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // RFC 3339 UTC ("2026-11-27T10:00:00Z"); null when unset.
  JsonWriter& Time(absl::Time value);
  JsonWriter& Time(const std::optional<absl::Time>& value);
  // A value that is already JSON text (inserted verbatim).
  JsonWriter& Raw(absl::string_view json);

  std::string Take() && { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open object/array: true once it holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_JSON_WRITER_H_
