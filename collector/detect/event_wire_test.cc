#include "collector/detect/event_wire.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "collector/detect/detect_test_util.h"
#include "collector/detect/evaluate.h"
#include "collector/detect/fact.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {

void PrintTo(const EventFields& f, std::ostream* os) {
  *os << "{kind " << f.kind << " seq " << f.sequence << " time " << f.has_time << ":"
      << f.time_seconds << "." << f.time_nanos << " client '" << f.client_ip << "' server '"
      << f.server_ip << "':" << f.server_port << " transport " << f.transport << " outcome "
      << f.outcome << " qtype " << f.qtype << " name '" << f.dns_name << "' rcpt " << f.rcpt
      << " from [" << absl::StrJoin(f.mail_from, ",") << "]}";
}

namespace {

using cleansweep::v1::Event;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(Next() % n); }
  bool OneIn(uint32_t n) { return Below(n) == 0; }

 private:
  uint64_t s_;
};

// Sets every field of `m` (two elements in repeated ones), recursively; for
// a oneof, only `member` (nullptr: none).
void FillAll(Message* m, const FieldDescriptor* member = nullptr) {
  const google::protobuf::Reflection* r = m->GetReflection();
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->real_containing_oneof() != nullptr && f != member) continue;
    const int n = f->is_repeated() ? 2 : 1;
    for (int k = 0; k < n; ++k) {
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          f->is_repeated() ? r->AddInt32(m, f, 7) : r->SetInt32(m, f, 7);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          f->is_repeated() ? r->AddInt64(m, f, 1709510400) : r->SetInt64(m, f, 1709510400);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          f->is_repeated() ? r->AddUInt32(m, f, 300) : r->SetUInt32(m, f, 300);
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          f->is_repeated() ? r->AddUInt64(m, f, 1ull << 40) : r->SetUInt64(m, f, 1ull << 40);
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          f->is_repeated() ? r->AddBool(m, f, true) : r->SetBool(m, f, true);
          break;
        case FieldDescriptor::CPPTYPE_ENUM: {
          const int v = f->enum_type()->value(f->enum_type()->value_count() - 1)->number();
          f->is_repeated() ? r->AddEnumValue(m, f, v) : r->SetEnumValue(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_STRING: {
          const std::string v = f->name() == "ip" ? "10.1.2.3" : "text@example.com";
          f->is_repeated() ? r->AddString(m, f, v) : r->SetString(m, f, v);
          break;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          FillAll(f->is_repeated() ? r->AddMessage(m, f) : r->MutableMessage(m, f));
          break;
        default:
          ADD_FAILURE() << "no filler for " << f->full_name();
      }
    }
  }
}

// Every field of every message an Event holds is read without protobuf: a
// field added to event.proto without a case in event_wire.cc fails here.
TEST(EventWireTest, ReadsEveryFieldOfTheSchema) {
  const google::protobuf::OneofDescriptor* kind = Event::descriptor()->FindOneofByName("kind");
  ASSERT_NE(kind, nullptr);
  for (int i = 0; i < kind->field_count(); ++i) {
    Event e;
    FillAll(&e, kind->field(i));
    const std::string bytes = e.SerializeAsString();
    EventFields fields;
    ASSERT_TRUE(ReadEventFields(bytes, &fields)) << kind->field(i)->name();
    EXPECT_EQ(fields, FieldsOf(e)) << kind->field(i)->name();
  }
  EventFields fields;
  EXPECT_TRUE(ReadEventFields("", &fields));
  EXPECT_EQ(fields, FieldsOf(Event()));
}

