// cs_bench_gen: writes a deterministic, realistic mixed capture for the
// throughput benchmark (run_bench.sh).
//
//   cs_bench_gen [--size-mb N] [--out FILE] [--seed S]
//
// The capture is classic pcap (microsecond timestamps, LINKTYPE_ETHERNET),
// written directly without libpcap. Traffic among ~200 internal hosts and
// many external ones, interleaved over up to 64 concurrent sessions:
//   - TLS over TCP/443 and HTTP/80: handshake, request, bulk response in full
//     1460-byte segments with delayed ACKs, FIN teardown;
//   - QUIC over UDP/443: bursts of 1200-1350-byte datagrams;
//   - a few percent SMTP sessions to 25/587 with a real dialogue (220, EHLO,
//     MAIL FROM, RCPT TO, DATA, message, QUIT) and correct sequence numbers;
//   - DNS MX queries and responses over UDP/53;
//   - worm-port SYNs (135, 139, 445, 1080, 3127, 5554, 9898), some answered
//     with RST.
// About 10% of sessions are IPv6 and about 5% are 802.1Q-tagged. The output
// depends only on --seed and --size-mb; the same arguments always give the
// same bytes. Stops at the first packet boundary past the requested size.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// ---- deterministic PRNG (splitmix64) ---------------------------------------

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>((Next() >> 32) * n >> 32); }
  uint32_t Range(uint32_t lo, uint32_t hi) { return lo + Below(hi - lo + 1); }
  bool Chance(double p) { return (Next() >> 11) * (1.0 / 9007199254740992.0) < p; }

 private:
  uint64_t s_;
};

// ---- output ------------------------------------------------------------------

class PcapWriter {
 public:
  explicit PcapWriter(FILE* f) : f_(f) {
    buf_.reserve(kChunk + 70000);
    Put32(0xa1b2c3d4);
    Put16(2);
    Put16(4);
    Put32(0);  // thiszone
    Put32(0);  // sigfigs
    Put32(65535);
    Put32(1);  // LINKTYPE_ETHERNET
  }
  ~PcapWriter() { Flush(); }

  void Record(uint64_t time_us, const uint8_t* frame, size_t len) {
    Put32(static_cast<uint32_t>(time_us / 1000000));
    Put32(static_cast<uint32_t>(time_us % 1000000));
    Put32(static_cast<uint32_t>(len));
    Put32(static_cast<uint32_t>(len));
    buf_.insert(buf_.end(), frame, frame + len);
    written_ += 16 + len;
    if (buf_.size() >= kChunk) Flush();
  }
  uint64_t written() const { return written_ + 24; }
  bool ok() const { return ok_; }
  void Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) ok_ = false;
    buf_.clear();
  }

 private:
  static constexpr size_t kChunk = 4 << 20;
  void Put16(uint16_t v) {
    buf_.push_back(static_cast<uint8_t>(v));
    buf_.push_back(static_cast<uint8_t>(v >> 8));
  }
  void Put32(uint32_t v) {
    Put16(static_cast<uint16_t>(v));
    Put16(static_cast<uint16_t>(v >> 16));
  }
  FILE* f_;
  std::vector<uint8_t> buf_;
  uint64_t written_ = 0;
  bool ok_ = true;
};

// ---- packet building -----------------------------------------------------

struct Endpoint {
  bool v6 = false;
  uint8_t addr[16] = {};
  uint16_t port = 0;
  uint8_t mac[6] = {};
};

struct Packet {
  bool from_client;
  uint8_t proto;  // 6 or 17
  uint8_t flags;  // TCP
  uint32_t seq, ack;
  uint32_t off;  // payload offset in the session's byte store
  uint32_t len;
  uint32_t gap_us;  // delay before this packet
};

// Random filler standing in for encrypted or compressed bytes.
std::vector<uint8_t> g_noise;

uint32_t Sum16(const uint8_t* p, size_t n, uint32_t acc) {
  for (; n >= 2; p += 2, n -= 2) acc += uint32_t{p[0]} << 8 | p[1];
  if (n) acc += uint32_t{p[0]} << 8;
  return acc;
}
uint16_t Fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xFFFF) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}
void Be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Be32(uint8_t* p, uint32_t v) {
  Be16(p, static_cast<uint16_t>(v >> 16));
  Be16(p + 2, static_cast<uint16_t>(v));
}

