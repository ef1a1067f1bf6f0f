// Parser of Linux's socket tables /proc/net/tcp, tcp6, udp and udp6: a pure
// function over the file's bytes, bounds-checked, never trusting a field's
// length. One socket per line after a header:
//
//   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid timeout inode
//    0: 0100007F:0C37 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  0 23547 ...
//   12: 00000000000000000000000001000000:0019 ...   (tcp6: four 32-bit words)
//
// Addresses are the kernel's in-memory 32-bit words, each printed with %08X,
// so their byte order is the host's (127.0.0.1 is "0100007F" on a
// little-endian machine); ports are host-order %04X; st is the TCP state in
// hex (0A = LISTEN; UDP sockets show 07 unconnected, 01 connected); uid and
// inode are decimal (net/ipv4/tcp_ipv4.c get_tcp4_sock, udp.c udp4_format_sock).
//
// Lines that do not have that shape are counted and skipped; the header (its
// first field is "sl") and blank lines are neither.
#ifndef CLEANSWEEP_AGENT_SWEEP_PROC_NET_H_
#define CLEANSWEEP_AGENT_SWEEP_PROC_NET_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "agent/decode/packet.h"

namespace cleansweep::agent {

// How the kernel that wrote the table lays out a 32-bit word in memory.
enum class WordOrder { kLittleEndian, kBigEndian };
// This machine's (the one whose /proc is read).
WordOrder HostWordOrder();

// TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h).
inline constexpr uint8_t kTcpEstablished = 0x01;
inline constexpr uint8_t kTcpSynSent = 0x02;
inline constexpr uint8_t kTcpListen = 0x0A;
// An unconnected UDP socket (bound, no remote) shows this state.
inline constexpr uint8_t kUdpUnconnected = 0x07;

// The kernel's name of a TCP state ("ESTABLISHED", "LISTEN", ...); "UNKNOWN"
// for numbers it does not use.
absl::string_view TcpStateName(uint8_t state);

struct ProcNetSocket {
  IpAddress local;
  uint16_t local_port = 0;
  IpAddress remote;
  uint16_t remote_port = 0;
  uint8_t state = 0;
  uint32_t uid = 0;
  // 0 for sockets no process holds any more (TIME_WAIT, ...).
  uint64_t inode = 0;
};

struct ProcNetTable {
  std::vector<ProcNetSocket> sockets;
  uint64_t malformed_lines = 0;
};

// Parses a whole table. IPv4 (8 hex digits per address) and IPv6 (32) lines
// are told apart by their length; both may appear in one text.
ProcNetTable ParseProcNet(absl::string_view text, WordOrder order = HostWordOrder());

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, how a dual-stack socket shows
// an IPv4 peer) as the IPv4 address; any other address unchanged.
IpAddress Unmapped(const IpAddress& address);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_SWEEP_PROC_NET_H_
