#include "collector/web/finding_json.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "collector/detect/evaluate.h"

namespace cleansweep::collector::web {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

std::string SignalName(cleansweep::v1::Signal signal) {
  std::string name = cleansweep::v1::Signal_Name(signal);
  absl::string_view rest = name;
  absl::ConsumePrefix(&rest, "SIGNAL_");
  return absl::AsciiStrToLower(rest);
}

void WriteFinding(const cleansweep::v1::Finding& f, const StatusSnapshot& snapshot,
                  JsonWriter* out) {
  const HostView* host = snapshot.HostOfFinding(f);
  out->BeginObject().Key("host").String(f.host()).Key("hostKey");
  if (host != nullptr) {
    out->String(host->key);
  } else {
    out->Null();
  }
  out->Key("hostname").String(host != nullptr ? host->day.hostname : "")
      .Key("agentId").String(f.agent_id())
      .Key("rule").String(f.rule())
      .Key("severity").String(SeverityName(f.severity()))
      .Key("signal").String(SignalName(f.signal()))
      .Key("description").String(f.description())
      .Key("windowSeconds").Int(f.window().seconds())
      .Key("threshold").Int(f.threshold())
      .Key("peak").Int(f.peak())
      .Key("total").Int(f.total())
      .Key("attempts").Int(f.attempts())
      .Key("failed").Int(f.failed())
      .Key("firstTime").Time(ToTime(f.first_time()))
      .Key("firedTime").Time(ToTime(f.fired_time()))
      .Key("lastTime").Time(ToTime(f.last_time()))
      .Key("rulesDigest").String(f.rules_digest())
      .Key("evidence").BeginArray();
  for (const cleansweep::v1::EvidenceRef& e : f.evidence()) {
    out->BeginObject()
        .Key("agentId").String(e.agent_id())
        .Key("sequence").Uint(e.sequence())
        .Key("time").Time(ToTime(e.time()))
        .Key("summary").String(e.summary())
        .Key("sweepId").String(e.sweep_id())  // "" for an event
        .EndObject();
  }
  out->EndArray().EndObject();
}

}  // namespace cleansweep::collector::web
