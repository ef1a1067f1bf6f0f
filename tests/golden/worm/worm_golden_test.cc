// Worm-port contacts from real captures, through the real agent binary.
#include "gtest/gtest.h"
#include "tests/support/agent_runner.h"
#include "tests/support/testdata.h"

namespace cleansweep::testing {
namespace {

// ID2T's Win7_eternalblue_scan.pcap: one SMB check from 192.168.189.138:37123
// to 192.168.189.140:445, answered (SYN-ACK in frame 2, per tshark), then
// closed. One contact — not a scan.
TEST(WormGolden, EternalBlueCheckIsExactlyOneContactTo445) {
  auto events = ReadPcapEvents(TestDataPath("pcap/id2t/Win7_eternalblue_scan.pcap"));
  int contacts = 0;
  for (const auto& e : events) {
    if (!e.has_worm_port()) continue;
    ++contacts;
    const auto& c = e.worm_port();
    EXPECT_EQ(c.client().ip(), "192.168.189.138");
    EXPECT_EQ(c.client().port(), 37123u);
    EXPECT_EQ(c.server().ip(), "192.168.189.140");
    EXPECT_EQ(c.server().port(), 445u);
    EXPECT_EQ(c.transport(), cleansweep::v1::TRANSPORT_TCP);
    EXPECT_EQ(c.outcome(), cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
    EXPECT_EQ(c.attempts(), 1u);
  }
  EXPECT_EQ(contacts, 1);
  EXPECT_EQ(events.size(), 1u) << "nothing but the 445 contact is in this capture";
}

// Sequence numbers are per agent, contiguous from 1, in emission order.
TEST(WormGolden, SequenceNumbersAreContiguousFromOne) {
  auto events = ReadPcapEvents(TestDataPath("pcap/zeek/smtp.pcap"));
  ASSERT_FALSE(events.empty());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);
    EXPECT_EQ(events[i].interface(), "smtp.pcap");
  }
}

// pcap and pcapng of the same packets give the same events.
TEST(WormGolden, PcapngGivesTheSameEventsAsPcap) {
  auto a = ReadPcapEvents(TestDataPath("pcap/zeek/smtp.pcap"));
  auto b = ReadPcapEvents(TestDataPath("derived/smtp.pcapng"));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    b[i].set_interface(a[i].interface());
    EXPECT_EQ(a[i].SerializeAsString(), b[i].SerializeAsString()) << i;
  }
}

}  // namespace
}  // namespace cleansweep::testing