// Events of every kind with values in every range the reader treats apart.
Event RandomEvent(Rng& rng) {
  static const char* const kIps[] = {"10.1.0.7",    "10.0.0.25", "203.0.113.9", "2001:db8:1::7",
                                     "::ffff:10.1.0.8", "",     "not-an-ip",   "010.1.0.7"};
  static const uint64_t kNumbers[] = {0, 1, 127, 128, 16383, 16384, 65535, 1u << 31,
                                      0xffffffffull, 1ull << 32, 1ull << 62, ~0ull};
  auto number = [&] { return kNumbers[rng.Below(12)]; };
  auto ip = [&] { return std::string(kIps[rng.Below(8)]); };
  Event e;
  if (!rng.OneIn(4)) e.set_sequence(number());
  if (!rng.OneIn(5)) {
    e.mutable_time()->set_seconds(rng.OneIn(4) ? -static_cast<int64_t>(rng.Below(100000))
                                               : 1709510400 + rng.Below(86400));
    // Negative nanos (ten-byte varints) are left to protobuf: rarely.
    e.mutable_time()->set_nanos(rng.OneIn(8) ? -static_cast<int32_t>(rng.Below(1000000000))
                                             : static_cast<int32_t>(rng.Below(1000000000)));
  }
  if (rng.OneIn(2)) e.set_interface("eth0");
  auto endpoints = [&](auto* m) {
    if (!rng.OneIn(6)) m->mutable_client()->set_ip(ip());
    if (!rng.OneIn(6)) m->mutable_client()->set_port(static_cast<uint32_t>(number()));
    if (!rng.OneIn(6)) m->mutable_server()->set_ip(ip());
    if (!rng.OneIn(6)) m->mutable_server()->set_port(static_cast<uint32_t>(number()));
  };
  switch (rng.Below(4)) {
    case 0: {
      auto* s = e.mutable_smtp();
      endpoints(s);
      s->set_outcome(static_cast<cleansweep::v1::ConnectionOutcome>(rng.Below(6)));
      if (rng.OneIn(2)) s->set_helo("ws-1.corp.example.com");
      s->set_client_bytes(number());
      if (rng.OneIn(3)) s->mutable_end_time()->set_seconds(1709510400);
      const int txs = static_cast<int>(rng.Below(4));
      for (int i = 0; i < txs; ++i) {
        auto* tx = s->add_transactions();
        static const char* const kFrom[] = {"a@example.com", "b@EXAMPLE.com", "c@sub.example.com",
                                            "d@example.org", "", "no-at-sign", "e@"};
        if (!rng.OneIn(5)) tx->set_mail_from(kFrom[rng.Below(7)]);
        const int rcpts = static_cast<int>(rng.Below(5));
        for (int k = 0; k < rcpts; ++k) tx->add_rcpt_to("x@dest.example");
        if (rng.OneIn(3)) tx->set_rcpt_overflow(static_cast<uint32_t>(number()));
        if (rng.OneIn(2)) tx->set_last_reply("250 ok");
      }
      break;
    }
    case 1: {
      auto* d = e.mutable_dns();
      endpoints(d);
      d->set_transport(static_cast<cleansweep::v1::Transport>(rng.Below(3)));
      d->set_qtype(rng.OneIn(3) ? 1 : 15);
      if (!rng.OneIn(5)) d->set_name(rng.OneIn(2) ? "Victim.Example.NET." : "example.com");
      if (rng.OneIn(2)) d->add_mx()->set_exchange("mx1.example.com");
      if (rng.OneIn(3)) d->add_answers("192.0.2.1");
      break;
    }
    case 2: {
      auto* w = e.mutable_worm_port();
      endpoints(w);
      w->set_transport(static_cast<cleansweep::v1::Transport>(rng.Below(3)));
      w->set_outcome(static_cast<cleansweep::v1::ConnectionOutcome>(rng.Below(5)));
      w->set_attempts(static_cast<uint32_t>(number()));
      break;
    }
    default:
      break;  // no kind
  }
  return e;
}

// Damage of every sort: changed, non-ASCII, inserted and dropped bytes,
// truncation, a second message appended (protobuf merges: repeated fields),
// an unknown field.
void Mutate(Rng& rng, std::string* bytes) {
  const size_t n = bytes->size();
  switch (rng.Below(7)) {
    case 0:
      if (n > 0) (*bytes)[rng.Below(static_cast<uint32_t>(n))] = static_cast<char>(rng.Next());
      break;
    case 1:
      if (n > 0) (*bytes)[rng.Below(static_cast<uint32_t>(n))] |= static_cast<char>(0x80);
      break;
    case 2:
      bytes->insert(bytes->begin() + rng.Below(static_cast<uint32_t>(n + 1)),
                    static_cast<char>(rng.Next()));
      break;
    case 3:
      if (n > 0) bytes->erase(rng.Below(static_cast<uint32_t>(n)), 1);
      break;
    case 4:
      bytes->resize(rng.Below(static_cast<uint32_t>(n + 1)));
      break;
    case 5:
      *bytes += RandomEvent(rng).SerializeAsString();
      break;
    default:
      *bytes += std::string("\x98\x06\x01", 3);  // field 99, varint 1
      break;
  }
}