// Builds one Ethernet frame into `out`; returns its length.
size_t BuildFrame(const Endpoint& src, const Endpoint& dst, int vlan, const Packet& pk,
                  const uint8_t* payload, uint8_t* out) {
  uint8_t* p = out;
  std::memcpy(p, dst.mac, 6);
  std::memcpy(p + 6, src.mac, 6);
  p += 12;
  if (vlan > 0) {
    Be16(p, 0x8100);
    Be16(p + 2, static_cast<uint16_t>(vlan));
    p += 4;
  }
  Be16(p, src.v6 ? 0x86DD : 0x0800);
  p += 2;
  const size_t l4_hdr = pk.proto == 6 ? 20 : 8;
  const size_t l4_len = l4_hdr + pk.len;
  uint8_t* ip = p;
  uint32_t pseudo = 0;
  if (!src.v6) {
    ip[0] = 0x45;
    ip[1] = 0;
    Be16(ip + 2, static_cast<uint16_t>(20 + l4_len));
    Be16(ip + 4, static_cast<uint16_t>(pk.seq ^ pk.off));  // identification
    Be16(ip + 6, 0x4000);                                   // DF
    ip[8] = 64;
    ip[9] = pk.proto;
    Be16(ip + 10, 0);
    std::memcpy(ip + 12, src.addr, 4);
    std::memcpy(ip + 16, dst.addr, 4);
    Be16(ip + 10, Fold(Sum16(ip, 20, 0)));
    pseudo = Sum16(ip + 12, 8, 0);
    p += 20;
  } else {
    Be32(ip, 0x60000000);
    Be16(ip + 4, static_cast<uint16_t>(l4_len));
    ip[6] = pk.proto;
    ip[7] = 64;
    std::memcpy(ip + 8, src.addr, 16);
    std::memcpy(ip + 24, dst.addr, 16);
    pseudo = Sum16(ip + 8, 32, 0);
    p += 40;
  }
  pseudo += pk.proto + static_cast<uint32_t>(l4_len);
  uint8_t* l4 = p;
  Be16(l4, src.port);
  Be16(l4 + 2, dst.port);
  if (pk.proto == 6) {
    Be32(l4 + 4, pk.seq);
    Be32(l4 + 8, pk.ack);
    l4[12] = 0x50;
    l4[13] = pk.flags;
    Be16(l4 + 14, 64240);
    Be16(l4 + 16, 0);
    Be16(l4 + 18, 0);
  } else {
    Be16(l4 + 4, static_cast<uint16_t>(l4_len));
    Be16(l4 + 6, 0);
  }
  std::memcpy(l4 + l4_hdr, payload, pk.len);
  uint16_t sum = Fold(Sum16(l4, l4_len, pseudo));
  if (pk.proto == 17 && sum == 0) sum = 0xFFFF;
  Be16(l4 + (pk.proto == 6 ? 16 : 6), sum);
  p += l4_len;
  size_t len = static_cast<size_t>(p - out);
  while (len < 60) out[len++] = 0;  // Ethernet minimum frame
  return len;
}

// ---- sessions ----------------------------------------------------------------

constexpr int kInternalHosts = 200;
constexpr uint32_t kMss = 1460;

class Session {
 public:
  Endpoint client, server;
  int vlan = 0;
  std::string bytes;  // payload store; Packet::off/len index into it
  std::vector<Packet> packets;
  size_t next = 0;

  bool Done() const { return next >= packets.size(); }

  uint32_t AddBytes(const std::string& s) {
    const uint32_t off = static_cast<uint32_t>(bytes.size());
    bytes += s;
    return off;
  }
  uint32_t AddNoise(Rng& rng, uint32_t len) {
    const uint32_t off = static_cast<uint32_t>(bytes.size());
    const uint32_t start = rng.Below(static_cast<uint32_t>(g_noise.size() - len));
    bytes.append(reinterpret_cast<const char*>(g_noise.data()) + start, len);
    return off;
  }
};

