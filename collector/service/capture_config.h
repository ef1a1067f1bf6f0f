// What the collector tells agents to watch (CaptureConfig, sent on every
// stream after Hello), its defaults, and parsers for the serve flags.
//
// Defaults: SMTP 25, 465, 587, 2525; worm ports TCP 3127-3198 (Mydoom),
// 1080, 10080, 1034 (Mydoom), 445, 5554, 9996 (Sasser), 135, 4444 (Blaster),
// 2745, 6777, 8866 (Bagle), 665, 82 (Netsky) and UDP 69 (Blaster TFTP); DNS
// query type 15 (MX). Pure functions; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::collector {

cleansweep::v1::CaptureConfig DefaultCaptureConfig();

// "25,465,587" or ranges "3127-3198"; values 1..65535 (or 1..65535 for
// qtypes as well). InvalidArgument naming the bad item otherwise.
absl::StatusOr<std::vector<uint32_t>> ParseNumberList(absl::string_view text);

// "tcp:3127-3198,1080,udp:69": items are [tcp:|udp:]PORT[-PORT], TCP when no
// transport is given.
absl::StatusOr<std::vector<cleansweep::v1::PortSpec>> ParsePortSpecList(absl::string_view text);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_H_
