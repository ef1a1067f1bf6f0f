#include "collector/cli/sweep_command.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cleansweep/v1/admin.grpc.pb.h"
#include "collector/cli/cli_util.h"
#include "collector/cli/commands.h"
#include "collector/cli/sweep_view.h"
#include "google/protobuf/util/json_util.h"

namespace cleansweep::collector {
namespace {

int SweepUsage(absl::string_view message) {
  std::fprintf(stderr, "cleansweep-collector sweep: %s\nRun with --help for more information.\n",
               std::string(message).c_str());
  return kSweepBadUsage;
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t s = absl::IDivDuration(d, absl::Seconds(1), &d);
  out->set_seconds(s);
  out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(d)));
}

std::chrono::system_clock::time_point Deadline(absl::Duration d) {
  return absl::ToChronoTime(absl::Now() + d);
}

}  // namespace

std::string DefaultAdminSocket(const std::string& db_path) { return db_path + "-admin.sock"; }

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view text) {
  const std::string t(absl::StripAsciiWhitespace(text));
  absl::Duration d;
  double days = 0;
  if (t == "0") {
    d = absl::ZeroDuration();
  } else if (!t.empty() && t.back() == 'd' && absl::SimpleAtod(t.substr(0, t.size() - 1), &days)) {
    d = absl::Hours(24) * days;
  } else if (!absl::ParseDuration(t, &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", t, "' is not a duration (e.g. 30s, 10m, 1.5h, 2d)"));
  }
  if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", t, "' must be a finite, positive duration"));
  }
  return d;
}

int RunSweepCommand(const SweepConfig& config) {
  absl::StatusOr<absl::Duration> wait = ParseDurationFlag(config.wait);
  if (!wait.ok()) return SweepUsage(absl::StrCat("--wait: ", wait.status().message()));
  absl::StatusOr<absl::Duration> expires = ParseDurationFlag(config.expires);
  if (!expires.ok()) return SweepUsage(absl::StrCat("--expires: ", expires.status().message()));
  if (*expires == absl::ZeroDuration()) return SweepUsage("--expires must be more than 0");
  const std::string socket = !config.admin_socket.empty() ? config.admin_socket
                             : !config.db_path.empty()    ? DefaultAdminSocket(config.db_path)
                                                          : kSystemAdminSocket;
  // Progress goes where it does not mix with the JSON document.
  FILE* progress = config.json ? stderr : stdout;

  auto stub = cleansweep::v1::Admin::NewStub(
      grpc::CreateChannel(absl::StrCat("unix:", socket), grpc::InsecureChannelCredentials()));
  cleansweep::v1::StartSweepRequest start;
  SetDuration(*expires, start.mutable_expires_after());
  cleansweep::v1::SweepStatus status;
  {
    grpc::ClientContext context;
    context.set_deadline(Deadline(absl::Seconds(30)));
    grpc::Status s = stub->StartSweep(&context, start, &status);
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
        s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
      std::fprintf(stderr,
                   "cleansweep-collector sweep: cannot reach the collector's admin socket %s: %s\n"
                   "Is `cleansweep-collector serve` running? Give its --admin-socket PATH, or "
                   "--db DB (its socket is DB-admin.sock).\n",
                   socket.c_str(), s.error_message().c_str());
      return kSweepBadUsage;
    }
    if (!s.ok()) {
      std::fprintf(stderr, "cleansweep-collector sweep: the collector refused: %s\n",
                   s.error_message().c_str());
      return kSweepBadUsage;
    }
  }
  const std::string id = status.request().sweep_id();
  std::fprintf(progress, "%s\n", SweepIssuedLine(status).c_str());
  std::fflush(progress);

  // Long polls of at most 10 s each until everyone answered or the wait ends.
  const absl::Time end = absl::Now() + *wait;
  uint32_t shown = 0;
  while (status.answered() < status.asked() && absl::Now() < end) {
    cleansweep::v1::GetSweepRequest get;
    get.set_sweep_id(id);
    get.set_answered_above(status.answered());
    SetDuration(std::min(end - absl::Now(), absl::Seconds(10)), get.mutable_wait());
    grpc::ClientContext context;
    context.set_deadline(Deadline(absl::Seconds(30)));
    grpc::Status s = stub->GetSweep(&context, get, &status);
    if (!s.ok()) {
      std::fprintf(stderr, "cleansweep-collector sweep: lost the collector at %s: %s\n",
                   socket.c_str(), s.error_message().c_str());
      return kSweepBadUsage;
    }
    if (status.answered() != shown) {
      shown = status.answered();
      std::fprintf(progress, "%s\n", SweepProgressLine(status).c_str());
      std::fflush(progress);
    }
    // Expired, and every agent that got it has answered: nobody else will.
    if (status.expired() && status.answered() >= status.delivered()) break;
  }

  cleansweep::v1::GetSweepRequest final_get;
  final_get.set_sweep_id(id);
  final_get.set_with_results(true);
  grpc::ClientContext context;
  context.set_deadline(Deadline(absl::Seconds(30)));
  grpc::Status s = stub->GetSweep(&context, final_get, &status);
  if (!s.ok()) {
    std::fprintf(stderr, "cleansweep-collector sweep: lost the collector at %s: %s\n",
                 socket.c_str(), s.error_message().c_str());
    return kSweepBadUsage;
  }
  if (config.json) {
    std::cout << Json(status) << "\n";
  } else {
    std::cout << SweepReport(status);
  }
  std::cout.flush();
  return SweepExitCode(status);
}

int RunSweepsCommand(const SweepsConfig& config) {
  absl::StatusOr<EventStorePtr> store = OpenForQuery(config.db_path);
  if (!store.ok()) return Fail(store.status().message());
  SweepQuery query;
  query.sweep_id = config.sweep_id;
  query.limit = config.sweep_id.empty() ? config.limit : 0;
  query.with_results = !config.sweep_id.empty() || config.json;
  absl::StatusOr<std::vector<cleansweep::v1::SweepStatus>> sweeps =
      (*store)->ListSweeps(query, absl::Now());
  if (!sweeps.ok()) {
    return Fail(absl::StrCat("reading ", config.db_path, ": ", sweeps.status().message()));
  }
  if (!config.sweep_id.empty() && sweeps->empty()) {
    return Fail(absl::StrCat("no sweep ", config.sweep_id, " in ", config.db_path,
                             " (list them with: sweeps --db ", config.db_path, ")"));
  }
  if (config.json) {
    for (const auto& s : *sweeps) std::cout << Json(s) << "\n";
  } else if (!config.sweep_id.empty()) {
    std::cout << SweepReport(sweeps->front());
  } else {
    std::cout << SweepListTable(*sweeps);
  }
  std::cout.flush();
  return std::cout ? kExitOk : kExitFailure;
}

}  // namespace cleansweep::collector
