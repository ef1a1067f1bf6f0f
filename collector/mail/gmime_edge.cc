#include "collector/mail/gmime_edge.h"

#include "absl/base/call_once.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace cleansweep::collector::mail::gmime {
namespace {

absl::once_flag g_init_once;

void AppendFields(GMimeHeaderList* list, size_t max_value_bytes, int* cut,
                  std::vector<HeaderField>* out) {
  if (list == nullptr) return;
  const int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    if (h == nullptr) continue;
    const char* name = g_mime_header_get_name(h);
    const char* raw = g_mime_header_get_raw_value(h);
    if (raw == nullptr) raw = g_mime_header_get_value(h);
    HeaderField field;
    field.name = name != nullptr ? name : "";
    absl::string_view value = raw != nullptr ? absl::string_view(raw) : absl::string_view();
    if (value.size() > max_value_bytes) {
      value = value.substr(0, max_value_bytes);
      ++*cut;
    }
    field.value = UnfoldHeaderValue(value);
    out->push_back(std::move(field));
  }
}

}  // namespace

void EnsureGMimeInitialized() {
  absl::call_once(g_init_once, [] { g_mime_init(); });
}

std::string MimeType(GMimeObject* object) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (ct == nullptr) return "";
  CharPtr type(g_mime_content_type_get_mime_type(ct));
  return type ? absl::AsciiStrToLower(type.get()) : "";
}

std::string ContentTypeParameter(GMimeObject* object, const char* name) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (ct == nullptr) return "";
  const char* value = g_mime_content_type_get_parameter(ct, name);
  return value ? absl::AsciiStrToLower(value) : "";
}

std::string PartContent(GMimePart* part, size_t max_bytes, bool* truncated) {
  *truncated = false;
  GMimeDataWrapper* content = g_mime_part_get_content(part);  // owned by the part
  if (content == nullptr) return "";
  ObjectPtr<GMimeStream> sink(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(content, sink.get()) < 0) return "";
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink.get()));
  if (bytes == nullptr) return "";
  size_t n = bytes->len;
  if (n > max_bytes) {
    n = max_bytes;
    *truncated = true;
  }
  return std::string(reinterpret_cast<const char*>(bytes->data), n);
}

std::string DecodeHeaderText(absl::string_view value) {
  if (value.find("=?") == absl::string_view::npos) return std::string(value);
  const std::string text(value);
  CharPtr decoded(g_mime_utils_header_decode_text(nullptr, text.c_str()));
  return decoded ? std::string(decoded.get()) : text;
}

std::string FirstMailboxAddress(absl::string_view value) {
  const std::string text(value);
  ObjectPtr<InternetAddressList> list(internet_address_list_parse(nullptr, text.c_str()));
  if (!list) return "";
  const int n = internet_address_list_length(list.get());
  for (int i = 0; i < n; ++i) {
    InternetAddress* a = internet_address_list_get_address(list.get(), i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      return addr ? addr : "";
    }
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      InternetAddressList* members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a));
      if (members != nullptr && internet_address_list_length(members) > 0) {
        InternetAddress* m = internet_address_list_get_address(members, 0);
        if (INTERNET_ADDRESS_IS_MAILBOX(m)) {
          const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(m));
          return addr ? addr : "";
        }
      }
    }
  }
  return "";
}

std::vector<HeaderField> HeaderFieldsOf(GMimeObject* object, size_t max_value_bytes, int* cut) {
  std::vector<HeaderField> out;
  AppendFields(g_mime_object_get_header_list(object), max_value_bytes, cut, &out);
  if (GMIME_IS_MESSAGE(object)) {
    GMimeObject* body = g_mime_message_get_mime_part(GMIME_MESSAGE(object));
    if (body != nullptr) {
      std::vector<HeaderField> content;
      AppendFields(g_mime_object_get_header_list(body), max_value_bytes, cut, &content);
      for (HeaderField& f : content) {
        if (absl::StartsWithIgnoreCase(f.name, "Content-")) out.push_back(std::move(f));
      }
    }
  }
  return out;
}

}  // namespace cleansweep::collector::mail::gmime
