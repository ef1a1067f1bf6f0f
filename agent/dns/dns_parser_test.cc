#include "agent/dns/dns_parser.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using Bytes = std::vector<uint8_t>;

// Builders for hand-made messages.
void Put16(Bytes* b, uint16_t v) {
  b->push_back(static_cast<uint8_t>(v >> 8));
  b->push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes* b, uint32_t v) {
  Put16(b, static_cast<uint16_t>(v >> 16));
  Put16(b, static_cast<uint16_t>(v));
}
void PutLabels(Bytes* b, const std::vector<std::string>& labels, bool terminate = true) {
  for (const auto& l : labels) {
    b->push_back(static_cast<uint8_t>(l.size()));
    b->insert(b->end(), l.begin(), l.end());
  }
  if (terminate) b->push_back(0);
}
void PutPointer(Bytes* b, uint16_t offset) { Put16(b, static_cast<uint16_t>(0xC000 | offset)); }
Bytes Header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0,
             uint16_t ar = 0) {
  Bytes b;
  Put16(&b, id);
  Put16(&b, flags);
  Put16(&b, qd);
  Put16(&b, an);
  Put16(&b, ns);
  Put16(&b, ar);
  return b;
}

// The response in arkime/dns-mx.pcap, re-typed by hand from RFC 1035 field by
// field (a smaller cousin: two MX answers compressed against the question).
//   id 0x4c17, QR RD RA, NOERROR; question mx.com MX IN;
//   mx.com MX 10 cluster5.us.messagelabs.com; mx.com MX 20 cluster5a.<ptr>
Bytes MxResponse() {
  Bytes b = Header(0x4c17, 0x8180, 1, 2);
  PutLabels(&b, {"mx", "com"});  // offset 12
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  // Answer 1: name -> 12; exchange "cluster5.us.messagelabs.com".
  PutPointer(&b, 12);
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  Put32(&b, 3600);
  Bytes rdata1;
  Put16(&rdata1, 10);
  PutLabels(&rdata1, {"cluster5", "us", "messagelabs", "com"});
  Put16(&b, static_cast<uint16_t>(rdata1.size()));
  const size_t us_offset = b.size() + 2 + 9;  // preference, then "\x08cluster5"
  b.insert(b.end(), rdata1.begin(), rdata1.end());
  // Answer 2: exchange "cluster5a" + pointer to "us.messagelabs.com".
  PutPointer(&b, 12);
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  Put32(&b, 3600);
  Bytes rdata2;
  Put16(&rdata2, 20);
  PutLabels(&rdata2, {"cluster5a"}, /*terminate=*/false);
  PutPointer(&rdata2, static_cast<uint16_t>(us_offset));
  Put16(&b, static_cast<uint16_t>(rdata2.size()));
  b.insert(b.end(), rdata2.begin(), rdata2.end());
  return b;
}

std::string Reason(const Bytes& b) {
  auto msg = ParseDnsMessage(b);
  if (msg.ok()) return "ok";
  return DnsErrorReason(msg.status());
}

TEST(DnsParserTest, ParsesMxResponseWithCompression) {
  Bytes b = MxResponse();
  auto msg = ParseDnsMessage(b);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->id, 0x4c17);
  EXPECT_TRUE(msg->is_response);
  EXPECT_EQ(msg->opcode, 0);
  EXPECT_EQ(msg->rcode, 0);
  EXPECT_FALSE(msg->truncated);
  ASSERT_EQ(msg->questions.size(), 1u);
  EXPECT_EQ(msg->questions[0].name, "mx.com");
  EXPECT_EQ(msg->questions[0].qtype, kDnsTypeMx);
  EXPECT_EQ(msg->questions[0].qclass, 1);
  ASSERT_EQ(msg->answers.size(), 2u);
  EXPECT_EQ(msg->answers[0].name, "mx.com");
  EXPECT_EQ(msg->answers[0].ttl, 3600u);
  EXPECT_EQ(msg->answers[0].mx_preference, 10);
  EXPECT_EQ(msg->answers[0].target, "cluster5.us.messagelabs.com");
  EXPECT_EQ(msg->answers[1].mx_preference, 20);
  EXPECT_EQ(msg->answers[1].target, "cluster5a.us.messagelabs.com");
}

