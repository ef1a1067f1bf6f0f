#include "collector/service/tls_buffers.h"

#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <string>

#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

using SslNewFn = SSL* (*)(SSL_CTX*);
using BioPairFn = int (*)(BIO**, size_t, BIO**, size_t);

// What a shared library (gRPC) calls: the definition the global scope finds.
SslNewFn GlobalSslNew() { return reinterpret_cast<SslNewFn>(dlsym(RTLD_DEFAULT, "SSL_new")); }
BioPairFn GlobalBioPair() {
  return reinterpret_cast<BioPairFn>(dlsym(RTLD_DEFAULT, "BIO_new_bio_pair"));
}
// OpenSSL's own definitions, behind this executable's.
BioPairFn OpenSslBioPair() {
  return reinterpret_cast<BioPairFn>(dlsym(RTLD_NEXT, "BIO_new_bio_pair"));
}

// Bytes that can be written into `bio` while its peer reads nothing: the size
// of its buffer, as OpenSSL reports it.
size_t BufferSize(BIO* bio) { return BIO_ctrl_get_write_guarantee(bio); }

class TlsBuffersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_ = SSL_CTX_new(TLS_server_method());
    ASSERT_NE(ctx_, nullptr);
  }
  void TearDown() override {
    SetTlsBufferOptions({});
    SSL_CTX_free(ctx_);
  }
  SSL_CTX* ctx_ = nullptr;
};

TEST_F(TlsBuffersTest, LibrariesReachTheInterposedDefinitions) {
  // This test binary is linked like cleansweep-collector (exported symbols).
  EXPECT_TRUE(TlsBufferInterpositionActive());
  EXPECT_NE(GlobalSslNew(), nullptr);
  EXPECT_NE(OpenSslBioPair(), GlobalBioPair());
}

TEST_F(TlsBuffersTest, ReleaseIdleBuffersSetsOpenSslsMode) {
  ASSERT_EQ(SSL_CTX_get_mode(ctx_) & SSL_MODE_RELEASE_BUFFERS, 0u);
  ASSERT_TRUE(SetTlsBufferOptions({.release_idle_buffers = true}));
  SSL* ssl = GlobalSslNew()(ctx_);
  ASSERT_NE(ssl, nullptr);
  EXPECT_NE(SSL_get_mode(ssl) & SSL_MODE_RELEASE_BUFFERS, 0u);
  SSL_free(ssl);

  SetTlsBufferOptions({.release_idle_buffers = false});
  ssl = GlobalSslNew()(ctx_);
  ASSERT_NE(ssl, nullptr);
  // The context's own mode, as OpenSSL sets it, is left alone.
  EXPECT_EQ(SSL_get_mode(ssl), SSL_CTX_get_mode(ctx_));
  SSL_free(ssl);
}

TEST_F(TlsBuffersTest, DefaultSizedPairsGetTheConfiguredSizes) {
  ASSERT_TRUE(SetTlsBufferOptions({.incoming_bio_bytes = 1024, .outgoing_bio_bytes = 1280}));
  BIO* network = nullptr;
  BIO* ssl_side = nullptr;
  ASSERT_EQ(GlobalBioPair()(&network, 0, &ssl_side, 0), 1);
  EXPECT_EQ(BufferSize(network), 1024u);
  EXPECT_EQ(BufferSize(ssl_side), 1280u);
  // Data still goes through in order, more than one buffer's worth in pieces.
  std::string sent(5000, '\0');
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>(i * 7);
  std::string received;
  size_t offset = 0;
  while (received.size() < sent.size()) {
    if (offset < sent.size()) {
      int n = BIO_write(network, sent.data() + offset, static_cast<int>(sent.size() - offset));
      if (n > 0) offset += static_cast<size_t>(n);
    }
    char buf[700];
    int n = BIO_read(ssl_side, buf, sizeof(buf));
    if (n > 0) received.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(received, sent);
  BIO_free(network);
  BIO_free(ssl_side);
}

TEST_F(TlsBuffersTest, WithoutOptionsPairsKeepOpenSslsDefault) {
  BIO* a = nullptr;
  BIO* b = nullptr;
  ASSERT_EQ(OpenSslBioPair()(&a, 0, &b, 0), 1);
  const size_t openssl_default = BufferSize(a);
  BIO_free(a);
  BIO_free(b);

  SetTlsBufferOptions({});
  ASSERT_EQ(GlobalBioPair()(&a, 0, &b, 0), 1);
  EXPECT_EQ(BufferSize(a), openssl_default);
  EXPECT_EQ(BufferSize(b), openssl_default);
  BIO_free(a);
  BIO_free(b);
}

TEST_F(TlsBuffersTest, ExplicitSizesAreLeftAsAsked) {
  ASSERT_TRUE(SetTlsBufferOptions({.incoming_bio_bytes = 1024, .outgoing_bio_bytes = 1280}));
  BIO* a = nullptr;
  BIO* b = nullptr;
  ASSERT_EQ(GlobalBioPair()(&a, 3000, &b, 5000), 1);
  EXPECT_EQ(BufferSize(a), 3000u);
  EXPECT_EQ(BufferSize(b), 5000u);
  BIO_free(a);
  BIO_free(b);
}

}  // namespace
}  // namespace cleansweep::collector
