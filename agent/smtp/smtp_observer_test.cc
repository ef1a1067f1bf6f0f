#include "agent/smtp/smtp_observer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cleansweep::agent {
namespace {

using ::testing::ElementsAre;
using cleansweep::v1::Event;

class CollectingSink : public EventSink {
 public:
  void Emit(Event event) override { events.push_back(std::move(event)); }
  std::vector<Event> events;
};

// Builds the packets of one TCP connection; keeps each side's next sequence number.
class Conversation {
 public:
  Conversation(SmtpObserver* obs, uint16_t server_port = 25, uint16_t client_port = 40000)
      : obs_(obs), client_port_(client_port), server_port_(server_port) {}

  void Client(uint8_t flags, absl::string_view payload, int64_t seq_offset = 0) {
    Send(true, flags, payload, cseq_ + seq_offset);
    if (seq_offset == 0) cseq_ += payload.size() + ((flags & (kTcpSyn | kTcpFin)) ? 1 : 0);
  }
  void Server(uint8_t flags, absl::string_view payload, int64_t seq_offset = 0) {
    Send(false, flags, payload, sseq_ + seq_offset);
    if (seq_offset == 0) sseq_ += payload.size() + ((flags & (kTcpSyn | kTcpFin)) ? 1 : 0);
  }
  // A segment at an explicit client sequence (retransmissions, reordering).
  void ClientAt(uint32_t seq, absl::string_view payload) { Send(true, kTcpAck, payload, seq); }
  void Handshake() {
    Client(kTcpSyn, "");
    Server(kTcpSyn | kTcpAck, "");
    Client(kTcpAck, "");
  }
  void Close() {
    Client(kTcpFin | kTcpAck, "");
    Server(kTcpFin | kTcpAck, "");
    Client(kTcpAck, "");
  }
  uint32_t cseq() const { return cseq_; }
  int64_t now = 1'700'000'000'000'000;
  uint32_t cseq_ = 0xFFFFFF00u;  // wraps during the dialogue
  uint32_t sseq_ = 5000;

 private:
  void Send(bool from_client, uint8_t flags, absl::string_view payload, uint32_t seq) {
    DecodedPacket p;
    p.time_us = now;
    now += 1000;
    p.ip_proto = kIpProtoTcp;
    const IpAddress c = IpAddress::V4(10, 0, 0, 1), s = IpAddress::V4(192, 0, 2, 25);
    p.src = from_client ? c : s;
    p.dst = from_client ? s : c;
    p.src_port = from_client ? client_port_ : server_port_;
    p.dst_port = from_client ? server_port_ : client_port_;
    p.tcp_flags = flags;
    p.seq = seq;
    p.payload = absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(payload.data()),
                                          payload.size());
    obs_->OnPacket(p);
  }
  SmtpObserver* obs_;
  uint16_t client_port_, server_port_;
};

class SmtpObserverTest : public ::testing::Test {
 protected:
  CollectingSink sink_;
  AnomalyCounters anomalies_;
  SmtpObserver obs_{SmtpObserverOptions(), &sink_, &anomalies_};
};