TEST(DnsParserTest, ParsesQueryFlags) {
  Bytes b = Header(0xbeef, 0x0100, 1, 0);  // RD
  PutLabels(&b, {"Example", "ORG"});
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  auto msg = ParseDnsMessage(b);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_FALSE(msg->is_response);
  EXPECT_EQ(msg->id, 0xbeef);
  EXPECT_EQ(msg->questions[0].name, "Example.ORG");  // case preserved
}

TEST(DnsParserTest, HeaderBitsOpcodeRcodeTruncated) {
  // QR, opcode 4 (NOTIFY), TC, RCODE 3.
  Bytes b = Header(1, 0x8000 | (4 << 11) | 0x0200 | 3, 0, 0);
  auto msg = ParseDnsMessage(b);
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(msg->opcode, 4);
  EXPECT_TRUE(msg->truncated);
  EXPECT_EQ(msg->rcode, 3);
}

TEST(DnsParserTest, DecodesAddressesAndTargets) {
  Bytes b = Header(7, 0x8180, 1, 4);
  PutLabels(&b, {"www", "example", "com"});  // 12
  Put16(&b, kDnsTypeAny);
  Put16(&b, 1);
  auto add_rr = [&](uint16_t type, const Bytes& rdata) {
    PutPointer(&b, 12);
    Put16(&b, type);
    Put16(&b, 1);
    Put32(&b, 60);
    Put16(&b, static_cast<uint16_t>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
  };
  add_rr(kDnsTypeA, {192, 0, 2, 1});
  add_rr(kDnsTypeAaaa, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  Bytes cname;
  PutLabels(&cname, {"edge"}, false);
  PutPointer(&cname, 16);  // "example.com" inside the question
  add_rr(kDnsTypeCname, cname);
  add_rr(kDnsTypeTxt, {3, 'a', 'b', 'c'});
  auto msg = ParseDnsMessage(b);
  ASSERT_TRUE(msg.ok()) << msg.status();
  ASSERT_EQ(msg->answers.size(), 4u);
  EXPECT_EQ(msg->answers[0].address, "192.0.2.1");
  EXPECT_EQ(msg->answers[1].address, "2001:db8::1");
  EXPECT_EQ(msg->answers[2].target, "edge.example.com");
  EXPECT_EQ(msg->answers[3].type, kDnsTypeTxt);
  EXPECT_EQ(msg->answers[3].target, "");
}

TEST(DnsParserTest, RootNameAndNullMx) {
  Bytes b = Header(1, 0x8180, 1, 1);
  b.push_back(0);  // root
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  b.push_back(0);
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  Put32(&b, 1);
  Put16(&b, 3);
  Put16(&b, 0);
  b.push_back(0);  // RFC 7505 null MX: exchange "."
  auto msg = ParseDnsMessage(b);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->questions[0].name, ".");
  EXPECT_EQ(msg->answers[0].target, ".");
  EXPECT_EQ(msg->answers[0].mx_preference, 0);
}

TEST(DnsParserTest, EscapesLikeDig) {
  Bytes b = Header(1, 0, 1, 0);
  PutLabels(&b, {std::string("a.b"), std::string("c d\\"), std::string("\x01\xff", 2)});
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  auto msg = ParseDnsMessage(b);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->questions[0].name, "a\\.b.c\\032d\\\\.\\001\\255");
}

TEST(DnsParserTest, PointerToItselfIsALoop) {
  Bytes b = Header(1, 0, 1, 0);
  PutPointer(&b, 12);  // points at itself
  Put16(&b, 15);
  Put16(&b, 1);
  auto msg = ParseDnsMessage(b);
  ASSERT_FALSE(msg.ok());
  EXPECT_THAT(std::string(msg.status().message()), StartsWith("dns_pointer_loop: "));
}

