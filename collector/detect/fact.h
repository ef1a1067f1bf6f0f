// Fact: the few numbers of one event the rules look at, classified against
// the site (inside/outside, relay, mail server, our domains). Small and
// fixed-size so the live detector can keep hours of them per host.
//
// ExtractFact is a pure function of (compiled rules, event); it returns
// nullopt for events the rules never judge: the source address is not inside
// an internal network, does not parse, or the event has no kind.
#ifndef CLEANSWEEP_COLLECTOR_DETECT_FACT_H_
#define CLEANSWEEP_COLLECTOR_DETECT_FACT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/event.pb.h"
#include "collector/detect/compiled_rules.h"
#include "collector/detect/event_wire.h"
#include "collector/detect/ip_address.h"

namespace cleansweep::collector {

enum class FactKind : uint8_t { kSmtp, kDns, kWormPort };

inline constexpr uint8_t kFactExternal = 1;       // destination outside and not a relay
inline constexpr uint8_t kFactSourceExempt = 2;   // source is a relay or mail server
inline constexpr uint8_t kFactToRelay = 4;        // destination is an approved relay

struct Fact {
  int64_t time_us = 0;
  uint64_t sequence = 0;
  uint32_t agent = 0;  // index into the AgentIds the fact was made with
  FactKind kind = FactKind::kSmtp;
  uint8_t transport = 0;  // cleansweep::v1::Transport
  uint8_t outcome = 0;    // cleansweep::v1::ConnectionOutcome
  uint8_t flags = 0;
  uint32_t dst_port = 0;
  uint32_t rcpt = 0;             // SMTP: RCPT TO commands, overflow included
  uint32_t own_domain_from = 0;  // SMTP: transactions with MAIL FROM in our domains
  uint64_t key = 0;              // hash of the destination address, or of the MX name
  bool Failed() const;
};

struct HostFact {
  IpAddress host;
  Fact fact;
};

// Agent ids, interned: facts carry a 32-bit index.
class AgentIds {
 public:
  uint32_t Intern(absl::string_view agent_id);
  const std::string& Name(uint32_t index) const { return names_[index]; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, uint32_t> index_;
  // Events come in runs of one agent's batch: the last answer is checked
  // before the hash lookup.
  uint32_t last_ = 0;
};

std::optional<HostFact> ExtractFact(const CompiledRules& rules, uint32_t agent,
                                    const cleansweep::v1::Event& event);
// The same from the event's fields (event_wire.h): ExtractFact(rules, agent,
// event) == ExtractFact(rules, agent, FieldsOf(event)).
std::optional<HostFact> ExtractFact(const CompiledRules& rules, uint32_t agent,
                                    const EventFields& fields);

// The facts' total order: time, then agent id, then sequence. Both the live
// detector and `findings` judge facts in this order, so equal inputs give
// equal findings whatever order they arrived in.
bool FactBefore(const Fact& a, const Fact& b, const AgentIds& agents);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_DETECT_FACT_H_
