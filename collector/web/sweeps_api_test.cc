// Sweeps through the status API, over a store built by hand: the list, one
// sweep's hosts in order, the fleet's last sweep, each host's last sweep and
// results, with agent text escaped.
#include "collector/web/sweeps_api.h"

#include <map>
#include <string>

#include "collector/store/temp_store_test_util.h"
#include "collector/web/status_api.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1795780800);  // 2026-11-27T12:00:00Z
constexpr char kHostile[] = "<script>alert(1)</script>";

Struct Parse(const std::string& json) {
  Struct s;
  auto st = google::protobuf::util::JsonStringToMessage(json, &s);
  EXPECT_TRUE(st.ok()) << st << "\n" << json;
  return s;
}
const Struct& Obj(const Struct& s, const std::string& key) {
  return s.fields().at(key).struct_value();
}
const ListValue& List(const Struct& s, const std::string& key) {
  return s.fields().at(key).list_value();
}
std::string Str(const Struct& s, const std::string& key) {
  return s.fields().at(key).string_value();
}
double Num(const Struct& s, const std::string& key) { return s.fields().at(key).number_value(); }

cleansweep::v1::SweepRequest Request(const std::string& id, absl::Time issued,
                                     absl::Duration lifetime) {
  cleansweep::v1::SweepRequest r;
  r.set_sweep_id(id);
  r.mutable_issued_time()->set_seconds(absl::ToUnixSeconds(issued));
  r.mutable_expires_time()->set_seconds(absl::ToUnixSeconds(issued + lifetime));
  auto* p = r.add_backdoor_ports();
  p->set_port(3127);
  p->set_transport(cleansweep::v1::TRANSPORT_TCP);
  return r;
}

class SweepsApiTest : public test_util::TempStoreTest {
 protected:
  void SetUp() override {
    TempStoreTest::SetUp();
    // ws-a: an agent in the inventory; ws-b: an agent not in it; ws-c:
    // asked, never connected.
    ASSERT_TRUE(store_->ReplaceInventory({{"ws-a", "", "", {}}}, kNow).ok());
    ASSERT_TRUE(store_->UpsertAgent({"agent-a", "ws-a", "1", "p"}, kNow - absl::Hours(3)).ok());
    ASSERT_TRUE(store_->UpsertAgent({"agent-b", "zz-b", "1", "p"}, kNow - absl::Hours(3)).ok());
    // old (expired): agent-a clean. new: agent-a found, agent-b clean,
    // agent-c no answer.
    ASSERT_TRUE(
        store_->CreateSweep(Request("old", kNow - absl::Hours(30), absl::Hours(24)), {"agent-a"})
            .ok());
    cleansweep::v1::SweepAgentStatus clean;
    clean.set_verdict(cleansweep::v1::SWEEP_VERDICT_CLEAN);
    clean.mutable_result()->set_platform("linux");
    ASSERT_TRUE(store_->RecordSweepAnswer("old", "agent-a", clean, kNow - absl::Hours(29)).ok());
    ASSERT_TRUE(store_
                    ->CreateSweep(Request("new", kNow - absl::Hours(1), absl::Hours(24)),
                                  {"agent-a", "agent-b", "agent-c"})
                    .ok());
    ASSERT_TRUE(store_->MarkSweepDelivered("new", {"agent-a", "agent-b"}, kNow - absl::Hours(1))
                    .ok());
    cleansweep::v1::SweepAgentStatus found;
    found.set_verdict(cleansweep::v1::SWEEP_VERDICT_FOUND);
    found.add_reasons(absl::StrCat("listening on backdoor port 3127/tcp (0.0.0.0): pid 42 ",
                                   kHostile));
    auto* r = found.mutable_result();
    r->set_platform("linux");
    r->set_hosts_file("/etc/hosts");
    r->set_hosts_entries(3);
    for (uint32_t port : {3127u, 445u}) {
      auto* l = r->add_listeners();
      l->set_transport(cleansweep::v1::TRANSPORT_TCP);
      l->mutable_local()->set_ip("0.0.0.0");
      l->mutable_local()->set_port(port);
      auto* p = l->add_processes();
      p->set_pid(42);
      p->set_name(kHostile);
      p->set_exe("/tmp/x");
    }
    auto* c = r->add_smtp_connections();
    c->mutable_local()->set_ip("2001:db8::7");
    c->mutable_local()->set_port(50211);
    c->mutable_remote()->set_ip("192.0.2.25");
    c->mutable_remote()->set_port(25);
    c->set_state("ESTABLISHED");
    auto* e = r->add_hosts_redirects();
    e->set_line(2);
    e->set_name("www.symantec.com");
    e->set_address("127.0.0.1");
    e->set_domain("symantec.com");
    ASSERT_TRUE(store_->RecordSweepAnswer("new", "agent-a", found, kNow - absl::Minutes(59)).ok());
    ASSERT_TRUE(store_->RecordSweepAnswer("new", "agent-b", clean, kNow - absl::Minutes(58)).ok());
    auto snap = LoadStatusSnapshot(*store_, kNow);
    ASSERT_TRUE(snap.ok()) << snap.status();
    snap_ = *std::move(snap);
  }

