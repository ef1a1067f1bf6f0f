// Host facts: what the agent's machine is (host name, OS, kernel, network
// interfaces with their MAC and IP addresses), reported to the collector in
// Hello and again whenever they change, so the collector can say which
// address belonged to which host when.
//
// CollectHostFacts reads the live system. The platform-specific part lives in
// one file per platform (host_facts_linux.cc now); everything else here is
// portable. Thread-safe (no shared state). Errors never abort: a fact that
// cannot be read is left empty (e.g. os when neither os-release file exists),
// so an odd host still reports what it can.
#ifndef CLEANSWEEP_AGENT_HOSTINFO_HOST_FACTS_H_
#define CLEANSWEEP_AGENT_HOSTINFO_HOST_FACTS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "cleansweep/v1/agent_service.pb.h"

namespace cleansweep::agent {

// The facts of this host now: hostname, os (os-release pretty name), kernel
// (uname release), interfaces sorted by name, each with its MAC ("aa:bb:..",
// lower case; empty without a link-layer address), its addresses in text
// form without prefix length, sorted, and whether it is administratively up;
// time = now.
cleansweep::v1::HostFacts CollectHostFacts();

// Whether a and b state the same facts; `time` is ignored.
bool SameHostFacts(const cleansweep::v1::HostFacts& a, const cleansweep::v1::HostFacts& b);

// Puts the facts in canonical order: interfaces by name, each interface's
// addresses sorted and de-duplicated. CollectHostFacts returns them so.
void CanonicalizeHostFacts(cleansweep::v1::HostFacts* facts);

// "aa:bb:cc:dd:ee:ff" (lower case) for `len` bytes; empty when len is 0.
std::string FormatMac(const uint8_t* bytes, size_t len);

// What the collector accepts (it refuses a whole report beyond these; see
// collector/store/host_facts.h): printable ASCII text of bounded length,
// MACs of 6 to 20 octets, bounded interface and address counts.
inline constexpr size_t kHostFactsMaxHostname = 255;
inline constexpr size_t kHostFactsMaxOs = 256;
inline constexpr size_t kHostFactsMaxKernel = 128;
inline constexpr size_t kHostFactsMaxInterfaceName = 128;
inline constexpr int kHostFactsMaxInterfaces = 256;
inline constexpr int kHostFactsMaxAddressesPerInterface = 64;
inline constexpr int kHostFactsMaxAddresses = 1024;

// Makes canonical facts acceptable to the collector, losing as little as
// possible: bytes outside printable ASCII become '?', text is truncated to
// its limit, a link-layer address that is not 6-20 octets (a tunnel's
// 4-byte "address") becomes "", and interfaces / addresses beyond the counts
// are dropped (the last ones in canonical order). CollectHostFacts applies it.
void FitHostFactsToLimits(cleansweep::v1::HostFacts* facts);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_HOSTINFO_HOST_FACTS_H_
