#include "agent/app/agent_enrollment.h"

#include <sys/random.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/uplink/enroll_client.h"
#include "common/logging.h"

namespace cleansweep::agent {

absl::StatusOr<std::string> ReadEnrollSecret(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the enrollment secret file ", path, " (--enroll-secret-file)"));
  }
  std::stringstream text;
  text << in.rdbuf();
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty() && line[0] != '#') return std::string(line);
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the enrollment secret file ", path, " holds no secret"));
}

absl::StatusOr<std::optional<NodeCredential>> LoadLocalCredential(const EnrollSettings& settings) {
  const std::string path = NodeCredentialPath(settings.state_dir);
  absl::StatusOr<std::optional<NodeCredential>> loaded = LoadNodeCredential(path);
  if (!loaded.ok()) return absl::FailedPreconditionError(loaded.status().message());
  if (loaded->has_value()) {
    const NodeCredential& c = **loaded;
    if (!settings.requested_agent_id.empty() && settings.requested_agent_id != c.agent_id) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the state directory ", settings.state_dir, " belongs to agent ", c.agent_id,
          ", not ", settings.requested_agent_id, "; drop --agent-id, or use another --state-dir"));
    }
    return loaded;
  }
  if (settings.secret_file.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this agent is not enrolled yet (no ", path,
        "): give --enroll-secret-file with one of the collector's enrollment secrets"));
  }
  absl::StatusOr<std::string> secret = ReadEnrollSecret(settings.secret_file);
  if (!secret.ok()) return secret.status();
  return std::optional<NodeCredential>();
}

namespace {

// The id of this state directory's enrollment request: made (random, mode
// 0600) before the first Enroll call and kept until the node key is saved, so
// that a retry after a crash or a lost answer repeats the same request.
absl::StatusOr<std::string> EnrollRequestId(const std::string& state_dir) {
  const std::string path = state_dir + "/enroll_request";
  std::ifstream in(path);
  if (in) {
    std::string id;
    std::getline(in, id);
    bool ok = id.size() == 32;
    for (char c : id) ok &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (ok) return id;
    // Torn or edited: a new request (the collector then refuses a taken id).
  }
  unsigned char raw[16];
  if (getrandom(raw, sizeof(raw), 0) != static_cast<ssize_t>(sizeof(raw))) {
    return absl::InternalError("cannot draw random bytes for the enrollment request");
  }
  std::string id = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)));
  absl::Status saved = WritePrivateFile(path, id + "\n");
  if (!saved.ok()) return absl::FailedPreconditionError(saved.message());
  return id;
}

}  // namespace

absl::StatusOr<NodeCredential> LoadOrEnroll(const EnrollSettings& settings) {
  absl::StatusOr<std::optional<NodeCredential>> local = LoadLocalCredential(settings);
  if (!local.ok()) return local.status();
  if (local->has_value()) return **local;
  const std::string path = NodeCredentialPath(settings.state_dir);
  absl::StatusOr<std::string> secret = ReadEnrollSecret(settings.secret_file);
  if (!secret.ok()) return secret.status();

  cleansweep::v1::EnrollRequest request;
  request.set_enroll_secret(*secret);
  request.set_agent_id(settings.requested_agent_id.empty() ? settings.default_agent_id
                                                           : settings.requested_agent_id);
  *request.mutable_host() = settings.host;
  absl::StatusOr<std::string> request_id = EnrollRequestId(settings.state_dir);
  if (!request_id.ok()) return request_id.status();
  request.set_request_id(*request_id);
  absl::Status last = absl::UnavailableError("no collector address");
  for (const CollectorChannelOptions& collector : settings.collectors) {
    absl::StatusOr<cleansweep::v1::EnrollResponse> enrolled =
        EnrollWithCollector(collector, request, settings.timeout);
    if (enrolled.ok()) {
      NodeCredential credential{enrolled->agent_id(), enrolled->node_key()};
      absl::Status saved = SaveNodeCredential(path, credential);
      if (!saved.ok()) return absl::FailedPreconditionError(saved.message());
      std::remove((settings.state_dir + "/enroll_request").c_str());
      LOG_INFO("enrolled as agent %s with the collector at %s; node key saved in %s",
               credential.agent_id, collector.address, path);
      return credential;
    }
    last = enrolled.status();
    if (!absl::IsUnavailable(last) && !absl::IsDeadlineExceeded(last)) return last;
  }
  return last;
}

}  // namespace cleansweep::agent
