// libpcap implementations of CaptureSource. This is the only file in the
// project that includes <pcap.h>.
#include <pcap/pcap.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/capture/capture_source.h"

namespace cleansweep::agent {
namespace {

constexpr size_t kFileBufferBytes = 1 << 20;

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapHandle = std::unique_ptr<pcap_t, PcapCloser>;

struct DispatchContext {
  absl::FunctionRef<void(const RawPacket&)>* callback;
  int64_t ts_divisor;  // 1 for microsecond, 1000 for nanosecond precision
};

void OnPcapPacket(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
  auto* ctx = reinterpret_cast<DispatchContext*>(user);
  RawPacket packet;
  packet.time_us = static_cast<int64_t>(header->ts.tv_sec) * 1000000 +
                   static_cast<int64_t>(header->ts.tv_usec) / ctx->ts_divisor;
  packet.data = absl::MakeConstSpan(bytes, header->caplen);
  packet.wire_length = header->len;
  (*ctx->callback)(packet);
}

class PcapSource : public CaptureSource {
 public:
  PcapSource(PcapHandle handle, std::string name, bool live, int64_t ts_divisor)
      : handle_(std::move(handle)), name_(std::move(name)), live_(live), ts_divisor_(ts_divisor) {
    link_type_ = pcap_datalink(handle_.get());
    fd_ = live_ ? pcap_get_selectable_fd(handle_.get()) : -1;
  }

  // The stdio buffer of the file libpcap reads; must outlive the pcap handle.
  void AdoptFileBuffer(std::unique_ptr<char[]> buffer) { file_buffer_ = std::move(buffer); }

  const std::string& name() const override { return name_; }
  int link_type() const override { return link_type_; }
  int selectable_fd() const override { return fd_; }

