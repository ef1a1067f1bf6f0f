// Hand-built Received chains (top = newest) and the boundary a reader finds
// by following the rules in origin.h.
#include "collector/mail/origin.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::mail {
namespace {

std::vector<ReceivedHop> Chain(std::initializer_list<const char*> lines) {
  std::vector<ReceivedHop> hops;
  for (const char* l : lines) hops.push_back(ParseReceived(l));
  return hops;
}

std::vector<HopRole> Roles(const Origin& o) {
  std::vector<HopRole> r;
  for (const HopVerdict& v : o.hops) r.push_back(v.role);
  return r;
}

constexpr HopRole kIn = HopRole::kInternal;
constexpr HopRole kEntry = HopRole::kEntry;
constexpr HopRole kOut = HopRole::kUntrusted;

// A worm on a home PC sent the message straight to the recipient's MX and
// wrote a fake Received line below, naming our mail server and a private
// address of ours, to put the blame on us.
const std::vector<ReceivedHop> kForgedBottom = Chain({
    "from mx1.recipient.example (mx1.recipient.example [203.0.113.10]) by "
    "store.recipient.example with LMTP; Mon, 1 Jan 2024 10:00:05 +0000",
    "from localhost (localhost [127.0.0.1]) by mx1.recipient.example (amavisd) with ESMTP; "
    "Mon, 1 Jan 2024 10:00:04 +0000",
    "from mail.ourcompany.example (dsl-198-51-100-7.isp.example [198.51.100.7]) by "
    "mx1.recipient.example (Postfix) with ESMTP id 4A; Mon, 1 Jan 2024 10:00:03 +0000",
    "from ws17.ourcompany.example (ws17.ourcompany.example [10.1.2.17]) by "
    "mail.ourcompany.example with ESMTP id FAKE; Mon, 1 Jan 2024 09:59:00 +0000",
});

TEST(OriginTest, ForgedBottomHopIsUntrusted) {
  const Origin o = FindOrigin(kForgedBottom, nullptr);
  EXPECT_EQ(o.method, BoundaryMethod::kInferred);
  EXPECT_EQ(o.receiving_domain, "recipient.example");
  EXPECT_TRUE(o.crossed_boundary);
  ASSERT_TRUE(o.entry_hop);
  EXPECT_EQ(*o.entry_hop, 2u);  // 0-based index; the explanation counts from 1
  EXPECT_EQ(o.origin_ip->ToString(), "198.51.100.7");
  EXPECT_EQ(o.origin_rdns, "dsl-198-51-100-7.isp.example");
  EXPECT_EQ(o.origin_helo, "mail.ourcompany.example");  // what the worm claimed
  EXPECT_EQ(o.entry_server, "mx1.recipient.example");
  ASSERT_TRUE(o.entered_at);
  EXPECT_EQ(absl::ToUnixSeconds(*o.entered_at), 1704103203);
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kIn, kIn, kEntry, kOut));
  EXPECT_EQ(o.hops[0].why,
            "rDNS mx1.recipient.example is in the receiving domain recipient.example");
  EXPECT_EQ(o.hops[1].why, "private address 127.0.0.1");
  EXPECT_THAT(o.explanation, ::testing::HasSubstr("hop 3 is the first hand-off from outside"));
}

