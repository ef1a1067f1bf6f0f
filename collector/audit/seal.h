// The audit report's seal: a SHA-256 digest of its canonical evidence and an
// optional Ed25519 signature over that digest.
//
// Canonical evidence = the AuditReport serialized deterministically (protobuf
// binary, deterministic map order) with evidence_sha256 and signature
// cleared. Because the JSON form maps one-to-one onto the message, a report
// read back from its JSON has the same digest; any edit to any field changes
// it. The signature signs the 64 lower-case hex characters of the digest.
// Thread-safe; OpenSSL at the edge.
#ifndef CLEANSWEEP_COLLECTOR_AUDIT_SEAL_H_
#define CLEANSWEEP_COLLECTOR_AUDIT_SEAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cleansweep/v1/audit.pb.h"

namespace cleansweep::collector {

std::string EvidenceDigest(const cleansweep::v1::AuditReport& report);

// Sets report->evidence_sha256 and, when `private_key_pem` is non-empty (an
// Ed25519 private key in PEM, e.g. `openssl genpkey -algorithm ed25519`),
// report->signature. InvalidArgument when the key is not an Ed25519 key.
absl::Status SealReport(absl::string_view private_key_pem, cleansweep::v1::AuditReport* report);

// Recomputes the digest and compares it with evidence_sha256; checks the
// signature when there is one (against `pinned_public_key_pem` when given,
// else against the key in the report). FailedPrecondition naming what does
// not match; OK otherwise. `signed_out` says whether a signature was checked.
absl::Status VerifyReport(const cleansweep::v1::AuditReport& report,
                          absl::string_view pinned_public_key_pem, bool* signed_out);

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_AUDIT_SEAL_H_
