// Fuzzes the MIME entry point: any bytes must give a Complaint or an
// InvalidArgument naming the source, never a crash or a hang, and the
// origin of whatever original was found must be computable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "collector/mail/complaint.h"
#include "collector/mail/origin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cleansweep::collector::mail;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Complaint> c = ParseComplaint(bytes, "fuzz.eml");
  if (!c.ok()) {
    if (!absl::StartsWith(c.status().message(), "fuzz.eml: ")) abort();
    if (c.status().code() != absl::StatusCode::kInvalidArgument) abort();
    return 0;
  }
  if (c->warnings.size() > 51) abort();  // 50 and an "and N more" line
  if (c->original) {
    if (c->original->hops.size() > static_cast<size_t>(kMaxHops)) abort();
    const Origin o = FindOrigin(c->original->hops, nullptr);
    if (o.hops.size() != c->original->hops.size()) abort();
  }
  if (c->original.has_value() != c->original_source.has_value()) abort();
  return 0;
}
