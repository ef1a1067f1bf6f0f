// Decodes every frame of real captures and compares each one with tshark's
// dissection of the same file (testdata/*.tshark.tsv, made by
// testdata/make_tshark_tsv.sh). tshark is the oracle: addresses, ports, TCP
// flags, raw sequence/ack numbers and payload lengths must all agree, and
// frames tshark does not see as IP+TCP/UDP (ICMP errors quoting a TCP header)
// must be ignored.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "agent/decode/decoder.h"
#include "gtest/gtest.h"
#include "tests/support/testdata.h"

namespace cleansweep::agent {
namespace {

using ::cleansweep::testing::ReadFileOrDie;
using ::cleansweep::testing::SourceDir;
using ::cleansweep::testing::TestDataPath;

// Classic libpcap file format (https://wiki.wireshark.org/Development/LibpcapFileFormat),
// either byte order, micro- or nanosecond magic. Just enough for tests.
struct PcapFile {
  int link_type = -1;
  std::vector<std::string> frames;
};

uint32_t Load32(const std::string& b, size_t off, bool swap) {
  const auto* p = reinterpret_cast<const uint8_t*>(b.data() + off);
  return swap ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
              : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
}

PcapFile ReadPcap(const std::string& path) {
  PcapFile f;
  const std::string b = ReadFileOrDie(path);
  if (b.size() < 24) {
    ADD_FAILURE() << path << ": too short";
    return f;
  }
  const uint32_t magic = Load32(b, 0, false);
  bool swap;
  if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
    swap = false;
  } else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
    swap = true;
  } else {
    ADD_FAILURE() << path << ": not a classic pcap file";
    return f;
  }
  f.link_type = static_cast<int>(Load32(b, 20, swap) & 0x0FFFFFFF);
  size_t off = 24;
  while (off + 16 <= b.size()) {
    const uint32_t caplen = Load32(b, off + 8, swap);
    off += 16;
    if (caplen > b.size() - off) {
      ADD_FAILURE() << path << ": truncated record";
      break;
    }
    f.frames.push_back(b.substr(off, caplen));
    off += caplen;
  }
  return f;
}

struct TsharkRow {
  bool expect_ok = false;
  std::string src, dst;
  int sport = 0, dport = 0;
  bool tcp = false;
  int flags = 0;
  int64_t seq = 0, ack = 0;
  size_t payload_len = 0;
};

int64_t Num(absl::string_view s) {
  int64_t v = 0;
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') {
    v = std::strtoll(std::string(s).c_str(), nullptr, 16);
  } else if (!s.empty()) {
    EXPECT_TRUE(absl::SimpleAtoi(s, &v)) << s;
  }
  return v;
}

