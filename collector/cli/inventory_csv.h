// The expected-host list operators import: a CSV file with a header line.
//
//   hostname,mac,owner
//   ws-0142,00:1A:2B:3C:4D:5E,Jane Doe
//   ws-0143,,"Doe, John"
//
// `hostname` is required; `mac` and `owner` are optional columns (any order)
// and optional values. Fields may be double-quoted ("" inside quotes is one
// quote); spaces around fields, blank lines, a UTF-8 BOM and CRLF line ends
// are ignored. MACs are six hex pairs separated by ':' or '-' and are
// normalised to lower case with ':'. Hostnames are unique ignoring case.
//
// Pure function; thread-safe. Errors are InvalidArgument, one line per bad row
// (at most kMaxInventoryErrors), each starting "FILE:LINE: ".
#ifndef CLEANSWEEP_COLLECTOR_CLI_INVENTORY_CSV_H_
#define CLEANSWEEP_COLLECTOR_CLI_INVENTORY_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "collector/store/event_store.h"

namespace cleansweep::collector {

inline constexpr int kMaxInventoryErrors = 20;

// `file_name` only labels the errors. imported_at is left unset.
absl::StatusOr<std::vector<InventoryHost>> ParseInventoryCsv(absl::string_view text,
                                                             absl::string_view file_name);

// "00:1A:2B:3C:4D:5E" / "00-1a-2b-3c-4d-5e" → "00:1a:2b:3c:4d:5e"; false if
// `text` is not a MAC in one of those forms.
bool NormalizeMac(absl::string_view text, std::string* out);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_CLI_INVENTORY_CSV_H_
