#include "collector/web/bind_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cleansweep::collector::web {
namespace {

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("--http ", text, ": ", why,
                   " (use ADDR:PORT such as 127.0.0.1:8080 or [::1]:8080, port 0 for any free "
                   "port, or off)"));
}

bool IsLoopbackHost(const std::string& host) {
  if (absl::AsciiStrToLower(host) == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, kLoopback, 16) == 0) return true;
    return std::memcmp(v6.s6_addr, kMappedPrefix, 12) == 0 && v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace

std::string BindAddress::HostPort(int p) const {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", p)
                                             : absl::StrCat(host, ":", p);
}

absl::StatusOr<BindAddress> ParseBindAddress(absl::string_view text) {
  BindAddress out;
  if (text == "off") {
    out.off = true;
    return out;
  }
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return Bad(text, "no port");
  absl::string_view host = text.substr(0, colon);
  const absl::string_view port = text.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return Bad(text, "unbalanced brackets");
    host = host.substr(1, host.size() - 2);
    in6_addr v6;
    if (inet_pton(AF_INET6, std::string(host).c_str(), &v6) != 1) {
      return Bad(text, "not an IPv6 address in brackets");
    }
  } else if (host.find(':') != absl::string_view::npos) {
    return Bad(text, "an IPv6 address needs brackets");
  }
  if (host.empty()) return Bad(text, "no address");
  if (!absl::SimpleAtoi(port, &out.port) || out.port < 0 || out.port > 65535 ||
      !absl::ascii_isdigit(port.empty() ? 'x' : port.front())) {
    return Bad(text, "port must be a number from 0 to 65535");
  }
  out.host = std::string(host);
  out.loopback = IsLoopbackHost(out.host);
  return out;
}

}  // namespace cleansweep::collector::web
