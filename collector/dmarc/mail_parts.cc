#include "collector/dmarc/mail_parts.h"

#include <gmime/gmime.h>

#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "collector/dmarc/decompress.h"
#include "collector/dmarc/sniff.h"

namespace cleansweep::collector::dmarc {
namespace {

// Holds one GObject reference.
template <typename T>
class GRef {
 public:
  explicit GRef(T* p = nullptr) : p_(p) {}
  ~GRef() {
    if (p_ != nullptr) g_object_unref(p_);
  }
  GRef(const GRef&) = delete;
  GRef& operator=(const GRef&) = delete;
  T* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_;
};

void InitGMimeOnce() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// GMime parses nested multiparts and messages recursively. Its depth is
// bounded by the number of nested containers the text can declare, so a mail
// declaring more than the cap is refused before GMime sees it.
int CountContainerDeclarations(absl::string_view mail) {
  const std::string lower = absl::AsciiStrToLower(mail);
  int n = 0;
  for (const std::string needle : {"multipart/", "message/"}) {
    for (size_t at = lower.find(needle); at != std::string::npos;
         at = lower.find(needle, at + needle.size())) {
      ++n;
    }
  }
  return n;
}

// Lowercased "type/subtype"; GMime's default when the header is missing.
std::string ContentType(GMimeObject* object) {
  if (GMimeContentType* ct = g_mime_object_get_content_type(object); ct != nullptr) {
    const char* media = g_mime_content_type_get_media_type(ct);
    const char* sub = g_mime_content_type_get_media_subtype(ct);
    if (media != nullptr && sub != nullptr) {
      return absl::AsciiStrToLower(absl::StrCat(media, "/", sub));
    }
  }
  return "application/octet-stream";
}

class Walker {
 public:
  explicit Walker(const DmarcLimits& limits) : limits_(limits) {}

  absl::Status Visit(GMimeObject* object, int depth) {
    if (object == nullptr) return absl::OkStatus();
    if (depth > limits_.max_mime_depth) {
      return absl::ResourceExhaustedError(
          absl::StrCat("mail nests parts deeper than ", limits_.max_mime_depth, " levels"));
    }
    const std::string type = ContentType(object);
    if (type == "message/feedback-report") out_.feedback_report = true;
    if (GMIME_IS_MULTIPART(object)) {
      GMimeMultipart* multipart = GMIME_MULTIPART(object);
      const int count = g_mime_multipart_get_count(multipart);
      for (int i = 0; i < count; ++i) {
        if (absl::Status s = Visit(g_mime_multipart_get_part(multipart, i), depth + 1); !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }
    if (GMIME_IS_MESSAGE_PART(object)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
      if (inner == nullptr) return absl::OkStatus();
      return Visit(g_mime_message_get_mime_part(inner), depth + 1);
    }
    if (!GMIME_IS_PART(object)) return absl::OkStatus();
    if (++out_.leaf_parts > limits_.max_mime_parts) {
      return absl::ResourceExhaustedError(
          absl::StrCat("mail has more than ", limits_.max_mime_parts, " parts"));
    }
    GMimePart* part = GMIME_PART(object);
    if (type == "text/html") return absl::OkStatus();
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    if (content == nullptr) return absl::OkStatus();
    GRef<GMimeStream> sink(g_mime_stream_mem_new());
    if (!sink || g_mime_data_wrapper_write_to_stream(content, sink.get()) < 0) {
      return absl::OkStatus();  // undecodable; other parts may still do
    }
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink.get()));
    if (bytes == nullptr || bytes->len == 0) return absl::OkStatus();
    MailPart candidate;
    candidate.bytes.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
    const Format format = SniffFormat(candidate.bytes);
    if (format != Format::kGzip && format != Format::kZip && format != Format::kXml) {
      return absl::OkStatus();
    }
    const char* filename = g_mime_part_get_filename(part);
    candidate.label = filename != nullptr && *filename != '\0'
                          ? absl::StrCat("attachment ", QuoteName(filename))
                          : absl::StrCat("part ", out_.leaf_parts, " (", type, ")");
    candidate.content_type = type;
    out_.candidates.push_back(std::move(candidate));
    return absl::OkStatus();
  }

  MailParts Take() { return std::move(out_); }

 private:
  const DmarcLimits& limits_;
  MailParts out_;
};

}  // namespace

absl::StatusOr<MailParts> FindReportParts(absl::string_view mail, const DmarcLimits& limits) {
  InitGMimeOnce();
  // An mbox "From " separator line is not a header; GMime would take the
  // message to have no headers at all.
  if (absl::StartsWith(mail, "From ")) {
    const size_t eol = mail.find('\n');
    mail.remove_prefix(eol == absl::string_view::npos ? mail.size() : eol + 1);
  }
  if (CountContainerDeclarations(mail) > limits.max_mime_depth * 8) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "mail declares more than ", limits.max_mime_depth * 8, " multipart or message parts"));
  }
  GRef<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(mail.data(), mail.size()));
  if (!stream) return absl::InternalError("GMime could not create a stream");
  GRef<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  if (!parser) return absl::InternalError("GMime could not create a parser");
  GRef<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) return absl::InvalidArgumentError("not a readable mail (GMime found no message)");
  Walker walker(limits);
  if (absl::Status s = walker.Visit(g_mime_message_get_mime_part(message.get()), 0); !s.ok()) {
    return s;
  }
  return walker.Take();
}

}  // namespace cleansweep::collector::dmarc
