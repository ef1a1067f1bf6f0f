// The agent's identity at the collector, kept in its state directory: the
// agent id it enrolled as and the node key the collector gave it.
//
// File format (text, one "name=value" per line, '#' comments):
//   agent_id=ws-017
//   node_key=<64 lower-case hex characters>
// The file is created with mode 0600 (written to a temporary file, fsynced,
// then renamed into place, so a crash never leaves half a key). A file that
// group or others can read or write is refused: the key is as good as a
// password to the collector.
#ifndef CLEANSWEEP_AGENT_APP_NODE_CREDENTIAL_H_
#define CLEANSWEEP_AGENT_APP_NODE_CREDENTIAL_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cleansweep::agent {

struct NodeCredential {
  std::string agent_id;
  std::string node_key;
};

// The credential file inside a state directory.
std::string NodeCredentialPath(absl::string_view state_dir);

// Parses the file's text. InvalidArgument naming the line for an unknown
// name, a missing agent_id or node_key, or a malformed key.
absl::StatusOr<NodeCredential> ParseNodeCredential(absl::string_view text);

// Loads `path`: nullopt when it does not exist; FailedPrecondition when its
// mode lets group or others read or write it (the message says to chmod 600);
// InvalidArgument (with the path) when it is malformed.
absl::StatusOr<std::optional<NodeCredential>> LoadNodeCredential(const std::string& path);

// Writes `credential` to `path` atomically with mode 0600.
absl::Status SaveNodeCredential(const std::string& path, const NodeCredential& credential);

// Writes `text` to `path` atomically (temporary file, fsync, rename) with
// mode 0600.
absl::Status WritePrivateFile(const std::string& path, absl::string_view text);

}  // namespace cleansweep::agent

#endif  // CLEANSWEEP_AGENT_APP_NODE_CREDENTIAL_H_
