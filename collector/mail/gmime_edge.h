// The only place that includes GMime: one-time initialisation, RAII owners
// for GMime/GLib objects, and the few conversions the complaint parser
// needs. Internal to collector/mail (complaint.cc); not a public API.
//
// All functions are thread-safe once EnsureGMimeInitialized() has returned
// (GMime's charset, iconv and utils functions are; GObjects must not be
// shared between threads, and nothing here shares them).
#ifndef CLEANSWEEP_COLLECTOR_MAIL_GMIME_EDGE_H_
#define CLEANSWEEP_COLLECTOR_MAIL_GMIME_EDGE_H_

#include <gmime/gmime.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "collector/mail/header_block.h"

namespace cleansweep::collector::mail::gmime {

// g_mime_init() exactly once per process (absl::call_once); never shut down.
void EnsureGMimeInitialized();

struct ObjectUnref {
  void operator()(gpointer p) const {
    if (p != nullptr) g_object_unref(p);
  }
};
// Owns one reference to a GObject (GMimeStream, GMimeParser, GMimeMessage...).
template <typename T>
using ObjectPtr = std::unique_ptr<T, ObjectUnref>;

struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using CharPtr = std::unique_ptr<char, GFree>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* o) const {
    if (o != nullptr) g_mime_parser_options_free(o);
  }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

// Lower-case "type/subtype" of an object ("" if it has no content type).
std::string MimeType(GMimeObject* object);

// A Content-Type parameter, lower case ("" if absent).
std::string ContentTypeParameter(GMimeObject* object, const char* name);

// A leaf part's content with its transfer encoding undone, at most
// `max_bytes` (sets *truncated when cut).
std::string PartContent(GMimePart* part, size_t max_bytes, bool* truncated);

// RFC 2047 encoded-words decoded to UTF-8 (text GMime cannot decode is kept).
std::string DecodeHeaderText(absl::string_view value);

// The addr-spec of the first mailbox in an address list ("" if none).
std::string FirstMailboxAddress(absl::string_view value);

// The header fields of a message or part in order: the message's own list,
// then its MIME part's Content-* fields (GMime keeps those apart). Values
// are unfolded and cut to `max_value_bytes`; *cut counts the values cut.
std::vector<HeaderField> HeaderFieldsOf(GMimeObject* object, size_t max_value_bytes, int* cut);

}  // namespace cleansweep::collector::mail::gmime

#endif  // CLEANSWEEP_COLLECTOR_MAIL_GMIME_EDGE_H_