TEST(DnsParserTest, TwoPointerCycleIsALoop) {
  // Question at 12: label "a" then pointer to 17; at 17: label "b" then pointer to 12.
  Bytes b = Header(1, 0, 1, 0);
  PutLabels(&b, {"a"}, false);  // 12..13
  PutPointer(&b, 17);           // 14..15 (forward)
  b.push_back(0);               // 16
  PutLabels(&b, {"b"}, false);  // 17..18
  PutPointer(&b, 12);           // 19..20
  EXPECT_EQ(Reason(b), "dns_pointer_loop");
}

TEST(DnsParserTest, PointerBackToItsOwnNameIsALoop) {
  // Label "xy" at 12, then a pointer at 15 back to 12: it points backwards of
  // itself but into its own run of labels, so following it would repeat
  // "xy.xy.xy..." forever.
  Bytes b = Header(1, 0, 1, 0);
  PutLabels(&b, {"xy"}, false);  // 12..14
  PutPointer(&b, 12);            // 15..16
  Put16(&b, 15);
  Put16(&b, 1);
  EXPECT_EQ(Reason(b), "dns_pointer_loop");
}

TEST(DnsParserTest, ForwardPointerRejected) {
  Bytes b = Header(1, 0, 1, 0);
  PutPointer(&b, 20);
  Put16(&b, 15);
  Put16(&b, 1);
  PutLabels(&b, {"late"});
  EXPECT_EQ(Reason(b), "dns_pointer_loop");
}

TEST(DnsParserTest, ExtendedLabelTypesRejected) {
  for (uint8_t kind : {0x40, 0x80}) {
    Bytes b = Header(1, 0, 1, 0);
    b.push_back(kind | 1);
    b.push_back('a');
    b.push_back(0);
    Put16(&b, 15);
    Put16(&b, 1);
    EXPECT_EQ(Reason(b), "dns_bad_label") << int{kind};
  }
}

TEST(DnsParserTest, NameTooLong) {
  Bytes b = Header(1, 0, 1, 0);
  // 4 labels of 63 bytes = 4 * 64 + 1 = 257 bytes on the wire.
  PutLabels(&b, {std::string(63, 'a'), std::string(63, 'b'), std::string(63, 'c'),
                 std::string(63, 'd')});
  Put16(&b, 15);
  Put16(&b, 1);
  EXPECT_EQ(Reason(b), "dns_name_too_long");

  // 255 exactly is fine: 3 * 64 + 62 + 1.
  Bytes ok = Header(1, 0, 1, 0);
  PutLabels(&ok, {std::string(63, 'a'), std::string(63, 'b'), std::string(63, 'c'),
                  std::string(61, 'd')});
  Put16(&ok, 15);
  Put16(&ok, 1);
  EXPECT_EQ(Reason(ok), "ok");
}

TEST(DnsParserTest, NameTooLongAcrossPointers) {
  // Each answer name adds 63 bytes in front of the previous one.
  Bytes b = Header(1, 0x8000, 1, 5);
  PutLabels(&b, {"q"});
  Put16(&b, 15);
  Put16(&b, 1);
  size_t prev = 12;
  for (int i = 0; i < 5; ++i) {
    const size_t here = b.size();
    PutLabels(&b, {std::string(63, static_cast<char>('a' + i))}, false);
    PutPointer(&b, static_cast<uint16_t>(prev));
    prev = here;
    Put16(&b, kDnsTypeTxt);
    Put16(&b, 1);
    Put32(&b, 0);
    Put16(&b, 0);
  }
  EXPECT_EQ(Reason(b), "dns_name_too_long");
}

TEST(DnsParserTest, TooManyQuestions) {
  Bytes b = Header(1, 0, kMaxDnsQuestions + 1, 0);
  EXPECT_EQ(Reason(b), "dns_too_many_records");
}