std::vector<TsharkRow> ReadTshark(const std::string& path) {
  std::vector<TsharkRow> rows;
  for (absl::string_view line : absl::StrSplit(ReadFileOrDie(path), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> c = absl::StrSplit(line, '\t');
    c.resize(15);
    TsharkRow r;
    // Decodable iff the protocol right after the first IP layer is TCP/UDP.
    std::vector<absl::string_view> protos = absl::StrSplit(c[1], ':');
    for (size_t i = 0; i + 1 < protos.size(); ++i) {
      if (protos[i] == "ip" || protos[i] == "ipv6") {
        r.expect_ok = protos[i + 1] == "tcp" || protos[i + 1] == "udp";
        r.tcp = protos[i + 1] == "tcp";
        break;
      }
    }
    r.src = std::string(!c[2].empty() ? c[2] : c[4]);
    r.dst = std::string(!c[3].empty() ? c[3] : c[5]);
    r.sport = static_cast<int>(Num(r.tcp ? c[6] : c[8]));
    r.dport = static_cast<int>(Num(r.tcp ? c[7] : c[9]));
    r.flags = static_cast<int>(Num(c[10]));
    r.seq = Num(c[11]);
    r.ack = Num(c[12]);
    r.payload_len = r.tcp ? Num(c[13]) : (Num(c[14]) >= 8 ? Num(c[14]) - 8 : 0);
    rows.push_back(r);
  }
  return rows;
}

struct CaptureCase {
  const char* rel;
  int link_type;
  size_t frames;
};

class RealCaptureTest : public ::testing::TestWithParam<CaptureCase> {};

TEST_P(RealCaptureTest, MatchesTshark) {
  const CaptureCase& c = GetParam();
  const PcapFile pcap = ReadPcap(TestDataPath(std::string("pcap/") + c.rel));
  std::string tsv = std::string(c.rel);
  for (char& ch : tsv) ch = ch == '/' ? '_' : ch;
  const std::vector<TsharkRow> rows =
      ReadTshark(SourceDir() + "/agent/decode/testdata/" + tsv + ".tshark.tsv");
  ASSERT_EQ(pcap.link_type, c.link_type);
  ASSERT_EQ(pcap.frames.size(), c.frames);
  ASSERT_EQ(rows.size(), c.frames);
  AnomalyCounters anomalies;
  for (size_t i = 0; i < pcap.frames.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << c.rel << " frame " << i + 1);
    const TsharkRow& want = rows[i];
    const auto& bytes = pcap.frames[i];
    DecodedPacket p;
    const DecodeOutcome o = DecodePacket(
        pcap.link_type,
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), &p,
        &anomalies);
    if (!want.expect_ok) {
      EXPECT_EQ(o, DecodeOutcome::kIgnored);
      continue;
    }
    ASSERT_EQ(o, DecodeOutcome::kOk);
    EXPECT_EQ(p.src.ToString(), want.src);
    EXPECT_EQ(p.dst.ToString(), want.dst);
    EXPECT_EQ(p.ip_proto, want.tcp ? kIpProtoTcp : kIpProtoUdp);
    EXPECT_EQ(p.src_port, want.sport);
    EXPECT_EQ(p.dst_port, want.dport);
    EXPECT_EQ(p.payload.size(), want.payload_len);
    if (want.tcp) {
      EXPECT_EQ(p.tcp_flags, want.flags & 0xFF);
      EXPECT_EQ(p.seq, static_cast<uint32_t>(want.seq));
      EXPECT_EQ(p.ack, static_cast<uint32_t>(want.ack));
    }
  }
  EXPECT_EQ(anomalies.Total(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Captures, RealCaptureTest,
    ::testing::Values(CaptureCase{"zeek/smtp.pcap", 1, 125},
                      CaptureCase{"suricata-verify/smtp-pipelining/input.pcap", 0, 18},
                      CaptureCase{"suricata-verify/smtp-rset/input.pcap", 0, 42},
                      CaptureCase{"zeek/smtp-attachment-msg.pcap", 1, 17},
                      CaptureCase{"arkime/dns-mx.pcap", 1, 2},
                      CaptureCase{"zeek/dns-long-connection-MX.pcap", 1, 22}));

// Hand-checked against MANIFEST.md and `tshark -r smtp.pcap -c 3`: the first
// TCP packet (frame 3, after a DNS query/response) is the client's SYN.
TEST(RealCaptureTest, ZeekSmtpFirstTcpPacketIsClientSyn) {
  const PcapFile pcap = ReadPcap(TestDataPath("pcap/zeek/smtp.pcap"));
  ASSERT_GE(pcap.frames.size(), 3u);
  const std::string& f = pcap.frames[2];
  DecodedPacket p;
  ASSERT_EQ(DecodePacket(pcap.link_type,
                         absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(f.data()), f.size()),
                         &p, nullptr),
            DecodeOutcome::kOk);
  EXPECT_EQ(p.src.ToString(), "10.10.1.4");
  EXPECT_EQ(p.src_port, 1470);
  EXPECT_EQ(p.dst.ToString(), "74.53.140.153");
  EXPECT_EQ(p.dst_port, 25);
  EXPECT_EQ(p.tcp_flags, kTcpSyn);
  EXPECT_EQ(p.seq, 2126795696u);
  EXPECT_TRUE(p.payload.empty());
}

// SMTP over IPv6 loopback (MANIFEST.md: ::1 -> ::1:25).
TEST(RealCaptureTest, ZeekSmtpIpv6) {
  const PcapFile pcap = ReadPcap(TestDataPath("pcap/zeek/smtp-attachment-msg.pcap"));
  ASSERT_FALSE(pcap.frames.empty());
  const std::string& f = pcap.frames[0];
  DecodedPacket p;
  ASSERT_EQ(DecodePacket(pcap.link_type,
                         absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(f.data()), f.size()),
                         &p, nullptr),
            DecodeOutcome::kOk);
  EXPECT_EQ(p.src.ToString(), "::1");
  EXPECT_EQ(p.dst.ToString(), "::1");
  EXPECT_EQ(p.dst_port, 25);
  EXPECT_EQ(p.tcp_flags, kTcpSyn);
}

}  // namespace
}  // namespace cleansweep::agent
