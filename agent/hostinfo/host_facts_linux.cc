// CollectHostFacts for Linux (glibc): gethostname, os-release, uname and
// getifaddrs. Another platform provides its own file with the same function.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "agent/hostinfo/host_facts.h"
#include "agent/hostinfo/os_release.h"

namespace cleansweep::agent {
namespace {

// The file's content, or false when it cannot be opened (os-release files are
// a few hundred bytes; reading is capped anyway).
bool ReadSmall(const char* path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str().substr(0, 64 * 1024);
  return true;
}

std::string OsPrettyName() {
  std::string text;
  // os-release(5): /etc/os-release takes precedence; /usr/lib/os-release is
  // the fallback when the former does not exist.
  if (ReadSmall("/etc/os-release", &text) || ReadSmall("/usr/lib/os-release", &text)) {
    return ParseOsRelease(text);
  }
  return std::string();
}

// An IPv4 address on an alias label ("eth0:1") belongs to eth0: kernel
// interface names never contain ':', so everything after it is the label.
std::string BaseName(const char* name) {
  std::string n(name);
  const size_t colon = n.find(':');
  return colon == std::string::npos ? n : n.substr(0, colon);
}

}  // namespace

cleansweep::v1::HostFacts CollectHostFacts() {
  cleansweep::v1::HostFacts facts;
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) == 0) facts.set_hostname(host);
  facts.set_os(OsPrettyName());
  struct utsname uts = {};
  if (uname(&uts) == 0) facts.set_kernel(uts.release);

  std::map<std::string, cleansweep::v1::NetworkInterface> by_name;
  struct ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (const struct ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (a->ifa_name == nullptr) continue;
      const std::string name = BaseName(a->ifa_name);
      cleansweep::v1::NetworkInterface& itf = by_name[name];
      itf.set_name(name);
      // The AF_PACKET entry carries the link's own flags; an alias label's
      // entry carries the same IFF_UP, so any entry may set it.
      if ((a->ifa_flags & IFF_UP) != 0) itf.set_up(true);
      if (a->ifa_addr == nullptr) continue;
      const int family = a->ifa_addr->sa_family;
      if (family == AF_PACKET) {
        const auto* ll = reinterpret_cast<const struct sockaddr_ll*>(a->ifa_addr);
        const size_t len = std::min<size_t>(ll->sll_halen, sizeof(ll->sll_addr));
        itf.set_mac(FormatMac(ll->sll_addr, len));
      } else if (family == AF_INET) {
        char text[INET_ADDRSTRLEN] = {0};
        const auto* in = reinterpret_cast<const struct sockaddr_in*>(a->ifa_addr);
        if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) {
          itf.add_addresses(text);
        }
      } else if (family == AF_INET6) {
        // inet_ntop gives no "%scope" suffix: link-local addresses read as
        // iproute2 prints them.
        char text[INET6_ADDRSTRLEN] = {0};
        const auto* in6 = reinterpret_cast<const struct sockaddr_in6*>(a->ifa_addr);
        if (inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text)) != nullptr) {
          itf.add_addresses(text);
        }
      }
    }
    freeifaddrs(list);
  }
  for (auto& [name, itf] : by_name) *facts.add_interfaces() = std::move(itf);
  CanonicalizeHostFacts(&facts);
  FitHostFactsToLimits(&facts);

  const absl::Time now = absl::Now();
  const int64_t seconds = absl::ToUnixSeconds(now);
  facts.mutable_time()->set_seconds(seconds);
  facts.mutable_time()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(seconds))));
  return facts;
}

}  // namespace cleansweep::agent