TEST_F(SmtpObserverTest, FullSessionIsOneEventAtClose) {
  Conversation c(&obs_);
  const int64_t start = c.now;
  c.Handshake();
  c.Server(kTcpAck, "220 mx ESMTP\r\n");
  c.Client(kTcpAck, "EHLO pc.example.org\r\n");
  c.Server(kTcpAck, "250-mx\r\n250 PIPELINING\r\n");
  c.Client(kTcpAck, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
  c.Server(kTcpAck, "250 ok\r\n250 ok\r\n354 go\r\n");
  c.Client(kTcpAck, "Subject: x\r\n\r\nhello\r\n.\r\n");
  c.Server(kTcpAck, "250 queued\r\n");
  c.Client(kTcpAck, "QUIT\r\n");
  c.Server(kTcpAck, "221 bye\r\n");
  EXPECT_TRUE(sink_.events.empty());
  c.Close();
  ASSERT_EQ(sink_.events.size(), 1u);
  const Event& e = sink_.events[0];
  EXPECT_EQ(e.time().seconds(), start / 1000000);
  const auto& s = e.smtp();
  EXPECT_EQ(s.client().ip(), "10.0.0.1");
  EXPECT_EQ(s.client().port(), 40000u);
  EXPECT_EQ(s.server().ip(), "192.0.2.25");
  EXPECT_EQ(s.server().port(), 25u);
  EXPECT_EQ(s.outcome(), cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
  EXPECT_EQ(s.end_reason(), "fin");
  EXPECT_EQ(s.helo(), "pc.example.org");
  ASSERT_EQ(s.transactions_size(), 1);
  EXPECT_EQ(s.transactions(0).mail_from(), "a@example.org");
  EXPECT_THAT(s.transactions(0).rcpt_to(), ElementsAre("b@example.net"));
  EXPECT_TRUE(s.transactions(0).data_accepted());
  // EHLO 21; MAIL 27 + RCPT 25 + DATA 6; message 24; QUIT 6.
  EXPECT_EQ(s.client_bytes(), 21u + 58u + 24u + 6u);
  // Banner 14; EHLO reply 24; three replies 24; 250 queued 12; 221 bye 9.
  EXPECT_EQ(s.server_bytes(), 14u + 24u + 24u + 12u + 9u);
  EXPECT_TRUE(s.client_seen());
  EXPECT_TRUE(s.server_seen());
  EXPECT_EQ(s.missing_bytes(), 0u);
  EXPECT_EQ(s.last_reply(), "221 bye");
  // Stragglers after the close do not open a new connection.
  c.Client(kTcpAck, "");
  c.Server(kTcpFin | kTcpAck, "", -1);
  obs_.Finish(c.now);
  EXPECT_EQ(sink_.events.size(), 1u);
}

TEST_F(SmtpObserverTest, RetransmittedAndReorderedSegmentsCountOnce) {
  Conversation c(&obs_);
  c.Handshake();
  c.Server(kTcpAck, "220 mx\r\n");
  const uint32_t base = c.cseq();
  // "MAIL FROM:<a@x>\r\n" = 17 bytes, "RCPT TO:<r@y>\r\n" = 15 bytes.
  c.ClientAt(base + 17, "RCPT TO:<r@y>\r\n");  // arrives first
  c.ClientAt(base, "MAIL FROM:<a@x>\r\n");
  c.ClientAt(base, "MAIL FROM:<a@x>\r\n");  // retransmission
  c.ClientAt(base + 10, "<a@x>\r\nRCPT");   // overlapping retransmission
  c.cseq_ = base + 32;
  c.Server(kTcpAck, "250 ok\r\n250 ok\r\n");
  c.Close();
  ASSERT_EQ(sink_.events.size(), 1u);
  const auto& s = sink_.events[0].smtp();
  EXPECT_EQ(s.client_bytes(), 32u);
  ASSERT_EQ(s.transactions_size(), 1);
  EXPECT_THAT(s.transactions(0).rcpt_to(), ElementsAre("r@y"));
  EXPECT_EQ(s.transactions(0).rcpt_accepted(), 1u);
}

TEST_F(SmtpObserverTest, SynOnlyIsNoAnswerAfterTheSynTimeout) {
  Conversation c(&obs_);
  c.Client(kTcpSyn, "");
  c.Client(kTcpSyn, "", -1);  // retransmitted SYN (same ISN)
  c.Client(kTcpSyn, "", -1);
  obs_.Advance(c.now + 10'000'000);
  EXPECT_TRUE(sink_.events.empty());
  obs_.Advance(c.now + 31'000'000);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].smtp().outcome(), cleansweep::v1::CONNECTION_OUTCOME_NO_ANSWER);
  EXPECT_EQ(sink_.events[0].smtp().end_reason(), "timeout");
  EXPECT_EQ(obs_.connection_count(), 0u);
}

TEST_F(SmtpObserverTest, RstAnsweringSynIsRefused) {
  Conversation c(&obs_);
  c.Client(kTcpSyn, "");
  c.Server(kTcpRst | kTcpAck, "");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].smtp().outcome(), cleansweep::v1::CONNECTION_OUTCOME_REFUSED);
  EXPECT_EQ(sink_.events[0].smtp().end_reason(), "rst");
  // A retried connection from the same port with a new ISN is a new connection.
  c.cseq_ += 12345;
  c.Client(kTcpSyn, "");
  c.Server(kTcpRst | kTcpAck, "");
  EXPECT_EQ(sink_.events.size(), 2u);
}

