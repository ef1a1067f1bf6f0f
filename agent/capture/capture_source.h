// One interface for every place packets come from: a live interface or a
// capture file (pcap or pcapng). The pipeline cannot tell them apart.
//
// A source is used from one thread. Packets handed to the callback borrow the
// source's buffer and are valid only during the call.
#ifndef CLEANSWEEP_AGENT_CAPTURE_CAPTURE_SOURCE_H_
#define CLEANSWEEP_AGENT_CAPTURE_CAPTURE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cleansweep::agent {

struct RawPacket {
  int64_t time_us = 0;
  absl::Span<const uint8_t> data;  // captured bytes (may be shorter than wire_length)
  uint32_t wire_length = 0;
};

// pcap_stats(3) plus interface state. For files only `received` is meaningful.
struct CaptureStats {
  uint64_t received = 0;
  uint64_t dropped = 0;
  uint64_t interface_dropped = 0;
  bool up = true;
};

class CaptureSource {
 public:
  virtual ~CaptureSource() = default;

  // Interface name, or the file path.
  virtual const std::string& name() const = 0;
  // pcap LINKTYPE_* of the packets.
  virtual int link_type() const = 0;
  // Installs a BPF filter (in the kernel for live sources). InvalidArgument with
  // libpcap's message if it does not compile.
  virtual absl::Status SetFilter(const std::string& expression) = 0;
  // Hands up to `max_packets` packets (<= 0: all currently available) to
  // `callback`. Returns how many were delivered: 0 means none available right
  // now (live). OutOfRange at the end of a file; DataLoss for a truncated or
  // corrupt file (packets before the damage have been delivered).
  virtual absl::StatusOr<int> Dispatch(int max_packets,
                                       absl::FunctionRef<void(const RawPacket&)> callback) = 0;
  // A descriptor that becomes readable when packets wait (live), or -1.
  virtual int selectable_fd() const = 0;
  virtual CaptureStats Stats() = 0;
};

using CaptureSourcePtr = std::unique_ptr<CaptureSource>;

struct LiveOptions {
  // Enough for every SMTP command and reply segment on a 1500-byte (or jumbo
  // 4k) link. Larger offloaded segments are cut; the SMTP observer treats the
  // lost bytes as a capture hole (counted) and resynchronises on the next line.
  int snaplen = 4096;
  // Kernel ring (mapped into the agent, so it counts towards its RSS): about
  // 240 frames of `snaplen`. Small on purpose: the filter admits little, and
  // a workstation agent should stay lean. Drops show in every heartbeat.
  int buffer_bytes = 1 << 20;
  int timeout_ms = 250;
};

// Opens a capture file (pcap or pcapng). The error names the file and says
// what is wrong with it ("not a pcap or pcapng file", "empty file", ...).
absl::StatusOr<CaptureSourcePtr> OpenCaptureFile(const std::string& path);

// Opens a live interface, non-promiscuous, non-blocking.
absl::StatusOr<CaptureSourcePtr> OpenLiveInterface(const std::string& interface,
                                                   const LiveOptions& options = {});

// Interfaces that are up and not loopback (and not pseudo-devices such as
// "any", nflog, usbmon, bluetooth, dbus).
absl::StatusOr<std::vector<std::string>> DefaultCaptureInterfaces();

// Checks that `expression` compiles for `link_type` (no device needed).
absl::Status CheckFilterCompiles(const std::string& expression, int link_type);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_CAPTURE_CAPTURE_SOURCE_H_
