// The simulated fleet the collector benchmarks store: a company of
// workstations, a mail relay and an outbound mail server, and the events their
// agents report (the shapes real agents produce: relay submissions, direct
// deliveries, MX lookups, worm-port attempts). Deterministic for a given Rng
// seed. Used by cs_history_fill and cs_audit_fill.
#ifndef CLEANSWEEP_TESTS_BENCH_FLEET_MODEL_H_
#define CLEANSWEEP_TESTS_BENCH_FLEET_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cleansweep/v1/event.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace cleansweep::bench {

using cleansweep::v1::ConnectionOutcome;
using cleansweep::v1::Event;

inline constexpr int64_t kSecond = 1000000;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;

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
  int64_t Below64(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  bool Chance(double p) { return (Next() >> 11) * (1.0 / 9007199254740992.0) < p; }

 private:
  uint64_t s_;
};


// The site: relay, outbound mail server, resolver and file servers.
inline constexpr const char* kRelay4 = "10.0.0.25";
inline constexpr const char* kRelay6 = "2001:db8:10::25";
inline constexpr const char* kMailServer = "10.0.0.26";
inline constexpr const char* kResolver = "10.0.0.53";
inline constexpr const char* kFileServer = "10.0.0.10";
inline constexpr const char* kNas = "10.0.0.11";

enum class Role { kRelayOnly, kNormal, kMassMailer, kSweeper, kDeveloper, kSlowMailer };

struct Host {
  std::string agent_id;
  std::string ip4;
  std::string ip6;
  Role role = Role::kNormal;
  int64_t burst_start = 0;  // noisy roles: when their behaviour starts
};

extern const char* const kPartners[4];  // partner domains everyday mail goes to

struct Smtp {
  std::string client_ip, server_ip;
  uint32_t server_port = 25;
  ConnectionOutcome outcome = cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED;
  bool starttls = false;
  std::string helo;
  std::string mail_from;       // "" = no visible transaction
  std::vector<std::string> rcpts;
};

std::string Ip4(uint32_t a);
// A public-looking IPv4 address (never 0/8, 10/8, 127/8, 169.254/16,
// 172.16/12, 192.168/16 or multicast and above).
std::string ExternalIp(Rng& rng);
void SetTime(int64_t us, google::protobuf::Timestamp* t);
int64_t Micros(const google::protobuf::Timestamp& t);
// A first name for a mailbox.
std::string Person(Rng& rng);
Event MakeSmtp(Rng& rng, int64_t t, const Smtp& s);
Event MakeDns(Rng& rng, int64_t t, const std::string& client, const std::string& name,
              uint32_t qtype);
Event MakeWorm(Rng& rng, int64_t t, const std::string& client, const std::string& server,
               uint32_t port, ConnectionOutcome outcome);
// Established with probability `established`, refused with `refused`, else
// no answer.
ConnectionOutcome Pick(Rng& rng, double established, double refused);
// When the agent emits the event (a session ends, a query is answered, an
// attempt gives up).
int64_t EmittedAt(const Event& e);
// A workstation's everyday event: relay submissions (most), file-server
// contacts on 445, a few MX and A lookups; relay-only hosts only submit.
Event NormalWorkstationEvent(Rng& rng, const Host& h, int64_t t);
// The mail server's everyday event: kind 0 outbound delivery, 1 an MX lookup,
// otherwise inbound mail.
Event MailServerEvent(Rng& rng, int64_t t, uint32_t kind);

}  // namespace cleansweep::bench

#endif  // CLEANSWEEP_TESTS_BENCH_FLEET_MODEL_H_