TEST_F(SmtpObserverTest, MidstreamClientOnlyCapture) {
  Conversation c(&obs_);
  c.Client(kTcpAck, "mail from:<x@y>\r\n");
  c.Client(kTcpAck, "rcpt to:<z@w>\r\n");
  obs_.Finish(c.now);
  ASSERT_EQ(sink_.events.size(), 1u);
  const auto& s = sink_.events[0].smtp();
  EXPECT_EQ(s.outcome(), cleansweep::v1::CONNECTION_OUTCOME_MIDSTREAM);
  EXPECT_EQ(s.end_reason(), "capture_end");
  EXPECT_TRUE(s.client_seen());
  EXPECT_FALSE(s.server_seen());
  ASSERT_EQ(s.transactions_size(), 1);
  EXPECT_EQ(s.transactions(0).mail_from(), "x@y");
  EXPECT_FALSE(s.transactions(0).data_accepted());
}

TEST_F(SmtpObserverTest, ServerFirstPacketStillMakesTheSmtpPortTheServer) {
  Conversation c(&obs_);
  c.Server(kTcpAck, "220 mx\r\n");
  c.Client(kTcpAck, "HELO a\r\n");
  obs_.Finish(c.now);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].smtp().server().port(), 25u);
  EXPECT_EQ(sink_.events[0].smtp().helo(), "a");
}

TEST_F(SmtpObserverTest, IdleTimeout) {
  Conversation c(&obs_);
  c.Handshake();
  c.Server(kTcpAck, "220 mx\r\n");
  obs_.Advance(c.now + 299'000'000);
  EXPECT_TRUE(sink_.events.empty());
  obs_.Advance(c.now + 301'000'000);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].smtp().end_reason(), "timeout");
  EXPECT_EQ(sink_.events[0].smtp().outcome(), cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
}

TEST_F(SmtpObserverTest, ImplicitTlsPort) {
  Conversation c(&obs_, 465);
  c.Handshake();
  c.Client(kTcpAck, "MAIL FROM:<x@y>\r\n");
  c.Close();
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_TRUE(sink_.events[0].smtp().implicit_tls());
  EXPECT_EQ(sink_.events[0].smtp().transactions_size(), 0);
  EXPECT_EQ(sink_.events[0].smtp().client_bytes(), 17u);
}

TEST_F(SmtpObserverTest, HoleIsCountedAsMissingAndParsingResumes) {
  SmtpObserverOptions options;
  options.max_buffered_per_direction = 64;
  SmtpObserver obs(options, &sink_, &anomalies_);
  Conversation c(&obs);
  c.Handshake();
  const uint32_t base = c.cseq();
  c.ClientAt(base, "HELO a\r\n");
  // 20 bytes at base+8 are never captured; later data overflows the buffer.
  std::string later = "RCPT TO:<r@y>\r\n" + std::string(60, 'N') + "\r\nMAIL FROM:<m@x>\r\n";
  c.ClientAt(base + 28, later.substr(0, 40));
  c.ClientAt(base + 68, later.substr(40));
  c.cseq_ = base + 28 + later.size();
  c.Close();
  ASSERT_EQ(sink_.events.size(), 1u);
  const auto& s = sink_.events[0].smtp();
  EXPECT_EQ(s.missing_bytes(), 20u);
  EXPECT_EQ(s.client_bytes(), 8u + later.size());
  // The hole ended on a line boundary: the RCPT after it is a real command
  // (without a MAIL FROM, which was in the hole).
  ASSERT_EQ(s.transactions_size(), 2);
  EXPECT_EQ(s.transactions(0).mail_from(), "");
  EXPECT_THAT(s.transactions(0).rcpt_to(), ElementsAre("r@y"));
  EXPECT_EQ(s.transactions(1).mail_from(), "m@x");
  EXPECT_EQ(anomalies_.Get("smtp_stream_gap"), 1u);
}

TEST_F(SmtpObserverTest, ConnectionTableIsCapped) {
  SmtpObserverOptions options;
  options.max_connections = 2;
  SmtpObserver obs(options, &sink_, &anomalies_);
  for (uint16_t port = 1000; port < 1005; ++port) {
    Conversation c(&obs, 25, port);
    c.Client(kTcpSyn, "");
  }
  EXPECT_EQ(obs.connection_count(), 2u);
  EXPECT_EQ(anomalies_.Get("smtp_connection_table_full"), 3u);
  obs.Finish(0);
  EXPECT_EQ(sink_.events.size(), 2u);
}

