// Expected output written by hand from the records below.
#include "collector/cli/addresses_command.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

AddressRecord Closed() {
  AddressRecord r;
  r.agent_id = "a1";
  r.hostname = "ws1";
  r.interface = "eth0";
  r.mac = "00:11:22:33:44:55";
  r.address = "10.0.0.7";
  r.first_seen = absl::FromUnixSeconds(1795629600);  // 2026-11-25T18:00:00Z
  r.last_seen = absl::FromUnixSeconds(1795633200);   // 2026-11-25T19:00:00Z
  r.valid_to = absl::FromUnixSeconds(1795640400);    // 2026-11-25T21:00:00Z
  r.first_observed = absl::FromUnixSeconds(1795629599);
  r.last_observed = absl::FromUnixSeconds(1795633199);
  r.closed_observed = absl::FromUnixSeconds(1795640399) + absl::Milliseconds(500);
  return r;
}

AddressRecord Open() {
  AddressRecord r;
  r.agent_id = "agent-2";
  r.hostname = "";
  r.interface = "wlan0";
  r.mac = "";
  r.address = "2001:db8::7";
  r.first_seen = absl::FromUnixSeconds(1795640400);
  r.last_seen = absl::FromUnixSeconds(1795640400);
  r.first_observed = r.first_seen;
  r.last_observed = r.last_seen;
  return r;
}

TEST(AddressesCommandTest, JsonLines) {
  EXPECT_EQ(AddressJsonLine(Closed()),
            "{\"address\":\"10.0.0.7\",\"agentId\":\"a1\",\"hostname\":\"ws1\","
            "\"interface\":\"eth0\",\"mac\":\"00:11:22:33:44:55\","
            "\"firstSeen\":\"2026-11-25T18:00:00Z\",\"lastSeen\":\"2026-11-25T19:00:00Z\","
            "\"validTo\":\"2026-11-25T21:00:00Z\",\"firstObserved\":\"2026-11-25T17:59:59Z\","
            "\"lastObserved\":\"2026-11-25T18:59:59Z\","
            "\"closedObserved\":\"2026-11-25T20:59:59.500000Z\"}");
  EXPECT_EQ(AddressJsonLine(Open()),
            "{\"address\":\"2001:db8::7\",\"agentId\":\"agent-2\",\"hostname\":\"\","
            "\"interface\":\"wlan0\",\"mac\":\"\",\"firstSeen\":\"2026-11-25T21:00:00Z\","
            "\"lastSeen\":\"2026-11-25T21:00:00Z\",\"validTo\":null,"
            "\"firstObserved\":\"2026-11-25T21:00:00Z\",\"lastObserved\":\"2026-11-25T21:00:00Z\","
            "\"closedObserved\":null}");
}

TEST(AddressesCommandTest, Table) {
  EXPECT_EQ(AddressTable({Closed(), Open()}),
            "FROM                  LAST SEEN             UNTIL                 HOSTNAME  AGENT    "
            "INTERFACE  MAC                ADDRESS\n"
            "2026-11-25T18:00:00Z  2026-11-25T19:00:00Z  2026-11-25T21:00:00Z  ws1       a1       "
            "eth0       00:11:22:33:44:55  10.0.0.7\n"
            "2026-11-25T21:00:00Z  2026-11-25T21:00:00Z  held                  -         agent-2  "
            "wlan0      -                  2001:db8::7\n");
  EXPECT_EQ(AddressTable({}),
            "FROM                  LAST SEEN             UNTIL                 HOSTNAME  AGENT  "
            "INTERFACE  MAC  ADDRESS\n");
}

}  // namespace
}  // namespace cleansweep::collector
