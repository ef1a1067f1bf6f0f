// What the collector tells agents to watch (CaptureConfig, sent on every
// stream after Hello and again whenever the rules change), its defaults, how
// it is derived from the rules, and parsers for the serve flags.
//
// Defaults: SMTP 25, 465, 587, 2525; worm ports TCP 3127-3198 (Mydoom),
// 1080, 10080, 1034 (Mydoom), 445, 5554, 9996 (Sasser), 135, 4444 (Blaster),
// 2745, 6777, 8866 (Bagle), 665, 82 (Netsky) and UDP 69 (Blaster TFTP); DNS
// query type 15 (MX). The shipped rules/ derive exactly these.
// Pure functions; thread-safe.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/agent_service.pb.h"
#include "collector/rules/rule_loader.h"

namespace cleansweep::collector {

cleansweep::v1::CaptureConfig DefaultCaptureConfig();

// "25,465,587" or ranges "3127-3198"; values 1..65535 (or 1..65535 for
// qtypes as well). InvalidArgument naming the bad item otherwise.
absl::StatusOr<std::vector<uint32_t>> ParseNumberList(absl::string_view text);

// "tcp:3127-3198,1080,udp:69": items are [tcp:|udp:]PORT[-PORT], TCP when no
// transport is given.
absl::StatusOr<std::vector<cleansweep::v1::PortSpec>> ParsePortSpecList(absl::string_view text);

// Lists given explicitly on the command line (--smtp-ports, --worm-ports,
// --dns-qtypes). A set list replaces the default or derived one wholesale.
struct CaptureConfigOverrides {
  std::optional<std::vector<uint32_t>> smtp_ports;
  std::optional<std::vector<cleansweep::v1::PortSpec>> worm_ports;
  std::optional<std::vector<uint32_t>> dns_qtypes;
};

// Parses the three flags' texts; an empty text leaves that list unset.
// InvalidArgument "--smtp-ports: ..." (etc.) naming the bad item.
absl::StatusOr<CaptureConfigOverrides> ParseCaptureConfigOverrides(
    absl::string_view smtp_ports, absl::string_view worm_ports, absl::string_view dns_qtypes);

// Replaces each list of `config` that `overrides` sets.
void ApplyCaptureConfigOverrides(const CaptureConfigOverrides& overrides,
                                 cleansweep::v1::CaptureConfig* config);

// The capture configuration a validated rule set needs, then `overrides`:
//  - smtp_ports: 25, 465, 587, 2525, plus every TCP port (ranges expanded) of
//    the `ports` filters of rules with an SMTP signal
//    (SMTP_EXTERNAL_DESTINATIONS, SMTP_EXTERNAL_ATTEMPTS, RCPT_COUNT,
//    FORGED_OWN_DOMAIN_SENDER); UDP filters there are ignored (SMTP is TCP).
//  - worm_ports: every port of every range of every family in
//    worms.textproto, transport kept, plus the `ports` filters of the other
//    connection rules (WORM_PORT_FANOUT, FAILED_CONNECTION_RATIO), except a
//    filter's TCP ports that are already SMTP ports above (the SMTP observer
//    reports those attempts and their outcomes). MX_LOOKUPS filters add
//    nothing: DNS is watched on its own port regardless.
//  - dns_qtypes: 15 (MX), what the MX_LOOKUPS signal counts.
// Lists are sorted ((transport, port) for worm ports) without duplicates. An
// empty worm list (no families, no filters) tells agents to keep their own.
cleansweep::v1::CaptureConfig DeriveCaptureConfig(const RuleSet& rules,
                                                  const CaptureConfigOverrides& overrides = {});

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_CAPTURE_CONFIG_H_