TEST(DnsParserTest, AnswersBeyondCapAreSkipped) {
  Bytes b = Header(1, 0x8180, 0, kMaxDnsAnswers + 3);
  for (size_t i = 0; i < kMaxDnsAnswers; ++i) {
    b.push_back(0);
    Put16(&b, kDnsTypeA);
    Put16(&b, 1);
    Put32(&b, 0);
    Put16(&b, 4);
    Put32(&b, static_cast<uint32_t>(i));
  }
  // The remaining three are not even present: they are not looked at.
  auto msg = ParseDnsMessage(b);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->answers.size(), kMaxDnsAnswers);
  EXPECT_EQ(msg->answers_skipped, 3u);
}

TEST(DnsParserTest, BadRdataLengths) {
  auto one = [](uint16_t type, const Bytes& rdata) {
    Bytes b = Header(1, 0x8000, 0, 1);
    b.push_back(0);
    Put16(&b, type);
    Put16(&b, 1);
    Put32(&b, 0);
    Put16(&b, static_cast<uint16_t>(rdata.size()));
    b.insert(b.end(), rdata.begin(), rdata.end());
    return Reason(b);
  };
  EXPECT_EQ(one(kDnsTypeA, {1, 2, 3}), "dns_bad_rdata");
  EXPECT_EQ(one(kDnsTypeAaaa, {1, 2, 3, 4}), "dns_bad_rdata");
  EXPECT_EQ(one(kDnsTypeMx, {0, 10}), "dns_bad_rdata");
  // MX whose exchange runs past RDLENGTH into the next bytes.
  Bytes b = Header(1, 0x8000, 0, 1);
  b.push_back(0);
  Put16(&b, kDnsTypeMx);
  Put16(&b, 1);
  Put32(&b, 0);
  Put16(&b, 4);
  Put16(&b, 10);
  PutLabels(&b, {"mail", "example"});
  EXPECT_EQ(Reason(b), "dns_bad_rdata");
  EXPECT_EQ(one(kDnsTypeCname, {}), "dns_bad_rdata");
}

TEST(DnsParserTest, TruncatedRdata) {
  Bytes b = Header(1, 0x8000, 0, 1);
  b.push_back(0);
  Put16(&b, kDnsTypeA);
  Put16(&b, 1);
  Put32(&b, 0);
  Put16(&b, 4);
  b.push_back(10);  // 1 of 4 bytes
  EXPECT_EQ(Reason(b), "dns_truncated_rdata");
}

TEST(DnsParserTest, EveryTruncationFailsCleanly) {
  const Bytes full = MxResponse();
  ASSERT_EQ(Reason(full), "ok");
  for (size_t n = 0; n < full.size(); ++n) {
    // An exactly sized copy, so tools would catch a read past the end.
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto msg = ParseDnsMessage(cut);
    ASSERT_FALSE(msg.ok()) << "prefix of " << n << " bytes parsed";
    const std::string reason = DnsErrorReason(msg.status());
    EXPECT_THAT(reason, StartsWith("dns_truncated_")) << n << ": " << msg.status();
  }
}

Bytes FromHex(const std::string& hex) {
  Bytes b;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    b.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return b;
}

// Frame 2 of arkime/dns-mx.pcap (UDP payload, `tshark -T fields -e udp.payload`):
// 2 MX answers, 2 NS authority records, 2 A additional records.
const char kArkimeMxResponseHex[] =
    "4c1781800001000200020002026d7803636f6d00000f0001c00c000f00010000"
    "0e10001c000a08636c7573746572350275730b6d6573736167656c616273c00f"
    "c00c000f000100000e10000e001409636c75737465723561c02fc00c00020001"
    "00000e10001504646e73320d737461626c657472616e736974c00fc00c000200"
    "0100000e10000704646e7331c06bc06600010001000005160004413dbc04c087"
    "0001000100000de7000445145f04";