  StatusSnapshot snap_;
};

TEST_F(SweepsApiTest, ListsSweepsNewestFirstWithTheirCounts) {
  absl::StatusOr<std::string> json = SweepsJson(*store_, snap_, {});
  ASSERT_TRUE(json.ok()) << json.status();
  const Struct r = Parse(*json);
  EXPECT_TRUE(r.fields().at("available").bool_value());
  EXPECT_FALSE(r.fields().at("more").bool_value());
  const ListValue& sweeps = List(r, "sweeps");
  ASSERT_EQ(sweeps.values_size(), 2);
  const Struct& s = sweeps.values(0).struct_value();
  EXPECT_EQ(Str(s, "id"), "new");
  EXPECT_EQ(Str(s, "issued"), "2026-11-27T11:00:00Z");
  EXPECT_EQ(Str(s, "expires"), "2026-11-28T11:00:00Z");
  EXPECT_FALSE(s.fields().at("expired").bool_value());
  EXPECT_EQ(Num(s, "asked"), 3);
  EXPECT_EQ(Num(s, "delivered"), 2);
  EXPECT_EQ(Num(s, "answered"), 2);
  EXPECT_EQ(Num(s, "found"), 1);
  EXPECT_EQ(Num(s, "incomplete"), 0);
  const Struct& old = sweeps.values(1).struct_value();
  EXPECT_EQ(Str(old, "id"), "old");
  EXPECT_TRUE(old.fields().at("expired").bool_value());  // 2026-11-27T06:00:00Z < now
}

TEST_F(SweepsApiTest, OneSweepListsItsHostsFoundFirst) {
  absl::StatusOr<std::string> json = SweepsJson(*store_, snap_, {{"id", "new"}});
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, Not(HasSubstr("<script>")));
  const Struct s = Obj(Parse(*json), "sweep");
  EXPECT_EQ(Str(s, "id"), "new");
  const ListValue& hosts = List(s, "hosts");
  ASSERT_EQ(hosts.values_size(), 3);
  const Struct& a = hosts.values(0).struct_value();
  EXPECT_EQ(Str(a, "status"), "found");
  EXPECT_EQ(Str(a, "key"), "agent-a");
  EXPECT_EQ(Str(a, "hostname"), "ws-a");
  EXPECT_EQ(Str(a, "answered"), "2026-11-27T11:01:00Z");
  EXPECT_EQ(List(a, "reasons").values(0).string_value(),
            absl::StrCat("listening on backdoor port 3127/tcp (0.0.0.0): pid 42 ", kHostile));
  const Struct& b = hosts.values(1).struct_value();
  EXPECT_EQ(Str(b, "status"), "clean");
  EXPECT_EQ(Str(b, "hostname"), "zz-b");  // the agent's own name: not in the inventory
  const Struct& c = hosts.values(2).struct_value();
  EXPECT_EQ(Str(c, "status"), "no answer");
  EXPECT_EQ(Str(c, "agentId"), "agent-c");
  EXPECT_TRUE(c.fields().at("key").has_null_value());  // no such host on the page
  EXPECT_TRUE(c.fields().at("delivered").has_null_value());
  EXPECT_TRUE(c.fields().at("answered").has_null_value());

  absl::StatusOr<std::string> missing = SweepsJson(*store_, snap_, {{"id", "nope"}});
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
}

