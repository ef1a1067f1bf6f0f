#include "collector/service/agent_stream_handler.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collector/service/capture_config.h"
#include "collector/store/temp_store_test_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AgentMessage;
using cleansweep::v1::CollectorMessage;

class AgentStreamHandlerTest : public test_util::TempStoreTest {
 protected:
  AgentStreamHandler MakeHandler() {
    return AgentStreamHandler(store_.get(), &config_, "ipv4:127.0.0.1:5000",
                              [] { return absl::FromUnixSeconds(1700000000); });
  }

  static AgentMessage Hello(const std::string& id) {
    AgentMessage m;
    m.mutable_hello()->set_agent_id(id);
    m.mutable_hello()->set_hostname("ws1");
    m.mutable_hello()->set_version("0.1.0");
    return m;
  }
  static AgentMessage Batch(std::vector<uint64_t> seqs) {
    AgentMessage m;
    for (uint64_t s : seqs) {
      auto* e = m.mutable_events()->add_events();
      e->set_sequence(s);
      e->mutable_worm_port()->mutable_server()->set_port(445);
    }
    return m;
  }

  cleansweep::v1::CaptureConfig config_ = DefaultCaptureConfig();
};

TEST_F(AgentStreamHandlerTest, HelloGetsConfigAndCurrentAckThenBatchesGetAcks) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  ASSERT_TRUE(h.Handle(Hello("ws1-agent"), &replies).ok());
  ASSERT_EQ(replies.size(), 2u);
  ASSERT_TRUE(replies[0].has_config());
  EXPECT_EQ(replies[0].config().smtp_ports_size(), 4);
  ASSERT_TRUE(replies[1].has_ack());
  EXPECT_EQ(replies[1].ack().sequence(), 0u);
  EXPECT_EQ(h.agent_id(), "ws1-agent");

  replies.clear();
  ASSERT_TRUE(h.Handle(Batch({1, 2, 4}), &replies).ok());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].ack().sequence(), 2u);
  replies.clear();
  ASSERT_TRUE(h.Handle(Batch({3}), &replies).ok());
  EXPECT_EQ(replies[0].ack().sequence(), 4u);

  AgentMessage hb;
  hb.mutable_heartbeat()->set_packets(10);
  replies.clear();
  ASSERT_TRUE(h.Handle(hb, &replies).ok());
  EXPECT_TRUE(replies.empty());
  auto agents = store_->ListAgents();
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ((*agents)[0].identity.peer, "ipv4:127.0.0.1:5000");
  ASSERT_TRUE((*agents)[0].last_heartbeat.has_value());
  EXPECT_EQ((*agents)[0].last_heartbeat->packets, 10u);

  // A reconnecting agent learns on Hello what is already stored.
  AgentStreamHandler again = MakeHandler();
  replies.clear();
  ASSERT_TRUE(again.Handle(Hello("ws1-agent"), &replies).ok());
  EXPECT_EQ(replies[1].ack().sequence(), 4u);
}

TEST_F(AgentStreamHandlerTest, HelloDeclaringLostSequencesRecordsGapAndAcksPastIt) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  ASSERT_TRUE(h.Handle(Batch({}), &replies).code() == absl::StatusCode::kFailedPrecondition);
  AgentMessage hello = Hello("restarted");
  hello.mutable_hello()->set_last_sequence(10);
  hello.mutable_hello()->set_oldest_sequence(6);  // 1-5 are gone
  ASSERT_TRUE(h.Handle(hello, &replies).ok());
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].ack().sequence(), 5u);
  EXPECT_EQ((*store_->ListAgents())[0].lost_events, 5u);

  AgentStreamHandler bad = MakeHandler();
  AgentMessage beyond = Hello("liar");
  beyond.mutable_hello()->set_last_sequence(3);
  beyond.mutable_hello()->set_oldest_sequence(5);
  EXPECT_EQ(bad.Handle(beyond, &replies).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AgentStreamHandlerTest, LostEventsRecordGapAndAckMovesPastIt) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  AgentMessage hello = Hello("spooler");
  hello.mutable_hello()->set_last_sequence(15);
  hello.mutable_hello()->set_oldest_sequence(1);  // the lost range is reported below
  ASSERT_TRUE(h.Handle(hello, &replies).ok());
  EXPECT_EQ(replies[1].ack().sequence(), 0u);
  AgentMessage lost;
  lost.mutable_lost()->set_first_sequence(1);
  lost.mutable_lost()->set_last_sequence(5);
  lost.mutable_lost()->set_count(5);
  lost.mutable_lost()->set_reason("spool_full");
  replies.clear();
  ASSERT_TRUE(h.Handle(lost, &replies).ok());
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].ack().sequence(), 5u);
  replies.clear();
  ASSERT_TRUE(h.Handle(Batch({6, 7}), &replies).ok());
  EXPECT_EQ(replies[0].ack().sequence(), 7u);
  EXPECT_EQ((*store_->ListAgents())[0].lost_events, 5u);

  AgentMessage backwards = lost;
  backwards.mutable_lost()->set_first_sequence(9);
  backwards.mutable_lost()->set_last_sequence(8);
  EXPECT_EQ(h.Handle(backwards, &replies).code(), absl::StatusCode::kInvalidArgument);
  AgentMessage zero = lost;
  zero.mutable_lost()->set_first_sequence(0);
  EXPECT_EQ(h.Handle(zero, &replies).code(), absl::StatusCode::kInvalidArgument);
  AgentMessage odd = lost;
  odd.mutable_lost()->set_reason("bad\nreason");
  EXPECT_EQ(h.Handle(odd, &replies).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AgentStreamHandlerTest, FirstMessageMustBeHello) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  EXPECT_EQ(h.Handle(Batch({1}), &replies).code(), absl::StatusCode::kFailedPrecondition);
  AgentMessage hb;
  hb.mutable_heartbeat();
  EXPECT_EQ(h.Handle(hb, &replies).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(replies.empty());
  EXPECT_TRUE(store_->ListEvents({})->empty());
}