TEST(OriginTest, TrustedNetworkMovesTheBoundaryDown) {
  // The recipient gets its mail through a partner's relay. Inferred, the
  // relay is the origin; named with --trusted, the hop below it is.
  const std::vector<ReceivedHop> hops = Chain({
      "from relay.partner.example (relay.partner.example [192.0.2.50]) by mx.recipient.example "
      "with ESMTP; Mon, 1 Jan 2024 10:00:03 +0000",
      "from bot (unknown [198.51.100.99]) by relay.partner.example with SMTP; "
      "Mon, 1 Jan 2024 10:00:01 +0000",
  });
  Origin o = FindOrigin(hops, nullptr);
  EXPECT_EQ(o.origin_ip->ToString(), "192.0.2.50");
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kEntry, kOut));

  absl::StatusOr<TrustedRelays> trusted = ParseTrustedRelays({"192.0.2.0/24"});
  ASSERT_TRUE(trusted.ok());
  o = FindOrigin(hops, &*trusted);
  EXPECT_EQ(o.method, BoundaryMethod::kTrustedRelays);
  EXPECT_EQ(o.origin_ip->ToString(), "198.51.100.99");
  EXPECT_EQ(o.entry_server, "relay.partner.example");
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kIn, kEntry));
  EXPECT_EQ(o.hops[0].why, "address 192.0.2.50 is in --trusted 192.0.2.0/24");

  trusted = ParseTrustedRelays({".partner.example"});
  ASSERT_TRUE(trusted.ok());
  o = FindOrigin(hops, &*trusted);
  EXPECT_EQ(o.origin_ip->ToString(), "198.51.100.99");
}

TEST(OriginTest, HeloNamingTheRecipientNeedsAConsistentChain) {
  // The bot HELOs as one of the recipient's hosts; nothing below was
  // written by that host, so the HELO earns no trust.
  std::vector<ReceivedHop> hops = Chain({
      "from mx2.recipient.example ([198.51.100.7]) by mx.recipient.example with ESMTP; "
      "Mon, 1 Jan 2024 10:00:03 +0000",
      "from ws ([10.0.0.5]) by mail.ourcompany.example; Mon, 1 Jan 2024 09:59:00 +0000",
  });
  Origin o = FindOrigin(hops, nullptr);
  EXPECT_EQ(o.origin_ip->ToString(), "198.51.100.7");
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kEntry, kOut));

  // A real internal hop without rDNS: the next line down was written by mx2.
  hops = Chain({
      "from mx2.recipient.example ([203.0.113.12]) by mx.recipient.example with ESMTP; "
      "Mon, 1 Jan 2024 10:00:03 +0000",
      "from outside.example (outside.example [192.0.2.77]) by mx2.recipient.example; "
      "Mon, 1 Jan 2024 10:00:01 +0000",
  });
  o = FindOrigin(hops, nullptr);
  EXPECT_EQ(o.origin_ip->ToString(), "192.0.2.77");
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kIn, kEntry));

  // A bot that also forges the line below with the recipient's host name
  // fools the inference (every hand-off looks internal); --trusted does not.
  hops = Chain({
      "from mx2.recipient.example ([198.51.100.7]) by mx.recipient.example with ESMTP; "
      "Mon, 1 Jan 2024 10:00:03 +0000",
      "from ws ([10.0.0.5]) by mx2.recipient.example; Mon, 1 Jan 2024 09:59:00 +0000",
  });
  o = FindOrigin(hops, nullptr);
  EXPECT_FALSE(o.crossed_boundary);
  // Never crossed: the origin named is the earliest public address.
  EXPECT_EQ(*o.entry_hop, 0u);
  EXPECT_EQ(o.origin_ip->ToString(), "198.51.100.7");
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kEntry, kIn));
  EXPECT_THAT(o.explanation, ::testing::HasSubstr("give --trusted"));
  absl::StatusOr<TrustedRelays> trusted =
      ParseTrustedRelays({"mx.recipient.example", "mx2.recipient.example"});
  ASSERT_TRUE(trusted.ok());
  o = FindOrigin(hops, &*trusted);
  EXPECT_TRUE(o.crossed_boundary);
  EXPECT_EQ(o.origin_ip->ToString(), "198.51.100.7");
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kEntry, kOut));
}

