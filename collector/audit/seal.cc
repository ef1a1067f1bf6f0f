#include "collector/audit/seal.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace cleansweep::collector {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string Canonical(const cleansweep::v1::AuditReport& report) {
  cleansweep::v1::AuditReport copy = report;
  copy.clear_evidence_sha256();
  copy.clear_signature();
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  return out;
}

Pkey ReadKey(absl::string_view pem, bool private_key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return Pkey(private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                          : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

std::string EvidenceDigest(const cleansweep::v1::AuditReport& report) {
  const std::string bytes = Canonical(report);
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), sizeof(md)));
}

absl::Status SealReport(absl::string_view private_key_pem, cleansweep::v1::AuditReport* report) {
  report->clear_signature();
  report->set_evidence_sha256(EvidenceDigest(*report));
  if (private_key_pem.empty()) return absl::OkStatus();
  Pkey key = ReadKey(private_key_pem, /*private_key=*/true);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(
        "the signing key is not an Ed25519 private key in PEM (make one with: openssl genpkey "
        "-algorithm ed25519 -out audit-signing.key)");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const std::string& msg = report->evidence_sha256();
  size_t sig_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &sig_len, reinterpret_cast<const unsigned char*>(msg.data()),
                     msg.size()) != 1) {
    return absl::InternalError("Ed25519 signing failed");
  }
  std::vector<unsigned char> sig(sig_len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &sig_len,
                     reinterpret_cast<const unsigned char*>(msg.data()), msg.size()) != 1) {
    return absl::InternalError("Ed25519 signing failed");
  }
  unsigned char pub[32];
  size_t pub_len = sizeof(pub);
  if (EVP_PKEY_get_raw_public_key(key.get(), pub, &pub_len) != 1) {
    return absl::InternalError("cannot read the Ed25519 public key");
  }
  cleansweep::v1::Signature* s = report->mutable_signature();
  s->set_algorithm("ed25519");
  s->set_public_key(absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(pub), pub_len)));
  s->set_value(absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(sig.data()), sig_len)));
  return absl::OkStatus();
}

absl::Status VerifyReport(const cleansweep::v1::AuditReport& report,
                          absl::string_view pinned_public_key_pem, bool* signed_out) {
  *signed_out = false;
  const std::string digest = EvidenceDigest(report);
  if (digest != report.evidence_sha256()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the evidence digest does not match: the report says ",
                     report.evidence_sha256().empty() ? "nothing" : report.evidence_sha256(),
                     ", its content hashes to ", digest, " (the report was changed)"));
  }
  if (!report.has_signature()) {
    if (!pinned_public_key_pem.empty()) {
      return absl::FailedPreconditionError("the report is not signed, but a public key was given");
    }
    return absl::OkStatus();
  }
  const cleansweep::v1::Signature& s = report.signature();
  if (s.algorithm() != "ed25519") {
    return absl::FailedPreconditionError(absl::StrCat("unknown signature algorithm '",
                                                      s.algorithm(), "'"));
  }
  std::string raw_pub, sig;
  if (!absl::Base64Unescape(s.public_key(), &raw_pub) || raw_pub.size() != 32 ||
      !absl::Base64Unescape(s.value(), &sig)) {
    return absl::FailedPreconditionError("the signature fields are not valid base64 of an Ed25519 "
                                         "key and signature");
  }
  Pkey key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw_pub.data()), 32));
  if (!key) return absl::FailedPreconditionError("the report's public key is not usable");
  if (!pinned_public_key_pem.empty()) {
    Pkey pinned = ReadKey(pinned_public_key_pem, /*private_key=*/false);
    if (!pinned || EVP_PKEY_eq(pinned.get(), key.get()) != 1) {
      return absl::FailedPreconditionError(
          "the report was signed with a different key than the one given");
    }
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(digest.data()), digest.size()) != 1) {
    return absl::FailedPreconditionError("the signature does not verify");
  }
  *signed_out = true;
  return absl::OkStatus();
}

}  // namespace cleansweep::collector
