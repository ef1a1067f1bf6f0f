#include "collector/service/agent_enrollment.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "collector/service/agent_stream_handler.h"
#include "common/status_macros.h"
#include "common/time_util.h"

namespace cleansweep::collector {
namespace {

constexpr size_t kNodeKeyBytes = 32;

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status RevokedError(const AgentCredential& c) {
  return absl::PermissionDeniedError(absl::StrCat(
      "agent ", c.agent_id, " was revoked at ", cleansweep::FormatTimeUtc(*c.revoked_at)));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseEnrollSecrets(absl::string_view text) {
  std::vector<std::string> secrets;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    for (char c : line) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c)) ||
          !absl::ascii_isprint(static_cast<unsigned char>(c))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "line ", line_number, ": a secret must be one word of printable characters"));
      }
    }
    if (line.size() < kMinEnrollSecretLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": secret is ", line.size(),
                       " characters; at least ", kMinEnrollSecretLength, " are required"));
    }
    secrets.emplace_back(line);
  }
  if (secrets.empty()) {
    return absl::InvalidArgumentError("no enrollment secret (one per line, '#' comments)");
  }
  return secrets;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Fold every byte of `a` regardless of where a difference occurs; the loop
  // length depends only on a.size(), never on the contents.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char other = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(a[i]) ^ other;
  }
  return diff == 0;
}

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

AgentEnrollment::AgentEnrollment(EventStore* store, std::vector<std::string> secrets,
                                 std::function<absl::Time()> clock)
    : store_(store), secrets_(std::move(secrets)), clock_(std::move(clock)) {}

bool AgentEnrollment::SecretAccepted(absl::string_view presented) const {
  // Every configured secret is compared, so timing does not tell which one
  // (or whether any) came close.
  bool accepted = false;
  for (const std::string& secret : secrets_) {
    accepted |= ConstantTimeEquals(secret, presented);
  }
  return accepted && !presented.empty();
}

absl::StatusOr<cleansweep::v1::EnrollResponse> AgentEnrollment::Enroll(
    const cleansweep::v1::EnrollRequest& request, absl::string_view peer) {
  if (!SecretAccepted(request.enroll_secret())) {
    return absl::UnauthenticatedError("enrollment secret not accepted");
  }
  RETURN_IF_ERROR(ValidateAgentId(request.agent_id()));
  const std::string& request_id = request.request_id();
  if (!request_id.empty() && (request_id.size() < 32 || request_id.size() > 128 ||
                              !IsLowerHex(request_id))) {
    return absl::InvalidArgumentError("request_id must be 32-128 lower-case hex characters");
  }
  unsigned char raw[kNodeKeyBytes];
  if (RAND_bytes(raw, sizeof(raw)) != 1) {
    return absl::InternalError("cannot draw random bytes for a node key");
  }
  std::string node_key = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)));
  AgentCredential credential;
  credential.agent_id = request.agent_id();
  credential.key_sha256 = Sha256Hex(node_key);
  credential.enrolled_at = clock_();
  credential.enrolled_peer = std::string(peer);
  if (!request_id.empty()) credential.request_sha256 = Sha256Hex(request_id);
  absl::Status added = store_->AddAgentCredential(credential);
  if (absl::IsAlreadyExists(added) && !request_id.empty()) {
    // The same request again: the agent did not get (or could not save) the
    // answer. The key it never saved is replaced; nobody else holds the
    // request id, so this cannot take over another agent's identity.
    absl::Status replaced = store_->ReplaceAgentKey(request.agent_id(),
                                                    credential.request_sha256,
                                                    credential.key_sha256);
    if (replaced.ok()) added = absl::OkStatus();
  }
  if (absl::IsAlreadyExists(added)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "agent id ", request.agent_id(),
        " is already enrolled (or was revoked); an id is enrolled once — enroll under another "
        "--agent-id, or reuse the state directory that holds its node key"));
  }
  RETURN_IF_ERROR(added);
  cleansweep::v1::EnrollResponse response;
  response.set_agent_id(request.agent_id());
  response.set_node_key(std::move(node_key));
  return response;
}

absl::StatusOr<std::string> AgentEnrollment::Authenticate(absl::string_view authorization) {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "no node key (missing \"authorization: Bearer NODE_KEY\"); enroll the agent first");
  }
  absl::string_view presented = authorization;
  // The scheme is case-insensitive (RFC 7235 §2.1).
  if (presented.size() < 7 || !absl::EqualsIgnoreCase(presented.substr(0, 7), "Bearer ")) {
    return absl::UnauthenticatedError("authorization metadata is not a Bearer node key");
  }
  presented.remove_prefix(7);
  presented = absl::StripAsciiWhitespace(presented);
  if (presented.size() != 2 * kNodeKeyBytes || !IsLowerHex(presented)) {
    return absl::UnauthenticatedError("malformed node key");
  }
  // The lookup is by hash, so response timing reveals nothing about the key.
  absl::StatusOr<AgentCredential> credential = store_->FindCredentialByKeyHash(Sha256Hex(presented));
  if (absl::IsNotFound(credential.status())) {
    return absl::UnauthenticatedError("unknown node key (not enrolled with this collector)");
  }
  RETURN_IF_ERROR(credential.status());
  if (credential->revoked_at.has_value()) return RevokedError(*credential);
  return credential->agent_id;
}

absl::Status AgentEnrollment::CheckNotRevoked(absl::string_view agent_id) {
  absl::StatusOr<AgentCredential> credential = store_->GetAgentCredential(agent_id);
  if (absl::IsNotFound(credential.status())) {
    return absl::UnauthenticatedError(absl::StrCat("agent ", agent_id, " is not enrolled"));
  }
  RETURN_IF_ERROR(credential.status());
  if (credential->revoked_at.has_value()) return RevokedError(*credential);
  return absl::OkStatus();
}

}  // namespace cleansweep::collector
