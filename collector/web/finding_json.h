// A stored finding as the status page's API shows it (status_api.h, "Finding
// object"), with the host it belongs to from the snapshot. Pure; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_WEB_FINDING_JSON_H_
#define CLEANSWEEP_COLLECTOR_WEB_FINDING_JSON_H_

#include <string>

#include "cleansweep/v1/findings.pb.h"
#include "collector/web/json_writer.h"
#include "collector/web/status_snapshot.h"

namespace cleansweep::collector::web {

// "smtp_external_destinations" for SIGNAL_SMTP_EXTERNAL_DESTINATIONS.
std::string SignalName(cleansweep::v1::Signal signal);

void WriteFinding(const cleansweep::v1::Finding& finding, const StatusSnapshot& snapshot,
                  JsonWriter* out);

}  // namespace cleansweep::collector::web

#endif  // CLEANSWEEP_COLLECTOR_WEB_FINDING_JSON_H_