TEST(OriginTest, InternalSubmissionNeverCrosses) {
  // Every hand-off stays inside example.com: submitted locally at meow.
  const std::vector<ReceivedHop> hops = Chain({
      "from nyaans.example.com (nyaans.example.com [198.51.100.24]) by neko.example.com; "
      "Thu, 29 Apr 2008 23:34:45 -0800",
      "from meow.example.com (meow.example.com [198.51.100.126]) by nyaans.example.com; "
      "Thu, 29 Apr 2008 23:34:45 -0800",
      "by meow.example.com (Postfix, from userid 1111112) id BBBBBBAAAA; "
      "Thu, 29 Apr 2008 23:34:45 -0800",
  });
  Origin o = FindOrigin(hops, nullptr);
  EXPECT_FALSE(o.crossed_boundary);
  EXPECT_EQ(*o.entry_hop, 1u);
  EXPECT_EQ(o.origin_ip->ToString(), "198.51.100.126");
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kIn, kEntry, kIn));
  // All private: the earliest address, private or not.
  o = FindOrigin(Chain({"from ws17 (ws17.corp.example [10.1.2.17]) by relay.corp.example; "
                        "1 Jan 2024 10:00 +0000",
                        "from localhost (localhost [127.0.0.1]) by ws17.corp.example; "
                        "1 Jan 2024 10:00 +0000"}),
                 nullptr);
  EXPECT_FALSE(o.crossed_boundary);
  EXPECT_EQ(o.origin_ip->ToString(), "127.0.0.1");
}

TEST(OriginTest, Ipv6EntryAndHopsWithoutAddresses) {
  const std::vector<ReceivedHop> hops = Chain({
      "(qmail 123 invoked by uid 0); 1 Jan 2024 10:00:05 -0000",
      "from mail.sender.example (mail.sender.example [IPv6:2001:db8::25]) by "
      "mx.recipient.example; Mon, 1 Jan 2024 10:00:00 +0000",
  });
  const Origin o = FindOrigin(hops, nullptr);
  EXPECT_EQ(o.origin_ip->ToString(), "2001:db8::25");
  EXPECT_THAT(Roles(o), ::testing::ElementsAre(kIn, kEntry));
}

TEST(OriginTest, NoAddressesNoOrigin) {
  Origin o = FindOrigin({}, nullptr);
  EXPECT_EQ(o.method, BoundaryMethod::kNoHops);
  EXPECT_FALSE(o.origin_ip);
  EXPECT_FALSE(o.entry_hop);
  o = FindOrigin(Chain({"by a.example id 1; 1 Jan 2024 10:00 +0000"}), nullptr);
  EXPECT_EQ(o.method, BoundaryMethod::kNoHops);
  EXPECT_FALSE(o.origin_ip);
}

TEST(OriginTest, ParseTrustedRelays) {
  absl::StatusOr<TrustedRelays> t =
      ParseTrustedRelays({"192.0.2.25", "2001:db8::/32", "MX.Example.COM.", ".example.net"});
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->networks.size(), 2u);
  EXPECT_EQ(t->networks[0].ToString(), "192.0.2.25/32");
  EXPECT_THAT(t->names, ::testing::ElementsAre("mx.example.com", ".example.net"));
  EXPECT_FALSE(ParseTrustedRelays({"300.1.1.1"}).ok());
  EXPECT_FALSE(ParseTrustedRelays({"10.1.0.0/8"}).ok());
  absl::StatusOr<TrustedRelays> bad = ParseTrustedRelays({"mx example"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "--trusted 'mx example' is neither an address, a CIDR block nor a host name");
}

TEST(OriginTest, ReceivingDomain) {
  EXPECT_EQ(ReceivingDomainOf("mx.recipient.example"), "recipient.example");
  EXPECT_EQ(ReceivingDomainOf("mx1.mail.example.co.uk"), "example.co.uk");
  EXPECT_EQ(ReceivingDomainOf("smtp.server.com.tr"), "server.com.tr");
  EXPECT_EQ(ReceivingDomainOf("mta.example.de."), "example.de");
  EXPECT_EQ(ReceivingDomainOf("localhost"), "localhost");
  EXPECT_EQ(ReceivingDomainOf("192.0.2.1"), "");
}

}  // namespace
}  // namespace cleansweep::collector::mail