// TCP bookkeeping for one connection: sequence numbers on both sides.
class TcpFlow {
 public:
  TcpFlow(Session* s, Rng* rng) : s_(s), rng_(rng) {
    cseq_ = static_cast<uint32_t>(rng->Next());
    sseq_ = static_cast<uint32_t>(rng->Next());
  }
  void Handshake() {
    Add(true, 0x02, cseq_, 0, 0, 0, Gap(200));
    ++cseq_;
    Add(false, 0x12, sseq_, cseq_, 0, 0, Gap(20000));
    ++sseq_;
    Add(true, 0x10, cseq_, sseq_, 0, 0, Gap(100));
  }
  // Sends a message from one side: MSS-sized segments, the peer ACKing every
  // second segment and the last one.
  void Send(bool from_client, uint32_t off, uint32_t len) {
    uint32_t& seq = from_client ? cseq_ : sseq_;
    uint32_t& peer = from_client ? sseq_ : cseq_;
    int unacked = 0;
    for (uint32_t done = 0; done < len;) {
      const uint32_t n = len - done < kMss ? len - done : kMss;
      const bool last = done + n == len;
      Add(from_client, last ? 0x18 : 0x10, seq, peer, off + done, n, Gap(done == 0 ? 3000 : 60));
      seq += n;
      done += n;
      if (++unacked == 2 || last) {
        Add(!from_client, 0x10, peer, seq, 0, 0, Gap(150));
        unacked = 0;
      }
    }
  }
  void Close() {
    Add(true, 0x11, cseq_, sseq_, 0, 0, Gap(500));
    ++cseq_;
    Add(false, 0x11, sseq_, cseq_, 0, 0, Gap(20000));
    ++sseq_;
    Add(true, 0x10, cseq_, sseq_, 0, 0, Gap(100));
  }

 private:
  uint32_t Gap(uint32_t mean) { return rng_->Below(2 * mean + 1); }
  void Add(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t off,
           uint32_t len, uint32_t gap) {
    s_->packets.push_back(Packet{from_client, 6, flags, seq, ack, off, len, gap});
  }
  Session* s_;
  Rng* rng_;
  uint32_t cseq_, sseq_;
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  // Fills `s` with a new random session.
  void NewSession(Session* s) {
    s->bytes.clear();
    s->packets.clear();
    s->next = 0;
    const bool v6 = rng_.Chance(0.10);
    s->vlan = rng_.Chance(0.05) ? static_cast<int>(rng_.Range(1, 3) * 10) : 0;
    InternalHost(v6, &s->client);
    ExternalHost(v6, &s->server);
    const uint32_t kind = rng_.Below(1000);
    // Sessions: 38% TLS, 20% QUIC, 18% HTTP, 14% SMTP, 5% MX lookups, 5%
    // worm-port SYNs. Web sessions are long, so by packets SMTP is a few percent.
    if (kind < 380) {
      Tls(s);
    } else if (kind < 580) {
      Quic(s);
    } else if (kind < 760) {
      Http(s);
    } else if (kind < 900) {
      Smtp(s);
    } else if (kind < 950) {
      DnsMx(s);
    } else {
      WormSyn(s);
    }
  }

