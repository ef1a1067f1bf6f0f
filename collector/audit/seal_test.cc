#include "collector/audit/seal.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/escaping.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using cleansweep::v1::AuditReport;

struct KeyPair {
  std::string private_pem, public_pem;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A key pair made by the openssl command line (an independent implementation).
KeyPair OpensslKey(const std::string& name) {
  const std::string dir = ::testing::TempDir();
  const std::string key = dir + "/" + name + ".pem";
  const std::string pub = dir + "/" + name + ".pub.pem";
  std::string cmd = "openssl genpkey -algorithm ed25519 -out '" + key + "' 2>/dev/null && " +
                    "openssl pkey -in '" + key + "' -pubout -out '" + pub + "' 2>/dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return KeyPair{ReadFile(key), ReadFile(pub)};
}

AuditReport Sample() {
  AuditReport r;
  r.set_site("example");
  r.mutable_from()->set_seconds(1772442000);
  r.mutable_to()->set_seconds(1772445600);
  r.mutable_verdict()->set_kind("clean");
  r.mutable_verdict()->set_sentence("All hosts were watched.");
  r.mutable_coverage()->set_expected(3);
  r.mutable_coverage()->set_covered_fraction(1.0 / 3.0);
  return r;
}

TEST(SealTest, TheDigestIsSha256OfTheCanonicalEvidenceAndSurvivesJson) {
  AuditReport r = Sample();
  ASSERT_TRUE(SealReport("", &r).ok());
  EXPECT_EQ(r.evidence_sha256().size(), 64u);
  EXPECT_FALSE(r.has_signature());
  bool was_signed = true;
  EXPECT_TRUE(VerifyReport(r, "", &was_signed).ok());
  EXPECT_FALSE(was_signed);
  // Through JSON and back (what `audit verify` reads), the digest still holds.
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(r, &json).ok());
  AuditReport back;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &back).ok());
  EXPECT_TRUE(VerifyReport(back, "", &was_signed).ok());
  // Any change is caught.
  back.mutable_verdict()->set_kind("infected");
  absl::Status st = VerifyReport(back, "", &was_signed);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("does not match"), std::string::npos);
}

TEST(SealTest, AnEd25519SignatureVerifiesAndAnyTamperingOrOtherKeyFails) {
  const KeyPair a = OpensslKey("audit-a");
  const std::string& key = a.private_pem;
  const std::string& pub = a.public_pem;
  AuditReport r = Sample();
  ASSERT_TRUE(SealReport(key, &r).ok());
  ASSERT_TRUE(r.has_signature());
  EXPECT_EQ(r.signature().algorithm(), "ed25519");
  bool was_signed = false;
  absl::Status st = VerifyReport(r, pub, &was_signed);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_TRUE(was_signed);

  // The signature checked with the openssl command line, over the hex digest.
  {
    const std::string dir = ::testing::TempDir();
    std::ofstream(dir + "/msg") << r.evidence_sha256();
    std::string raw;
    ASSERT_TRUE(absl::Base64Unescape(r.signature().value(), &raw));
    std::ofstream(dir + "/sig", std::ios::binary) << raw;
    std::ofstream(dir + "/pub.pem") << pub;
    const std::string cmd = "openssl pkeyutl -verify -pubin -inkey '" + dir + "/pub.pem' -rawin -in '" +
                            dir + "/msg' -sigfile '" + dir + "/sig' >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }

  // Another key pinned: refused.
  const std::string other_pub = OpensslKey("audit-b").public_pem;
  EXPECT_FALSE(VerifyReport(r, other_pub, &was_signed).ok());
  // A signature replaced by one over different content: refused.
  AuditReport forged = r;
  forged.mutable_coverage()->set_expected(4);
  forged.set_evidence_sha256(EvidenceDigest(forged));  // digest fixed up, signature not
  st = VerifyReport(forged, "", &was_signed);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("signature does not verify"), std::string::npos) << st;
  // Not an Ed25519 key: a clear error.
  EXPECT_EQ(SealReport("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &r).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cleansweep::collector