TEST(DnsParserTest, RealMxResponseMatchesArkime) {
  auto msg = ParseDnsMessage(FromHex(kArkimeMxResponseHex));
  ASSERT_TRUE(msg.ok()) << msg.status();
  // Oracle: arkime/dns-mx.test.json, "answers" (priority 10 cluster5..., 20 cluster5a...),
  // "queryHost": "mx.com", "status": "NOERROR".
  EXPECT_EQ(msg->questions[0].name, "mx.com");
  EXPECT_EQ(msg->rcode, 0);
  ASSERT_EQ(msg->answers.size(), 2u);
  EXPECT_EQ(msg->answers[0].mx_preference, 10);
  EXPECT_EQ(msg->answers[0].target, "cluster5.us.messagelabs.com");
  EXPECT_EQ(msg->answers[0].ttl, 3600u);
  EXPECT_EQ(msg->answers[1].mx_preference, 20);
  EXPECT_EQ(msg->answers[1].target, "cluster5a.us.messagelabs.com");
}

TEST(DnsParserTest, EveryTruncationOfTheRealResponseFailsCleanly) {
  const Bytes full = FromHex(kArkimeMxResponseHex);
  ASSERT_EQ(Reason(full), "ok");
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto msg = ParseDnsMessage(cut);
    ASSERT_FALSE(msg.ok()) << "prefix of " << n << " bytes parsed";
    EXPECT_THAT(DnsErrorReason(msg.status()), StartsWith("dns_truncated_"))
        << n << ": " << msg.status();
  }
}

TEST(DnsParserTest, TcpFrames) {
  Bytes stream = {0, 3, 'a', 'b', 'c', 0, 1, 'x', 0, 5, 'y'};
  auto f1 = NextTcpDnsFrame(stream);
  ASSERT_TRUE(f1.ok());
  EXPECT_EQ(std::string(f1->message.begin(), f1->message.end()), "abc");
  auto f2 = NextTcpDnsFrame(f1->rest);
  ASSERT_TRUE(f2.ok());
  EXPECT_EQ(std::string(f2->message.begin(), f2->message.end()), "x");
  auto f3 = NextTcpDnsFrame(f2->rest);
  ASSERT_FALSE(f3.ok());
  EXPECT_EQ(DnsErrorReason(f3.status()), "dns_tcp_split_message");
  EXPECT_EQ(DnsErrorReason(NextTcpDnsFrame(Bytes{0}).status()), "dns_tcp_split_message");
  EXPECT_EQ(DnsErrorReason(NextTcpDnsFrame(Bytes{0, 0, 1}).status()), "dns_tcp_empty_message");
}

TEST(DnsParserTest, ErrorReasonExtraction) {
  EXPECT_EQ(DnsErrorReason(absl::InvalidArgumentError("dns_bad_label: x")), "dns_bad_label");
  EXPECT_EQ(DnsErrorReason(absl::InvalidArgumentError("Bad Thing: x")), "dns_malformed");
  EXPECT_EQ(DnsErrorReason(absl::InvalidArgumentError("no colon")), "dns_malformed");
}

TEST(DnsParserTest, Mnemonics) {
  EXPECT_EQ(DnsTypeName(15), "MX");
  EXPECT_EQ(DnsTypeName(1), "A");
  EXPECT_EQ(DnsTypeName(28), "AAAA");
  EXPECT_EQ(DnsTypeName(255), "ANY");
  EXPECT_EQ(DnsTypeName(16), "TXT");
  EXPECT_EQ(DnsTypeName(65280), "TYPE65280");
  EXPECT_EQ(DnsRcodeName(0), "NOERROR");
  EXPECT_EQ(DnsRcodeName(2), "SERVFAIL");
  EXPECT_EQ(DnsRcodeName(3), "NXDOMAIN");
  EXPECT_EQ(DnsRcodeName(5), "REFUSED");
  EXPECT_EQ(DnsRcodeName(15), "RCODE15");
}

TEST(DnsParserTest, ErrorMessagesCarryDetail) {
  Bytes b = Header(1, 0, 1, 0);
  PutPointer(&b, 12);
  auto msg = ParseDnsMessage(b);
  ASSERT_FALSE(msg.ok());
  EXPECT_THAT(std::string(msg.status().message()), HasSubstr("pointer at 12 to 12"));
  EXPECT_EQ(msg.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cleansweep::agent
