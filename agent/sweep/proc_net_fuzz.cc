// Fuzzes the /proc/net/{tcp,tcp6,udp,udp6} parser: any bytes must give
// sockets and a malformed-line count, never a crash or a read outside the
// buffer. Properties checked: every line is either a socket, malformed, blank
// or the header (so neither count can exceed the line count), both word
// orders agree on what parses, and each socket's addresses are of one family.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "agent/sweep/proc_net.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cleansweep::agent;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  const ProcNetTable le = ParseProcNet(text, WordOrder::kLittleEndian);
  const ProcNetTable be = ParseProcNet(text, WordOrder::kBigEndian);
  if (le.sockets.size() + le.malformed_lines > lines) abort();
  if (le.sockets.size() != be.sockets.size() || le.malformed_lines != be.malformed_lines) abort();
  for (size_t i = 0; i < le.sockets.size(); ++i) {
    const ProcNetSocket& s = le.sockets[i];
    if (s.local.family != s.remote.family) abort();
    if (s.local.family != 4 && s.local.family != 6) abort();
    if (s.local_port != be.sockets[i].local_port || s.inode != be.sockets[i].inode) abort();
    (void)TcpStateName(s.state);
    (void)Unmapped(s.remote).ToString();
  }
  return 0;
}
