// The set-up most integration tests share: deploy/pki.sh's PKI in a fresh
// directory, the real collector serving TLS with that PKI's enrollment secret,
// agents enrolled through the agent's own enrollment client, and a read-only
// look at what the collector stored.
#ifndef CLEANSWEEP_TESTS_INTEGRATION_TLS_COLLECTOR_H_
#define CLEANSWEEP_TESTS_INTEGRATION_TLS_COLLECTOR_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/uplink/uplink.h"
#include "cleansweep/v1/event.pb.h"
#include "collector/store/event_store.h"
#include "tests/integration/collector_process.h"

namespace cleansweep::testing {

class TlsCollectorEnv {
 public:
  TlsCollectorEnv();  // makes the PKI (fails the test on error)

  std::string path(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string db() const { return path("c.db"); }
  const std::string& ca_pem() const { return ca_pem_; }

  // `serve` on db() with the PKI; `listen` "127.0.0.1:0" picks a port.
  std::unique_ptr<CollectorProcess> StartCollector(
      const std::string& listen = "127.0.0.1:0",
      const std::vector<std::string>& extra_args = {}) const;

  // Uplink options for `agent_id` streaming to `collector` over TLS, with a
  // node key enrolled there on first use (kept for later calls: restarts of
  // the collector keep its database, and with it the enrollment).
  agent::UplinkOptions EnrolledOptions(const CollectorProcess& collector,
                                       const std::string& agent_id);

  // What the collector stored for `agent_id` (every agent when empty), in
  // the store's order; opened read-only.
  std::vector<collector::StoredEvent> StoredEvents(const std::string& agent_id = "") const;

 private:
  TempDir dir_;
  std::string ca_pem_;
  std::map<std::string, std::string> node_keys_;
};

// An SMTP connection event: sequence `seq`, time 1700000000 + seq seconds,
// client 10.0.0.5:(1024 + seq % 60000), server 192.0.2.25:25. For seq in
// 1..127 every such event has the same serialized size.
cleansweep::v1::Event SimpleSmtpEvent(uint64_t seq);

}  // namespace cleansweep::testing

#endif  // CLEANSWEEP_TESTS_INTEGRATION_TLS_COLLECTOR_H_