 private:
  void InternalHost(bool v6, Endpoint* e) {
    const uint32_t h = rng_.Below(kInternalHosts);
    *e = Endpoint();
    e->v6 = v6;
    if (v6) {
      const uint8_t prefix[8] = {0xfd, 0x00, 0x0c, 0x1e, 0x00, 0x00, 0x00, 0x01};
      std::memcpy(e->addr, prefix, 8);
      e->addr[14] = static_cast<uint8_t>(h >> 8);
      e->addr[15] = static_cast<uint8_t>(h + 1);
    } else {
      e->addr[0] = 10;
      e->addr[1] = 20;
      e->addr[2] = static_cast<uint8_t>(h / 100);
      e->addr[3] = static_cast<uint8_t>(10 + h % 100);
    }
    const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x10, static_cast<uint8_t>(h >> 8),
                            static_cast<uint8_t>(h)};
    std::memcpy(e->mac, mac, 6);
    e->port = static_cast<uint16_t>(rng_.Range(32768, 60999));
  }
  void ExternalHost(bool v6, Endpoint* e) {
    *e = Endpoint();
    e->v6 = v6;
    const uint64_t r = rng_.Next();
    if (v6) {
      const uint8_t prefix[4] = {0x20, 0x01, 0x0d, 0xb8};
      std::memcpy(e->addr, prefix, 4);
      for (int i = 0; i < 8; ++i) e->addr[8 + i] = static_cast<uint8_t>(r >> (8 * i));
    } else {
      // Public-looking unicast: first octet 11..223 except 127 and 172.
      uint8_t a = static_cast<uint8_t>(11 + r % 213);
      if (a == 127 || a == 172 || a == 192 || a == 100) a = 93;
      e->addr[0] = a;
      e->addr[1] = static_cast<uint8_t>(r >> 8);
      e->addr[2] = static_cast<uint8_t>(r >> 16);
      e->addr[3] = static_cast<uint8_t>(1 + (r >> 24) % 254);
    }
    const uint8_t gw[6] = {0x00, 0x1b, 0x21, 0xaa, 0xbb, 0x01};  // the default router
    std::memcpy(e->mac, gw, 6);
  }

  // Record-shaped noise: TLS records (`type` 0x16 handshake, 0x17 data) of at
  // most 16 KiB, each with its 5-byte header, then random bytes.
  uint32_t TlsRecords(Session* s, uint32_t len, char type = 0x17) {
    const uint32_t off = s->AddNoise(rng_, len);
    uint32_t at = 0;
    while (len - at > 5) {
      const uint32_t rest = len - at;
      uint32_t body = rest - 5 > 16384 ? 16384 : rest - 5;
      const uint32_t after = rest - 5 - body;
      if (after > 0 && after <= 5) body -= 6;  // leave room for a whole last record
      s->bytes[off + at] = type;
      s->bytes[off + at + 1] = 0x03;
      s->bytes[off + at + 2] = 0x03;
      s->bytes[off + at + 3] = static_cast<char>(body >> 8);
      s->bytes[off + at + 4] = static_cast<char>(body);
      at += 5 + body;
    }
    return off;
  }

  uint32_t BulkSize() {
    // Mostly small to medium responses, a tail of large downloads.
    const uint32_t r = rng_.Below(100);
    if (r < 50) return rng_.Range(2000, 20000);
    if (r < 90) return rng_.Range(20000, 200000);
    return rng_.Range(200000, 800000);
  }

  void Tls(Session* s) {
    s->server.port = 443;
    TcpFlow t(s, &rng_);
    t.Handshake();
    t.Send(true, TlsRecords(s, 517, 0x16), 517);  // ClientHello
    const uint32_t cert_len = rng_.Range(2500, 5000);  // ServerHello .. Finished
    t.Send(false, TlsRecords(s, cert_len, 0x16), cert_len);
    for (int i = rng_.Range(1, 3); i > 0; --i) {
      const uint32_t req = rng_.Range(100, 900);
      t.Send(true, TlsRecords(s, req), req);
      const uint32_t resp = BulkSize();
      t.Send(false, TlsRecords(s, resp), resp);
    }
    t.Close();
  }

  void Http(Session* s) {
    s->server.port = 80;
    TcpFlow t(s, &rng_);
    t.Handshake();
    const std::string req = "GET /assets/" + std::to_string(rng_.Below(100000)) +
                            ".js HTTP/1.1\r\nHost: cdn" + std::to_string(rng_.Below(50)) +
                            ".example.com\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n";
    const uint32_t req_off = s->AddBytes(req);
    t.Send(true, req_off, static_cast<uint32_t>(req.size()));
    const uint32_t body = BulkSize();
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\n"
                             "Content-Length: " + std::to_string(body) + "\r\n\r\n";
    const uint32_t off = s->AddBytes(head);
    s->AddNoise(rng_, body);
    t.Send(false, off, static_cast<uint32_t>(head.size()) + body);
    t.Close();
  }

  void Quic(Session* s) {
    s->server.port = 443;
    const int bursts = static_cast<int>(rng_.Range(2, 12));
    for (int b = 0; b < bursts; ++b) {
      AddUdp(s, true, rng_.Range(60, 1250), 5000);
      const int n = static_cast<int>(rng_.Range(4, 40));
      for (int i = 0; i < n; ++i) AddUdp(s, false, rng_.Range(1200, 1350), 80);
      AddUdp(s, true, rng_.Range(40, 60), 200);
    }
  }
  void AddUdp(Session* s, bool from_client, uint32_t len, uint32_t gap_mean) {
    const uint32_t off = s->AddNoise(rng_, len);
    s->bytes[off] = from_client ? 0x40 : 0x41;  // QUIC short header
    s->packets.push_back(Packet{from_client, 17, 0, 0, 0, off, len, rng_.Below(2 * gap_mean + 1)});
  }

  void Smtp(Session* s) {
    s->server.port = rng_.Chance(0.7) ? 25 : 587;
    const uint32_t user = rng_.Below(kInternalHosts);
    const std::string me = "user" + std::to_string(user) + "@corp.example";
    const std::string rcpt = "contact" + std::to_string(rng_.Below(5000)) + "@partner" +
                             std::to_string(rng_.Below(300)) + ".example.net";
    TcpFlow t(s, &rng_);
    t.Handshake();
    auto say = [&](bool client, const std::string& line) {
      t.Send(client, s->AddBytes(line), static_cast<uint32_t>(line.size()));
    };
    say(false, "220 mx.partner.example.net ESMTP Postfix\r\n");
    say(true, "EHLO ws" + std::to_string(user) + ".corp.example\r\n");
    say(false,
        "250-mx.partner.example.net\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
        "250-8BITMIME\r\n250 SMTPUTF8\r\n");
    say(true, "MAIL FROM:<" + me + ">\r\n");
    say(false, "250 2.1.0 Ok\r\n");
    say(true, "RCPT TO:<" + rcpt + ">\r\n");
    say(false, "250 2.1.5 Ok\r\n");
    say(true, "DATA\r\n");
    say(false, "354 End data with <CR><LF>.<CR><LF>\r\n");
    std::string msg = "From: <" + me + ">\r\nTo: <" + rcpt +
                      ">\r\nSubject: Quarterly figures\r\nDate: Tue, 14 Nov 2023 10:00:00 +0000\r\n"
                      "Message-ID: <" + std::to_string(rng_.Next() % 1000000007) +
                      "@corp.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n";
    const int lines = static_cast<int>(rng_.Range(5, 300));
    for (int i = 0; i < lines; ++i) {
      msg += "Line " + std::to_string(i) + " of the report: all figures are in the attachment.\r\n";
    }
    msg += ".\r\n";
    say(true, msg);
    say(false, "250 2.0.0 Ok: queued as " + std::to_string(rng_.Below(1u << 30)) + "\r\n");
    say(true, "QUIT\r\n");
    say(false, "221 2.0.0 Bye\r\n");
    t.Close();
  }

  static void PutName(std::string* out, const std::string& name) {
    size_t start = 0;
    while (start < name.size()) {
      size_t dot = name.find('.', start);
      if (dot == std::string::npos) dot = name.size();
      out->push_back(static_cast<char>(dot - start));
      out->append(name, start, dot - start);
      start = dot + 1;
    }
    out->push_back(0);
  }

  void DnsMx(Session* s) {
    // Ask the internal resolver (IPv4) or an external one (IPv6).
    if (!s->client.v6) {
      const uint8_t resolver[4] = {10, 20, 0, 2};
      std::memcpy(s->server.addr, resolver, 4);
    }
    s->server.port = 53;
    const std::string domain = "partner" + std::to_string(rng_.Below(300)) + ".example.net";
    const uint16_t id = static_cast<uint16_t>(rng_.Next());
    std::string q;
    q.push_back(static_cast<char>(id >> 8));
    q.push_back(static_cast<char>(id));
    q.append("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // RD, QDCOUNT 1
    PutName(&q, domain);
    q.append("\x00\x0f\x00\x01", 4);  // MX IN
    std::string r = q;
    r[2] = static_cast<char>(0x81);
    r[3] = static_cast<char>(0x80);
    r[7] = 2;  // ANCOUNT 2
    for (int pref = 10; pref <= 20; pref += 10) {
      std::string exch;
      PutName(&exch, "mx" + std::to_string(pref / 10) + "." + domain);
      r.append("\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10", 10);  // ptr, MX IN, TTL 3600
      const uint16_t rdlen = static_cast<uint16_t>(2 + exch.size());
      r.push_back(static_cast<char>(rdlen >> 8));
      r.push_back(static_cast<char>(rdlen));
      r.push_back(0);
      r.push_back(static_cast<char>(pref));
      r += exch;
    }
    const uint32_t qo = s->AddBytes(q), ro = s->AddBytes(r);
    s->packets.push_back(Packet{true, 17, 0, 0, 0, qo, static_cast<uint32_t>(q.size()), 1000});
    s->packets.push_back(
        Packet{false, 17, 0, 0, 0, ro, static_cast<uint32_t>(r.size()), rng_.Range(500, 30000)});
  }

  void WormSyn(Session* s) {
    static const uint16_t kPorts[] = {135, 139, 445, 1080, 3127, 5554, 9898, 2745, 6129};
    s->server.port = kPorts[rng_.Below(sizeof(kPorts) / sizeof(kPorts[0]))];
    const uint32_t seq = static_cast<uint32_t>(rng_.Next());
    s->packets.push_back(Packet{true, 6, 0x02, seq, 0, 0, 0, rng_.Below(400)});
    if (rng_.Chance(0.4)) {
      s->packets.push_back(Packet{false, 6, 0x14, 0, seq + 1, 0, 0, rng_.Range(5000, 60000)});
    } else {
      s->packets.push_back(Packet{true, 6, 0x02, seq, 0, 0, 0, 3000000});  // retransmission
    }
  }

  Rng rng_;
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t size_mb = 1100;
  uint64_t seed = 20231114;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--size-mb" || a == "--out" || a == "--seed") && i + 1 < argc) {
      const char* v = argv[++i];
      if (a == "--out") {
        out_path = v;
      } else {
        char* end = nullptr;
        errno = 0;
        const unsigned long long n = std::strtoull(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0') {
          std::fprintf(stderr, "cs_bench_gen: bad number for %s: %s\n", a.c_str(), v);
          return 2;
        }
        (a == "--seed" ? seed : size_mb) = n;
      }
    } else {
      std::fprintf(stderr, "usage: cs_bench_gen [--size-mb N] [--out FILE] [--seed S]\n");
      return 2;
    }
  }
  if (out_path.empty()) {
    std::fprintf(stderr, "cs_bench_gen: --out FILE is required\n");
    return 2;
  }
  FILE* f = std::fopen(out_path.c_str(), "wb");
  if (f == nullptr) {
    std::fprintf(stderr, "cs_bench_gen: cannot open %s: %s\n", out_path.c_str(), std::strerror(errno));
    return 1;
  }

  Rng noise_rng(seed ^ 0xABCDEFull);
  g_noise.resize(1 << 22);
  for (size_t i = 0; i + 8 <= g_noise.size(); i += 8) {
    const uint64_t v = noise_rng.Next();
    std::memcpy(&g_noise[i], &v, 8);
  }

  const uint64_t target = size_mb << 20;
  Generator gen(seed);
  Rng pick(seed + 1);
  constexpr int kConcurrent = 64;
  std::vector<Session> active(kConcurrent);
  for (Session& s : active) gen.NewSession(&s);
  uint64_t packets = 0;
  uint64_t now_us = 1700000000ull * 1000000;  // 2023-11-14T22:13:20Z
  uint8_t frame[1600];
  {
    PcapWriter w(f);
    while (w.written() < target) {
      Session& s = active[pick.Below(kConcurrent)];
      if (s.Done()) {
        gen.NewSession(&s);
        continue;
      }
      const Packet& pk = s.packets[s.next++];
      // Sessions interleave, so each gap is scaled down to keep the capture's
      // packet rate plausible (~50k packets/s).
      now_us += 1 + pk.gap_us / kConcurrent;
      const Endpoint& src = pk.from_client ? s.client : s.server;
      const Endpoint& dst = pk.from_client ? s.server : s.client;
      const size_t len = BuildFrame(src, dst, s.vlan, pk,
                                    reinterpret_cast<const uint8_t*>(s.bytes.data()) + pk.off,
                                    frame);
      w.Record(now_us, frame, len);
      ++packets;
    }
    w.Flush();
    if (!w.ok()) {
      std::fprintf(stderr, "cs_bench_gen: write to %s failed\n", out_path.c_str());
      std::fclose(f);
      return 1;
    }
    std::fprintf(stderr, "cs_bench_gen: wrote %llu packets, %llu bytes to %s\n",
                 static_cast<unsigned long long>(packets),
                 static_cast<unsigned long long>(w.written()), out_path.c_str());
  }
  if (std::fclose(f) != 0) {
    std::fprintf(stderr, "cs_bench_gen: close %s failed\n", out_path.c_str());
    return 1;
  }
  return 0;
}