TEST_F(SmtpObserverTest, BareAckOfUnknownConnectionIsIgnored) {
  Conversation c(&obs_);
  c.Client(kTcpAck, "");
  c.Server(kTcpRst, "");
  obs_.Finish(c.now);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(SmtpObserverTest, NewSynOnAnOpenTupleReportsTheOldConnectionAsReused) {
  Conversation c(&obs_);
  c.Handshake();
  c.Client(kTcpAck, "HELO old\r\n");
  c.cseq_ += 100000;  // the client port is reused with a new ISN
  c.Client(kTcpSyn, "");
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].smtp().end_reason(), "reused");
  EXPECT_EQ(sink_.events[0].smtp().helo(), "old");
  c.Server(kTcpSyn | kTcpAck, "");
  c.Client(kTcpAck, "HELO new\r\n");
  obs_.Finish(c.now);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[1].smtp().helo(), "new");
  EXPECT_EQ(sink_.events[1].smtp().end_reason(), "capture_end");
}

TEST_F(SmtpObserverTest, FinsWithAHoleWaitForRetransmissionThenReport) {
  Conversation c(&obs_);
  c.Handshake();
  const uint32_t base = c.cseq();
  c.ClientAt(base + 9, "QUIT\r\n");  // "HELO abc\r\n" (9 bytes) not yet seen
  c.cseq_ = base + 15;
  c.Client(kTcpFin | kTcpAck, "");
  c.Server(kTcpFin | kTcpAck, "");
  EXPECT_TRUE(sink_.events.empty());  // waiting for the missing bytes
  c.ClientAt(base, "HELO abc\r\n");  // the retransmission fills the hole
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].smtp().helo(), "abc");
  EXPECT_EQ(sink_.events[0].smtp().missing_bytes(), 0u);
  EXPECT_EQ(sink_.events[0].smtp().end_reason(), "fin");
}

TEST_F(SmtpObserverTest, FinsWithAHoleNeverFilledReportAfterTheLinger) {
  Conversation c(&obs_);
  c.Handshake();
  const uint32_t base = c.cseq();
  c.ClientAt(base + 9, "QUIT\r\n");
  c.cseq_ = base + 15;
  c.Client(kTcpFin | kTcpAck, "");
  c.Server(kTcpFin | kTcpAck, "");
  obs_.Advance(c.now + 11'000'000);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].smtp().missing_bytes(), 9u);
  EXPECT_EQ(sink_.events[0].smtp().client_bytes(), 6u);
  EXPECT_EQ(sink_.events[0].smtp().end_reason(), "fin");
}

TEST_F(SmtpObserverTest, SynAckBeforeSynStillFindsTheClient) {
  Conversation c(&obs_);
  c.Server(kTcpSyn | kTcpAck, "");
  c.Client(kTcpSyn, "");
  c.Client(kTcpAck, "EHLO x\r\n");
  obs_.Finish(c.now);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].smtp().client().ip(), "10.0.0.1");
  EXPECT_EQ(sink_.events[0].smtp().outcome(), cleansweep::v1::CONNECTION_OUTCOME_ESTABLISHED);
  EXPECT_EQ(sink_.events[0].smtp().helo(), "x");
}

TEST_F(SmtpObserverTest, ReplyPipelinedAcrossSegmentsAndDirectionsInterleaved) {
  Conversation c(&obs_, 587);
  c.Handshake();
  c.Server(kTcpAck, "220 mx\r\n");
  c.Client(kTcpAck, "MAIL FROM:<a@x>\r\nRCPT TO:<r1@y>\r\nRC");
  c.Server(kTcpAck, "250 ok\r\n2");
  c.Client(kTcpAck, "PT TO:<r2@y>\r\nDATA\r\n");
  c.Server(kTcpAck, "50 ok\r\n550 no such user\r\n354 go\r\n");
  c.Client(kTcpAck, "x\r\n.\r\n");
  c.Server(kTcpAck, "250 queued\r\n");
  c.Close();
  ASSERT_EQ(sink_.events.size(), 1u);
  const auto& t = sink_.events[0].smtp().transactions(0);
  EXPECT_THAT(t.rcpt_to(), ElementsAre("r1@y", "r2@y"));
  EXPECT_EQ(t.rcpt_accepted(), 1u);
  EXPECT_TRUE(t.data_accepted());
}

}  // namespace
}  // namespace cleansweep::agent
