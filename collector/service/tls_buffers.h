// TlsBuffers: the size of the per-connection TLS buffers of the gRPC server.
//
// gRPC 1.51 creates its OpenSSL objects itself and has no channel argument for
// their buffers, which are most of what an idle TLS agent connection costs the
// collector (README "Measured"): the record buffers OpenSSL keeps for every
// connection (2 x ~16.5 KiB) and the BIO pair between gRPC and OpenSSL
// (2 x 17 KiB). This module reaches them by interposing the two OpenSSL entry
// points gRPC calls, SSL_new and BIO_new_bio_pair: the definitions in
// tls_buffers.cc forward to OpenSSL's own and then apply the options below.
//
// Contract:
//  - In effect only in an executable that links this module and exports the
//    two symbols (the linker option --export-dynamic-symbol=SSL_new and
//    =BIO_new_bio_pair; collector/CMakeLists.txt sets it for
//    cleansweep-collector), so that calls from the shared libraries resolve
//    here. TlsBufferInterpositionActive() says whether that is the case.
//  - SetTlsBufferOptions applies to SSL objects and BIO pairs created after
//    it returns; call it before the server starts. Thread-safe.
//  - release_idle_buffers sets SSL_MODE_RELEASE_BUFFERS on every new SSL
//    object: OpenSSL frees a connection's record buffers while they hold
//    nothing and allocates them again for the next record.
//  - A BIO pair requested with OpenSSL's default sizes (0 and 0, as gRPC does)
//    gets incoming_bio_bytes for the buffer gRPC writes received bytes into
//    and outgoing_bio_bytes for the one OpenSSL writes records into; 0 keeps
//    OpenSSL's default (17 KiB). gRPC moves data through the pair in pieces,
//    so the incoming side may be smaller than a record; the outgoing side must
//    hold the largest record the server writes (GRPC_ARG_TSI_MAX_FRAME_SIZE
//    plus the TLS overhead). Pairs requested with explicit sizes are left as
//    asked.
#ifndef CLEANSWEEP_COLLECTOR_SERVICE_TLS_BUFFERS_H_
#define CLEANSWEEP_COLLECTOR_SERVICE_TLS_BUFFERS_H_

#include <cstddef>

namespace cleansweep::collector {

struct TlsBufferOptions {
  bool release_idle_buffers = false;
  size_t incoming_bio_bytes = 0;  // 0: OpenSSL's default
  size_t outgoing_bio_bytes = 0;  // 0: OpenSSL's default
};

// Sets the options for TLS objects created from now on. Returns false (and
// changes nothing that matters) when the interposition is not in effect.
bool SetTlsBufferOptions(const TlsBufferOptions& options);

// True when calls to SSL_new and BIO_new_bio_pair from any library of the
// process reach this module.
bool TlsBufferInterpositionActive();

}  // namespace cleansweep::collector

#endif  // CLEANSWEEP_COLLECTOR_SERVICE_TLS_BUFFERS_H_
