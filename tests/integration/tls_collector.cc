#include "tests/integration/tls_collector.h"

#include "collector/store/sqlite_event_store.h"
#include "gtest/gtest.h"
#include "tests/integration/enroll_for_test.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {

TlsCollectorEnv::TlsCollectorEnv() {
  MakePki(dir_.path());
  ca_pem_ = ReadFileOrDie(path("ca.pem"));
}

std::unique_ptr<CollectorProcess> TlsCollectorEnv::StartCollector(
    const std::string& listen, const std::vector<std::string>& extra_args) const {
  std::vector<std::string> args = {"--db", db(), "--listen", listen, "--tls-cert",
                                   path("server.pem"), "--tls-key", path("server.key"),
                                   "--enroll-secret-file", path("enroll-secret")};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return CollectorProcess::Start(args, path("collector.log"));
}

agent::UplinkOptions TlsCollectorEnv::EnrolledOptions(const CollectorProcess& collector,
                                                      const std::string& agent_id) {
  std::string& key = node_keys_[agent_id];
  if (key.empty()) key = EnrollOrDie(collector.address(), ca_pem_, path("enroll-secret"), agent_id);
  agent::UplinkOptions o;
  o.collector_addresses = {collector.address()};
  o.ca_pem = ca_pem_;
  o.token = key;
  o.agent_id = agent_id;
  o.version = "0.1.0";
  return o;
}

std::vector<collector::StoredEvent> TlsCollectorEnv::StoredEvents(
    const std::string& agent_id) const {
  collector::SqliteOptions ro;
  ro.read_only = true;
  ro.create = false;
  auto store = collector::OpenSqliteEventStore(db(), ro);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  collector::EventFilter filter;
  filter.agent_id = agent_id;
  auto events = (*store)->ListEvents(filter);
  EXPECT_TRUE(events.ok()) << events.status();
  return events.ok() ? *std::move(events) : std::vector<collector::StoredEvent>{};
}

cleansweep::v1::Event SimpleSmtpEvent(uint64_t seq) {
  cleansweep::v1::Event e;
  e.set_sequence(seq);
  e.mutable_time()->set_seconds(1700000000 + static_cast<int64_t>(seq));
  e.set_interface("eth0");
  auto* s = e.mutable_smtp();
  s->mutable_client()->set_ip("10.0.0.5");
  s->mutable_client()->set_port(static_cast<uint32_t>(1024 + seq % 60000));
  s->mutable_server()->set_ip("192.0.2.25");
  s->mutable_server()->set_port(25);
  return e;
}

}  // namespace cleansweep::testing