TEST_F(SweepsApiTest, FleetAndHostsShowTheLastSweep) {
  const Struct fleet = Parse(FleetJson(snap_));
  const Struct& last = Obj(fleet, "lastSweep");
  EXPECT_EQ(Str(last, "id"), "new");
  EXPECT_EQ(Num(last, "found"), 1);

  const HostView* a = snap_.FindHost("agent-a");
  ASSERT_NE(a, nullptr);
  const Struct host_a = Parse(HostLastSweepJson(*a));
  EXPECT_EQ(Str(host_a, "sweepId"), "new");
  EXPECT_EQ(Str(host_a, "status"), "found");
  EXPECT_EQ(Str(host_a, "time"), "2026-11-27T11:01:00Z");
  // In the hosts list too.
  HostsQuery query;
  const Struct list = Parse(HostsJson(snap_, query));
  bool seen = false;
  for (const auto& v : List(list, "hosts").values()) {
    if (Str(v.struct_value(), "key") != "agent-a") continue;
    seen = true;
    EXPECT_EQ(Str(Obj(v.struct_value(), "lastSweep"), "status"), "found");
  }
  EXPECT_TRUE(seen);
}

TEST_F(SweepsApiTest, AHostsResultsSayWhatItReported) {
  const HostView* a = snap_.FindHost("agent-a");
  ASSERT_NE(a, nullptr);
  absl::StatusOr<std::string> json = HostSweepsJson(*store_, snap_, *a);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, Not(HasSubstr("<script>")));
  EXPECT_THAT(*json, HasSubstr("\\u003cscript\\u003e"));
  ListValue results;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &results).ok());
  ASSERT_EQ(results.values_size(), 2);  // new, then old
  const Struct& r = results.values(0).struct_value();
  EXPECT_EQ(Str(r, "sweepId"), "new");
  EXPECT_EQ(Str(r, "status"), "found");
  EXPECT_EQ(Str(r, "delivered"), "2026-11-27T11:00:00Z");
  EXPECT_EQ(Str(r, "hostsFile"), "/etc/hosts");
  EXPECT_EQ(Num(r, "hostsEntries"), 3);
  const ListValue& listeners = List(r, "listeners");
  ASSERT_EQ(listeners.values_size(), 2);
  const Struct& l0 = listeners.values(0).struct_value();
  EXPECT_EQ(Str(l0, "transport"), "tcp");
  EXPECT_EQ(Num(l0, "port"), 3127);
  EXPECT_TRUE(l0.fields().at("backdoor").bool_value());
  EXPECT_EQ(Num(List(l0, "processes").values(0).struct_value(), "pid"), 42);
  EXPECT_EQ(Str(List(l0, "processes").values(0).struct_value(), "name"), kHostile);
  EXPECT_FALSE(listeners.values(1).struct_value().fields().at("backdoor").bool_value());  // 445
  const Struct& c = List(r, "smtpConnections").values(0).struct_value();
  EXPECT_EQ(Str(c, "local"), "[2001:db8::7]:50211");
  EXPECT_EQ(Str(c, "remote"), "192.0.2.25:25");
  EXPECT_EQ(Str(List(r, "hostsRedirects").values(0).struct_value(), "name"), "www.symantec.com");
  EXPECT_EQ(Str(results.values(1).struct_value(), "status"), "clean");

  // A host that never reported has none; agent-c is not a host of the page.
  const HostView* b = snap_.FindHost("agent-b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Str(Parse(HostLastSweepJson(*b)), "status"), "clean");
}

}  // namespace
}  // namespace cleansweep::collector::web