// The contract: whenever the reader answers, protobuf parses the bytes and
// the fields agree; when it does not, protobuf decides (both outcomes occur).
TEST(EventWireTest, NeverDisagreesWithProtobuf) {
  google::protobuf::LogSilencer quiet;  // protobuf logs each invalid UTF-8 string
  Rng rng(4);
  int fast = 0, fast_damaged = 0, fallback_parsed = 0, fallback_failed = 0;
  for (int i = 0; i < 60000; ++i) {
    std::string bytes = RandomEvent(rng).SerializeAsString();
    const int mutations = i % 3 == 0 ? 0 : static_cast<int>(rng.Below(3)) + 1;
    for (int m = 0; m < mutations; ++m) Mutate(rng, &bytes);
    EventFields fields;
    const bool read = ReadEventFields(bytes, &fields);
    Event parsed;
    const bool parses = parsed.ParseFromString(bytes);
    if (read) {
      ASSERT_TRUE(parses) << "case " << i;
      ASSERT_EQ(fields, FieldsOf(parsed)) << "case " << i;
      ++(mutations == 0 ? fast : fast_damaged);
    } else {
      ++(parses ? fallback_parsed : fallback_failed);
    }
  }
  // Most intact events are read here; damaged ones took every path.
  EXPECT_GT(fast, 15000);
  EXPECT_GT(fast_damaged, 1000);
  EXPECT_GT(fallback_parsed, 1000);
  EXPECT_GT(fallback_failed, 1000);
}

std::string Bytes(const Event& e) { return e.SerializeAsString(); }

// Cases protobuf accepts but reads in ways this reader leaves to it, and
// cases it refuses.
TEST(EventWireTest, LeavesMergesUnknownFieldsAndBadTextToProtobuf) {
  google::protobuf::LogSilencer quiet;
  EventFields fields;
  Event a = test_util::Smtp(1, 0, "10.0.0.1", "203.0.113.1");
  Event b = test_util::Mx(2, 5, "10.0.0.2", "example.com");
  Event merged;
  // Repeated singular field and two oneof members: the last wins.
  ASSERT_TRUE(merged.ParseFromString(Bytes(a) + Bytes(b)));
  EXPECT_EQ(merged.sequence(), 2u);
  EXPECT_TRUE(merged.has_dns());
  EXPECT_FALSE(ReadEventFields(Bytes(a) + Bytes(b), &fields));
  // The same member twice: protobuf merges.
  EXPECT_FALSE(ReadEventFields(Bytes(a) + Bytes(a), &fields));
  // Unknown field: kept by protobuf.
  ASSERT_TRUE(merged.ParseFromString(Bytes(a) + std::string("\x98\x06\x01", 3)));
  EXPECT_FALSE(ReadEventFields(Bytes(a) + std::string("\x98\x06\x01", 3), &fields));
  // A negative enum value takes ten bytes; protobuf keeps it.
  Event negative = a;
  negative.mutable_smtp()->set_outcome(static_cast<cleansweep::v1::ConnectionOutcome>(-1));
  ASSERT_TRUE(merged.ParseFromString(Bytes(negative)));
  EXPECT_FALSE(ReadEventFields(Bytes(negative), &fields));
  // Valid UTF-8 beyond ASCII: protobuf accepts it.
  Event text = a;
  text.mutable_smtp()->set_helo("h\xc3\xa9llo");
  ASSERT_TRUE(merged.ParseFromString(Bytes(text)));
  EXPECT_FALSE(ReadEventFields(Bytes(text), &fields));
  // Invalid UTF-8 in any string, used or not: protobuf refuses the event.
  std::string bad = Bytes(text);
  bad[bad.find("\xc3")] = '\xff';
  EXPECT_FALSE(merged.ParseFromString(bad));
  EXPECT_FALSE(ReadEventFields(bad, &fields));
  // Plain bytes are read.
  const std::string plain = Bytes(a);  // the fields point into it
  EXPECT_TRUE(ReadEventFields(plain, &fields));
  EXPECT_EQ(fields.client_ip, "10.0.0.1");
  EXPECT_EQ(fields.server_port, 25u);
}

