#include "agent/hostinfo/host_facts.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "google/protobuf/util/message_differencer.h"

namespace cleansweep::agent {

bool SameHostFacts(const cleansweep::v1::HostFacts& a, const cleansweep::v1::HostFacts& b) {
  // Copies are cheap (a handful of interfaces) and keep the comparison exact
  // for every field added later, not only the ones listed here.
  cleansweep::v1::HostFacts x = a;
  cleansweep::v1::HostFacts y = b;
  x.clear_time();
  y.clear_time();
  return google::protobuf::util::MessageDifferencer::Equals(x, y);
}

void CanonicalizeHostFacts(cleansweep::v1::HostFacts* facts) {
  for (cleansweep::v1::NetworkInterface& itf : *facts->mutable_interfaces()) {
    std::vector<std::string> addresses(itf.addresses().begin(), itf.addresses().end());
    std::sort(addresses.begin(), addresses.end());
    addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
    itf.clear_addresses();
    for (std::string& a : addresses) itf.add_addresses(std::move(a));
  }
  auto* interfaces = facts->mutable_interfaces();
  std::sort(interfaces->begin(), interfaces->end(),
            [](const cleansweep::v1::NetworkInterface& l, const cleansweep::v1::NetworkInterface& r) {
              return l.name() < r.name();
            });
}

std::string FormatMac(const uint8_t* bytes, size_t len) {
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    if (i > 0) out.push_back(':');
    absl::StrAppendFormat(&out, "%02x", bytes[i]);
  }
  return out;
}

namespace {

std::string Printable(const std::string& text, size_t max) {
  std::string out = text.substr(0, max);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

void FitHostFactsToLimits(cleansweep::v1::HostFacts* facts) {
  facts->set_hostname(Printable(facts->hostname(), kHostFactsMaxHostname));
  facts->set_os(Printable(facts->os(), kHostFactsMaxOs));
  facts->set_kernel(Printable(facts->kernel(), kHostFactsMaxKernel));
  auto* interfaces = facts->mutable_interfaces();
  while (interfaces->size() > kHostFactsMaxInterfaces) interfaces->RemoveLast();
  int total = 0;
  for (cleansweep::v1::NetworkInterface& itf : *interfaces) {
    itf.set_name(Printable(itf.name(), kHostFactsMaxInterfaceName));
    // "aa:bb:..": 3 characters per octet but the last.
    const size_t octets = itf.mac().empty() ? 0 : (itf.mac().size() + 1) / 3;
    if (octets != 0 && (octets < 6 || octets > 20)) itf.clear_mac();
    auto* addresses = itf.mutable_addresses();
    const int keep = std::min({addresses->size(), kHostFactsMaxAddressesPerInterface,
                               kHostFactsMaxAddresses - total});
    while (addresses->size() > keep) addresses->RemoveLast();
    total += keep;
  }
}

}  // namespace cleansweep::agent