TEST_F(AgentStreamHandlerTest, SecondHelloAndEmptyMessageAreRefused) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  ASSERT_TRUE(h.Handle(Hello("a"), &replies).ok());
  EXPECT_EQ(h.Handle(Hello("b"), &replies).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(h.Handle(AgentMessage(), &replies).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AgentStreamHandlerTest, InvalidHellosAreRefused) {
  for (const std::string& id : {std::string(""), std::string(129, 'a'), std::string("a b"),
                                std::string("a/b"), std::string("x\n")}) {
    AgentStreamHandler h = MakeHandler();
    std::vector<CollectorMessage> replies;
    EXPECT_EQ(h.Handle(Hello(id), &replies).code(), absl::StatusCode::kInvalidArgument) << id;
    EXPECT_TRUE(replies.empty());
  }
  AgentMessage bad_host = Hello("ok");
  bad_host.mutable_hello()->set_hostname("evil\x1b[31m");
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  EXPECT_EQ(h.Handle(bad_host, &replies).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->ListAgents()->empty());
  EXPECT_TRUE(ValidateHello(Hello("host-1.example.com:agent@site_2").hello()).ok());
}

TEST_F(AgentStreamHandlerTest, OversizedBatchAndSequenceZeroAreRefused) {
  AgentStreamHandler h = MakeHandler();
  std::vector<CollectorMessage> replies;
  ASSERT_TRUE(h.Handle(Hello("a"), &replies).ok());
  replies.clear();
  std::vector<uint64_t> many;
  for (uint64_t i = 1; i <= kMaxEventsPerBatch + 1; ++i) many.push_back(i);
  EXPECT_EQ(h.Handle(Batch(many), &replies).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.Handle(Batch({1, 0}), &replies).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(replies.empty());
  EXPECT_TRUE(store_->ListEvents({})->empty());
}

TEST_F(AgentStreamHandlerTest, BoundStreamRefusesAHelloForAnotherAgent) {
  AgentStreamHandler h = MakeHandler();
  h.BindAuthenticatedAgent("ws1-agent", [] { return absl::OkStatus(); });
  std::vector<CollectorMessage> replies;
  absl::Status st = h.Handle(Hello("ws2-agent"), &replies);
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(replies.empty());
  EXPECT_TRUE(store_->ListAgents()->empty());

  AgentStreamHandler ok = MakeHandler();
  ok.BindAuthenticatedAgent("ws1-agent", [] { return absl::OkStatus(); });
  EXPECT_TRUE(ok.Handle(Hello("ws1-agent"), &replies).ok());
}

TEST_F(AgentStreamHandlerTest, HeartbeatEndsTheStreamOnceTheRecheckFails) {
  AgentStreamHandler h = MakeHandler();
  absl::Status verdict = absl::OkStatus();
  h.BindAuthenticatedAgent("ws1-agent", [&verdict] { return verdict; });
  std::vector<CollectorMessage> replies;
  ASSERT_TRUE(h.Handle(Hello("ws1-agent"), &replies).ok());
  AgentMessage hb;
  hb.mutable_heartbeat()->set_events(1);
  EXPECT_TRUE(h.Handle(hb, &replies).ok());
  verdict = absl::PermissionDeniedError("agent ws1-agent was revoked");
  EXPECT_EQ(h.Handle(hb, &replies).code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace cleansweep::collector