// A fact from the bytes is the fact from the message; its time is what
// TimeUtil makes of the timestamp.
TEST(EventWireTest, FactsFromBytesEqualFactsFromMessages) {
  auto rules = test_util::TestRules();
  Rng rng(9);
  int facts = 0;
  for (int i = 0; i < 20000; ++i) {
    const Event e = RandomEvent(rng);
    const std::string bytes = Bytes(e);  // the fields point into it
    EventFields fields;
    if (!ReadEventFields(bytes, &fields)) continue;
    const std::optional<HostFact> want = ExtractFact(*rules, 3, e);
    const std::optional<HostFact> got = ExtractFact(*rules, 3, fields);
    ASSERT_EQ(want.has_value(), got.has_value()) << "case " << i;
    if (!want) continue;
    ++facts;
    const Fact& w = want->fact;
    const Fact& g = got->fact;
    ASSERT_EQ(want->host, got->host);
    ASSERT_EQ(g.time_us, e.has_time() ? google::protobuf::util::TimeUtil::TimestampToMicroseconds(
                                            e.time())
                                      : 0)
        << e.time().ShortDebugString();
    ASSERT_EQ(std::tie(w.time_us, w.sequence, w.agent, w.kind, w.transport, w.outcome, w.flags,
                       w.dst_port, w.rcpt, w.own_domain_from, w.key),
              std::tie(g.time_us, g.sequence, g.agent, g.kind, g.transport, g.outcome, g.flags,
                       g.dst_port, g.rcpt, g.own_domain_from, g.key))
        << "case " << i;
  }
  EXPECT_GT(facts, 3000);
}

// Judging serialized events (on any number of threads) gives the findings
// that judging the messages gives.
TEST(EventWireTest, EvaluationOfBytesEqualsEvaluationOfMessages) {
  auto rules = test_util::TestRules();
  Rng rng(11);
  std::vector<std::pair<std::string, Event>> events;
  uint64_t seq = 0;
  for (int i = 0; i < 40; ++i) {
    const int64_t t = i * 20;
    events.push_back({"ws-7", test_util::Mail(++seq, t, "10.1.1.7",
                                            absl::StrCat("203.0.113.", i % 13), "x@example.com",
                                            3)});
    events.push_back({"ws-7", test_util::Mx(++seq, t, "10.1.1.7", absl::StrCat("d", i, ".net"))});
    events.push_back({"ws-8", test_util::Worm(++seq, t, "10.1.1.8", absl::StrCat("10.9.0.", i), 445)});
    events.push_back({"mx", test_util::Smtp(++seq, t, "10.0.0.26", absl::StrCat("198.51.100.", i))});
  }
  for (int i = 0; i < 2000; ++i) events.push_back({absl::StrCat("ws-", i % 5), RandomEvent(rng)});
  Evaluation from_messages(rules), from_bytes(rules);
  for (const auto& [agent, e] : events) {
    from_messages.Add(agent, e);
    ASSERT_TRUE(from_bytes.AddSerialized(agent, Bytes(e)));
  }
  EXPECT_FALSE(from_bytes.AddSerialized("ws-1", "\xff"));
  const std::vector<cleansweep::v1::Finding> want = from_messages.Judge();
  const std::vector<cleansweep::v1::Finding> got = from_bytes.Judge(/*threads=*/2);
  ASSERT_GE(want.size(), 4u);
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].SerializeAsString(), got[i].SerializeAsString()) << i;
  }
  EXPECT_EQ(from_messages.events_added(), from_bytes.events_added());
  EXPECT_EQ(from_messages.hosts(), from_bytes.hosts());
}

}  // namespace
}  // namespace cleansweep::collector
