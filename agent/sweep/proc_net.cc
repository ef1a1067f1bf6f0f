#include "agent/sweep/proc_net.h"

#include <bit>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace cleansweep::agent {
namespace {

std::optional<uint32_t> HexWord(absl::string_view digits) {
  if (digits.empty() || digits.size() > 8) return std::nullopt;
  uint32_t v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  return v;
}

// Lays `word` out as the kernel's memory held it.
void PutWord(uint32_t word, WordOrder order, uint8_t* out) {
  for (int i = 0; i < 4; ++i) {
    const int shift = order == WordOrder::kLittleEndian ? 8 * i : 8 * (3 - i);
    out[i] = static_cast<uint8_t>(word >> shift);
  }
}

// "0100007F:0C37" → address and port.
bool ParseEndpoint(absl::string_view field, WordOrder order, IpAddress* address, uint16_t* port) {
  const size_t colon = field.find(':');
  if (colon == absl::string_view::npos) return false;
  const absl::string_view hex = field.substr(0, colon);
  const absl::string_view port_hex = field.substr(colon + 1);
  if (port_hex.size() != 4) return false;
  std::optional<uint32_t> p = HexWord(port_hex);
  if (!p.has_value()) return false;
  *port = static_cast<uint16_t>(*p);
  *address = IpAddress();
  if (hex.size() == 8) {
    std::optional<uint32_t> w = HexWord(hex);
    if (!w.has_value()) return false;
    address->family = 4;
    PutWord(*w, order, address->bytes.data());
    return true;
  }
  if (hex.size() == 32) {
    address->family = 6;
    for (size_t i = 0; i < 4; ++i) {
      std::optional<uint32_t> w = HexWord(hex.substr(8 * i, 8));
      if (!w.has_value()) return false;
      PutWord(*w, order, address->bytes.data() + 4 * i);
    }
    return true;
  }
  return false;
}

bool ParseLine(absl::string_view line, WordOrder order, ProcNetSocket* out) {
  std::vector<absl::string_view> f =
      absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  // sl, local, remote, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode.
  if (f.size() < 10) return false;
  if (f[0].size() < 2 || f[0].back() != ':') return false;
  if (!ParseEndpoint(f[1], order, &out->local, &out->local_port)) return false;
  if (!ParseEndpoint(f[2], order, &out->remote, &out->remote_port)) return false;
  if (out->local.family != out->remote.family) return false;
  if (f[3].size() != 2) return false;
  std::optional<uint32_t> st = HexWord(f[3]);
  if (!st.has_value()) return false;
  out->state = static_cast<uint8_t>(*st);
  if (!absl::SimpleAtoi(f[7], &out->uid)) return false;
  if (!absl::SimpleAtoi(f[9], &out->inode)) return false;
  return true;
}

}  // namespace

WordOrder HostWordOrder() {
  return std::endian::native == std::endian::little ? WordOrder::kLittleEndian
                                                    : WordOrder::kBigEndian;
}

absl::string_view TcpStateName(uint8_t state) {
  static constexpr const char* kNames[] = {
      "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  return state < sizeof(kNames) / sizeof(kNames[0]) ? kNames[state] : "UNKNOWN";
}

ProcNetTable ParseProcNet(absl::string_view text, WordOrder order) {
  ProcNetTable table;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty()) continue;
    if (absl::StartsWith(trimmed, "sl ") || trimmed == "sl") continue;  // the header
    ProcNetSocket s;
    if (ParseLine(trimmed, order, &s)) {
      table.sockets.push_back(s);
    } else {
      ++table.malformed_lines;
    }
  }
  return table;
}

IpAddress Unmapped(const IpAddress& address) {
  if (address.family != 6) return address;
  for (int i = 0; i < 10; ++i) {
    if (address.bytes[i] != 0) return address;
  }
  if (address.bytes[10] != 0xff || address.bytes[11] != 0xff) return address;
  return IpAddress::V4(address.bytes[12], address.bytes[13], address.bytes[14], address.bytes[15]);
}

}  // namespace cleansweep::agent
