#include "collector/service/tls_buffers.h"

#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace cleansweep::collector {
namespace {

std::atomic<bool> release_idle_buffers{false};
std::atomic<size_t> incoming_bio_bytes{0};
std::atomic<size_t> outgoing_bio_bytes{0};

// OpenSSL's own definition: the next one after this executable in the lookup
// order. Resolved on first use (gRPC creates its first SSL object only after
// main has started), never null in a process that links libssl.
template <typename Fn>
Fn NextDefinition(const char* name) {
  void* next = dlsym(RTLD_NEXT, name);
  if (next == nullptr) {
    // No OpenSSL behind us: nothing sensible can be returned to the caller.
    std::fprintf(stderr, "tls_buffers: %s not found in OpenSSL: %s\n", name, dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(next);
}

}  // namespace

bool SetTlsBufferOptions(const TlsBufferOptions& options) {
  release_idle_buffers.store(options.release_idle_buffers, std::memory_order_relaxed);
  incoming_bio_bytes.store(options.incoming_bio_bytes, std::memory_order_relaxed);
  outgoing_bio_bytes.store(options.outgoing_bio_bytes, std::memory_order_relaxed);
  return TlsBufferInterpositionActive();
}

bool TlsBufferInterpositionActive() {
  // What a shared library's call binds to: the first definition in the
  // global scope. Ours only when the executable exports it.
  return dlsym(RTLD_DEFAULT, "SSL_new") == reinterpret_cast<void*>(&::SSL_new) &&
         dlsym(RTLD_DEFAULT, "BIO_new_bio_pair") == reinterpret_cast<void*>(&::BIO_new_bio_pair);
}

}  // namespace cleansweep::collector

// The interposed OpenSSL entry points (global namespace, C linkage, the exact
// signatures of <openssl/ssl.h> and <openssl/bio.h>).
extern "C" {

SSL* SSL_new(SSL_CTX* ctx) {
  using Fn = SSL* (*)(SSL_CTX*);
  static const Fn real = cleansweep::collector::NextDefinition<Fn>("SSL_new");
  SSL* ssl = real(ctx);
  if (ssl != nullptr &&
      cleansweep::collector::release_idle_buffers.load(std::memory_order_relaxed)) {
    SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
  }
  return ssl;
}

int BIO_new_bio_pair(BIO** bio1, size_t writebuf1, BIO** bio2, size_t writebuf2) {
  using Fn = int (*)(BIO**, size_t, BIO**, size_t);
  static const Fn real = cleansweep::collector::NextDefinition<Fn>("BIO_new_bio_pair");
  if (writebuf1 == 0 && writebuf2 == 0) {
    // gRPC's TSI: bio1 is its network side (it writes what it received from
    // the peer), bio2 is OpenSSL's side (OpenSSL writes the records to send).
    writebuf1 = cleansweep::collector::incoming_bio_bytes.load(std::memory_order_relaxed);
    writebuf2 = cleansweep::collector::outgoing_bio_bytes.load(std::memory_order_relaxed);
  }
  return real(bio1, writebuf1, bio2, writebuf2);
}

}  // extern "C"