  absl::Status SetFilter(const std::string& expression) override {
    bpf_program program;
    if (pcap_compile(handle_.get(), &program, expression.c_str(), /*optimize=*/1,
                     PCAP_NETMASK_UNKNOWN) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("capture filter does not compile on ", name_, ": ",
                       pcap_geterr(handle_.get())));
    }
    int rc = pcap_setfilter(handle_.get(), &program);
    pcap_freecode(&program);
    if (rc != 0) {
      return absl::InternalError(
          absl::StrCat("cannot install capture filter on ", name_, ": ", pcap_geterr(handle_.get())));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<int> Dispatch(int max_packets,
                               absl::FunctionRef<void(const RawPacket&)> callback) override {
    DispatchContext ctx{&callback, ts_divisor_};
    int n = pcap_dispatch(handle_.get(), max_packets <= 0 ? -1 : max_packets, &OnPcapPacket,
                          reinterpret_cast<u_char*>(&ctx));
    if (n == PCAP_ERROR) {
      std::string err = pcap_geterr(handle_.get());
      if (!live_) return absl::DataLossError(absl::StrCat(name_, ": ", err));
      return absl::UnavailableError(absl::StrCat("capture on ", name_, " failed: ", err));
    }
    if (n == PCAP_ERROR_BREAK) return 0;
    if (n == 0 && !live_) return absl::OutOfRangeError("end of file");
    return n;
  }

  CaptureStats Stats() override {
    CaptureStats stats;
    if (!live_) return stats;
    pcap_stat ps;
    if (pcap_stats(handle_.get(), &ps) == 0) {
      stats.received = ps.ps_recv;
      stats.dropped = ps.ps_drop;
      stats.interface_dropped = ps.ps_ifdrop;
    }
    return stats;
  }

 private:
  // Declared before handle_ so it is destroyed after the handle closes the file.
  std::unique_ptr<char[]> file_buffer_;
  PcapHandle handle_;
  std::string name_;
  bool live_;
  int64_t ts_divisor_;
  int link_type_ = 0;
  int fd_ = -1;
};

// libpcap's own messages for a bad file are terse ("unknown file format");
// say what the operator has in front of them.
std::string DescribeBadFile(const std::string& path, const char* pcap_error) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::StrCat("cannot read ", path, ": ", std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return absl::StrCat("cannot read ", path, ": it is a directory");
  if (st.st_size == 0) return absl::StrCat(path, ": empty file, not a pcap or pcapng capture");
  std::string err = pcap_error;
  if (absl::StrContains(err, "unknown file format")) {
    return absl::StrCat(path, ": not a pcap or pcapng capture (", err, ")");
  }
  if (absl::StrContains(err, "truncated")) {
    return absl::StrCat(path, ": truncated capture file (", err, ")");
  }
  return absl::StrCat(path, ": ", err);
}

}  // namespace

absl::StatusOr<CaptureSourcePtr> OpenCaptureFile(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::InvalidArgumentError(DescribeBadFile(path, ""));
  // libpcap reads record by record through stdio; with the default buffer
  // most of a replay is spent in read(2). A large buffer makes reading a
  // multi-gigabyte capture cost little more than the page cache copy.
  // (glibc ignores the size unless it is given the buffer itself.)
  auto buffer = std::make_unique<char[]>(kFileBufferBytes);
  std::setvbuf(file, buffer.get(), _IOFBF, kFileBufferBytes);
  // Ask for microseconds whatever the file stores; pcapng with nanosecond
  // resolution is scaled by libpcap. On success libpcap owns `file`.
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (p == nullptr) {
    std::fclose(file);
    return absl::InvalidArgumentError(DescribeBadFile(path, errbuf));
  }
  auto source = std::make_unique<PcapSource>(PcapHandle(p), path, /*live=*/false, 1);
  source->AdoptFileBuffer(std::move(buffer));
  return CaptureSourcePtr(std::move(source));
}

absl::StatusOr<CaptureSourcePtr> OpenLiveInterface(const std::string& interface,
                                                   const LiveOptions& options) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  PcapHandle p(pcap_create(interface.c_str(), errbuf));
  if (p == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot open interface ", interface, ": ", errbuf));
  }
  pcap_set_snaplen(p.get(), options.snaplen);
  pcap_set_promisc(p.get(), 0);
  pcap_set_timeout(p.get(), options.timeout_ms);
  pcap_set_buffer_size(p.get(), options.buffer_bytes);
  // The filter admits few packets, so per-packet wake-ups cost little; in
  // exchange nothing waits in a half-filled kernel block when the agent stops
  // or a heartbeat is due.
  pcap_set_immediate_mode(p.get(), 1);
  int rc = pcap_activate(p.get());
  if (rc < 0) {
    std::string why = pcap_geterr(p.get());
    if (rc == PCAP_ERROR_PERM_DENIED) {
      why += " (capturing needs root or CAP_NET_RAW and CAP_NET_ADMIN)";
    } else if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
      why = "no such interface";
    }
    return absl::InvalidArgumentError(absl::StrCat("cannot capture on ", interface, ": ", why));
  }
  if (pcap_setnonblock(p.get(), 1, errbuf) != 0) {
    return absl::InternalError(absl::StrCat("cannot make ", interface, " non-blocking: ", errbuf));
  }
  return CaptureSourcePtr(new PcapSource(std::move(p), interface, /*live=*/true, 1));
}

absl::StatusOr<std::vector<std::string>> DefaultCaptureInterfaces() {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_if_t* all = nullptr;
  if (pcap_findalldevs(&all, errbuf) != 0) {
    return absl::InternalError(absl::StrCat("cannot list interfaces: ", errbuf));
  }
  std::vector<std::string> names;
  for (pcap_if_t* d = all; d != nullptr; d = d->next) {
    std::string name = d->name;
    if ((d->flags & PCAP_IF_LOOPBACK) || !(d->flags & PCAP_IF_UP)) continue;
    if (name == "any" || absl::StartsWith(name, "nflog") || absl::StartsWith(name, "nfqueue") ||
        absl::StartsWith(name, "usbmon") || absl::StartsWith(name, "bluetooth") ||
        absl::StartsWith(name, "dbus")) {
      continue;
    }
    names.push_back(name);
  }
  pcap_freealldevs(all);
  return names;
}

absl::Status CheckFilterCompiles(const std::string& expression, int link_type) {
  PcapHandle p(pcap_open_dead(link_type, 65535));
  if (p == nullptr) return absl::InternalError("pcap_open_dead failed");
  bpf_program program;
  if (pcap_compile(p.get(), &program, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter does not compile: ", pcap_geterr(p.get())));
  }
  pcap_freecode(&program);
  return absl::OkStatus();
}

}  // namespace cleansweep::agent
