// Expected texts are written by hand from RFC 8259; the random-bytes property
// uses protobuf's JSON parser as an independent reader.
#include "collector/web/json_writer.h"

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector::web {
namespace {

TEST(JsonStringTest, EscapesMarkupAndControlCharacters) {
  EXPECT_EQ(JsonString("<script>alert(1)</script>"),
            R"("\u003cscript\u003ealert(1)\u003c/script\u003e")");
  EXPECT_EQ(JsonString("a\"b\\c\nd\te\x01"), R"("a\"b\\c\nd\te\u0001")");
  EXPECT_EQ(JsonString("Tom & Jerry"), R"("Tom \u0026 Jerry")");
  // U+2028 LINE SEPARATOR (e2 80 a8) and U+2029.
  EXPECT_EQ(JsonString("x\xe2\x80\xa8y\xe2\x80\xa9"), R"("x\u2028y\u2029")");
}

TEST(JsonStringTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(JsonString("h\xc3\xa9llo \xf0\x9f\x98\x80"), "\"h\xc3\xa9llo \xf0\x9f\x98\x80\"");
  // A lone continuation byte, a truncated sequence, an overlong '/' (c0 af)
  // and an encoded surrogate (ed a0 80) each become U+FFFD per byte.
  EXPECT_EQ(JsonString("a\x80z"), R"("a\ufffdz")");
  EXPECT_EQ(JsonString("\xe2\x82"), R"("\ufffd\ufffd")");
  EXPECT_EQ(JsonString("\xc0\xaf"), R"("\ufffd\ufffd")");
  EXPECT_EQ(JsonString("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");
}

TEST(JsonStringTest, AnyBytesGiveJsonThatAnotherParserReadsBack) {
  std::mt19937 rng(7);
  for (int round = 0; round < 500; ++round) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 256);
    const std::string text = "{\"k\":" + JsonString(bytes) + "}";
    google::protobuf::Struct parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(text, &parsed).ok()) << text;
    EXPECT_EQ(text.find('<'), std::string::npos);
  }
}

TEST(JsonWriterTest, NestedValuesGetCommasWhereJsonNeedsThem) {
  JsonWriter w;
  w.BeginObject()
      .Key("a").Int(-1)
      .Key("b").BeginArray().Uint(1).Uint(2).BeginObject().EndObject().EndArray()
      .Key("c").Double(2.0 / 3)
      .Key("d").Bool(true)
      .Key("e").Null()
      .Key("f").Time(absl::FromUnixSeconds(1795780800))
      .Key("g").Time(std::optional<absl::Time>())
      .Key("h").Raw("[]")
      .Key("i").Double(std::nan(""))
      .EndObject();
  EXPECT_EQ(std::move(w).Take(),
            R"({"a":-1,"b":[1,2,{}],"c":0.667,"d":true,"e":null,"f":"2026-11-27T12:00:00Z",)"
            R"("g":null,"h":[],"i":null})");
}

}  // namespace
}  // namespace cleansweep::collector::web
