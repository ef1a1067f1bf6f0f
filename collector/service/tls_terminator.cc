#include "collector/service/tls_terminator.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/logging.h"

namespace cleansweep::collector {
namespace {

// The TLS 1.2 cipher suites gRPC's own servers offer (TLS 1.3 keeps
// OpenSSL's defaults), so that agents negotiate what they did before.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";
constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
constexpr size_t kScratchBytes = 16 * 1024 + 512;  // one TLS record's plaintext

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

int SelectH2(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_len,
             const unsigned char* in, unsigned int in_len, void* /*arg*/) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kAlpnH2, sizeof(kAlpnH2), in, in_len) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // gRPC speaks HTTP/2 only
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

absl::StatusOr<SSL_CTX*> MakeContext(const TlsTerminatorOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + OpenSslErrors());
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> guard(ctx, &SSL_CTX_free);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Idle connections hold no record buffers; writes may be retried from a
  // buffer that moved (the pending copy kept while the socket is full).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A killed agent closes without close_notify: an end of stream, not an error.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  // gRPC clients keep no session cache: tickets and cached sessions would
  // only cost memory here.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return absl::InternalError("cipher list: " + OpenSslErrors());
  }
  SSL_CTX_set_alpn_select_cb(ctx, &SelectH2, nullptr);

  std::unique_ptr<BIO, int (*)(BIO*)> certs(
      BIO_new_mem_buf(options.cert_chain_pem.data(), static_cast<int>(options.cert_chain_pem.size())),
      &BIO_free);
  X509* leaf = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr || SSL_CTX_use_certificate(ctx, leaf) != 1) {
    X509_free(leaf);
    return absl::InvalidArgumentError("the TLS certificate is not a PEM certificate: " +
                                      OpenSslErrors());
  }
  X509_free(leaf);  // the context holds its own reference
  while (X509* extra = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) {  // takes ownership on success
      X509_free(extra);
      return absl::InvalidArgumentError("the TLS certificate chain: " + OpenSslErrors());
    }
  }
  ERR_clear_error();  // the end of the chain reads as "no start line"
  std::unique_ptr<BIO, int (*)(BIO*)> key_bio(
      BIO_new_mem_buf(options.private_key_pem.data(),
                      static_cast<int>(options.private_key_pem.size())),
      &BIO_free);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    return absl::InvalidArgumentError("the TLS key is not a PEM private key: " + OpenSslErrors());
  }
  const bool used = SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!used || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the TLS key does not match the certificate");
  }
  return guard.release();
}

// gRPC's form of a peer address: "ipv4:10.1.2.3:40112", "ipv6:[::1]:40112".
std::string PeerString(const sockaddr_storage& addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    return absl::StrCat("ipv4:", host, ":", ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
  if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {  // an IPv4 agent on a dual-stack socket
    inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, sizeof(host));
    return absl::StrCat("ipv4:", host, ":", ntohs(in6->sin6_port));
  }
  inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
  return absl::StrCat("ipv6:[", host, "]:", ntohs(in6->sin6_port));
}

absl::StatusOr<int> Listen(const std::string& address, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("listen address ", address,
                                                   " has no port (use HOST:PORT)"));
  }
  std::string host = address.substr(0, colon);
  const std::string service = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int gai = getaddrinfo(host.empty() || host == "*" ? nullptr : host.c_str(),
                              service.c_str(), &hints, &found);
  if (gai != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address ", address, ": ", gai_strerror(gai)));
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, &freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    // No SO_REUSEPORT: a second collector must fail to start, not share.
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
      sockaddr_storage bound{};
      socklen_t len = sizeof(bound);
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      *port = ntohs(bound.ss_family == AF_INET
                        ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                        : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
      return fd;
    }
    last_error = std::strerror(errno);
    close(fd);
  }
  return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", last_error));
}

}  // namespace

struct TlsTerminator::Impl {
  struct Conn {
    uint64_t serial = 0;
    int tcp = -1;
    int app = -1;      // our end of the socketpair (-1 until the handshake is done)
    int grpc_fd = -1;  // gRPC's end (owned by gRPC once handed off)
    SSL* ssl = nullptr;
    bool established = false;
    bool handshake_wants_write = false;
    bool read_wants_write = false;   // SSL_read needs the socket writable
    bool write_wants_read = false;   // SSL_write needs the socket readable
    bool tcp_eof = false;            // the agent's side ended
    bool app_eof = false;            // gRPC closed the connection
    uint32_t tcp_events = 0;         // registered with epoll (0: not in it)
    uint32_t app_events = 0;
    absl::Time deadline;  // of the handshake
    std::string peer;
    std::string to_app;  // decrypted, not yet taken by gRPC
    std::string to_tcp;  // from gRPC, not yet taken by TLS
  };

  TlsTerminatorOptions options;
  SSL_CTX* ctx = nullptr;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::vector<char> scratch = std::vector<char>(kScratchBytes);
  std::vector<Conn*> by_fd;  // tcp and app fds -> their connection
  absl::flat_hash_map<Conn*, std::unique_ptr<Conn>> conns;
  absl::flat_hash_set<Conn*> handshaking;
  uint64_t next_serial = 1;

  mutable std::mutex mu;
  // gRPC's fd of each relayed connection -> (connection serial, peer).
  absl::flat_hash_map<int, std::pair<uint64_t, std::string>> peers;  // guarded by mu
  TlsTerminatorStats stats;                                           // guarded by mu

  ~Impl() {
    for (auto& [c, owned] : conns) Release(c);
    if (listen_fd >= 0) close(listen_fd);
    if (wake_fd >= 0) close(wake_fd);
    if (epoll_fd >= 0) close(epoll_fd);
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }

  void Loop() {
    std::vector<epoll_event> events(256);
    absl::Time next_expiry_check = absl::Now() + absl::Seconds(1);
    while (!stopping.load()) {
      const int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), 1000);
      if (n < 0 && errno != EINTR) {
        LOG_ERROR("TLS relay: epoll_wait: %s", std::strerror(errno));
        return;
      }
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listen_fd) {
          Accept();
        } else if (fd == wake_fd) {
          // Stop() only
        } else if (static_cast<size_t>(fd) < by_fd.size() && by_fd[static_cast<size_t>(fd)]) {
          Service(by_fd[static_cast<size_t>(fd)]);
        }
      }
      const absl::Time now = absl::Now();
      if (now >= next_expiry_check) {
        next_expiry_check = now + absl::Seconds(1);
        ExpireHandshakes(now);
      }
    }
  }

  void Accept() {
    while (true) {
      sockaddr_storage addr{};
      socklen_t len = sizeof(addr);
      const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
          LOG_WARNING("TLS relay: cannot accept more connections: %s", std::strerror(errno));
        }
        return;  // EAGAIN: all taken
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // acks are small
      auto conn = std::make_unique<Conn>();
      conn->serial = next_serial++;
      conn->tcp = fd;
      conn->peer = PeerString(addr);
      conn->deadline = absl::Now() + options.handshake_timeout;
      conn->ssl = SSL_new(ctx);
      if (conn->ssl == nullptr || SSL_set_fd(conn->ssl, fd) != 1) {
        LOG_WARNING("TLS relay: cannot set up TLS for %s: %s", conn->peer, OpenSslErrors());
        if (conn->ssl != nullptr) SSL_free(conn->ssl);
        close(fd);
        continue;
      }
      SSL_set_accept_state(conn->ssl);
      Conn* c = conn.get();
      conns.emplace(c, std::move(conn));
      handshaking.insert(c);
      Index(fd, c);
      {
        std::lock_guard<std::mutex> lock(mu);
        ++stats.accepted;
        ++stats.open;
      }
      Service(c);
    }
  }

  void Index(int fd, Conn* c) {
    if (by_fd.size() <= static_cast<size_t>(fd)) by_fd.resize(static_cast<size_t>(fd) + 64);
    by_fd[static_cast<size_t>(fd)] = c;
  }

  // Does every step the connection can take now without blocking, then
  // registers what it waits for (or closes it).
  void Service(Conn* c) {
    if (!Pump(c)) {
      Close(c);
      return;
    }
    if (c->established && c->tcp_eof && c->app_eof) {
      Close(c);
      return;
    }
    Register(c);
  }

  bool Pump(Conn* c) {
    if (!c->established && !Handshake(c)) return false;
    if (!c->established) return true;  // waits for the agent
    c->read_wants_write = false;
    c->write_wants_read = false;
    if (!FlushToApp(c) || !FlushToTcp(c)) return false;
    // Agent -> gRPC, while gRPC takes everything.
    while (c->to_app.empty() && !c->tcp_eof) {
      ERR_clear_error();
      const int n = SSL_read(c->ssl, scratch.data(), static_cast<int>(scratch.size()));
      if (n > 0) {
        if (!SendToApp(c, scratch.data(), static_cast<size_t>(n))) return false;
        continue;
      }
      const int err = SSL_get_error(c->ssl, n);
      if (err == SSL_ERROR_WANT_READ) break;
      if (err == SSL_ERROR_WANT_WRITE) {
        c->read_wants_write = true;
        break;
      }
      if (err == SSL_ERROR_ZERO_RETURN) {
        c->tcp_eof = true;  // gRPC sees the end of the stream
        shutdown(c->app, SHUT_WR);
        break;
      }
      if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        c->tcp_eof = true;  // reset by the peer
        shutdown(c->app, SHUT_WR);
        break;
      }
      LOG_WARNING("TLS relay: closing the connection of %s: %s", c->peer, OpenSslErrors());
      return false;
    }
    // gRPC -> agent, while TLS takes everything.
    while (c->to_tcp.empty() && !c->app_eof) {
      const ssize_t n = read(c->app, scratch.data(), scratch.size());
      if (n > 0) {
        if (!SendToTcp(c, scratch.data(), static_cast<size_t>(n))) return false;
        continue;
      }
      if (n == 0) {
        c->app_eof = true;  // gRPC closed the connection: nothing more to send
        if (c->to_tcp.empty()) {
          ERR_clear_error();
          SSL_shutdown(c->ssl);  // close_notify, best effort
          c->tcp_eof = true;
        }
        break;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return false;
    }
    if (c->app_eof && c->to_tcp.empty()) c->tcp_eof = true;
    return true;
  }

  bool Handshake(Conn* c) {
    ERR_clear_error();
    const int r = SSL_do_handshake(c->ssl);
    if (r == 1) return Establish(c);
    const int err = SSL_get_error(c->ssl, r);
    if (err == SSL_ERROR_WANT_READ) {
      c->handshake_wants_write = false;
      return true;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
      c->handshake_wants_write = true;
      return true;
    }
    const std::string why = err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0
                                ? std::string("connection closed during the handshake")
                                : OpenSslErrors();
    LOG_WARNING("refused connection from %s: TLS handshake failed: %s", c->peer, why);
    std::lock_guard<std::mutex> lock(mu);
    ++stats.handshake_failures;
    return false;
  }

  bool Establish(Conn* c) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
      LOG_WARNING("TLS relay: socketpair for %s: %s", c->peer, std::strerror(errno));
      return false;
    }
    c->established = true;
    c->app = pair[0];
    c->grpc_fd = pair[1];
    handshaking.erase(c);
    Index(c->app, c);
    {
      std::lock_guard<std::mutex> lock(mu);
      peers[c->grpc_fd] = {c->serial, c->peer};
      ++stats.handshakes;
    }
    options.hand_off(c->grpc_fd);  // gRPC owns pair[1] from here
    return true;
  }

  // Writes to gRPC what it takes now; keeps the rest (and reads no more
  // from the agent until it is taken).
  bool SendToApp(Conn* c, const char* data, size_t size) {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = send(c->app, data + done, size - done, MSG_NOSIGNAL);
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        c->to_app.assign(data + done, size - done);
        return true;
      } else {
        return false;  // gRPC closed its end
      }
    }
    return true;
  }

  bool FlushToApp(Conn* c) {
    if (c->to_app.empty()) return true;
    std::string pending;  // freed once taken: idle connections keep no buffer
    pending.swap(c->to_app);
    return SendToApp(c, pending.data(), pending.size());
  }

  bool SendToTcp(Conn* c, const char* data, size_t size) {
    size_t done = 0;
    while (done < size) {
      ERR_clear_error();
      const int n = SSL_write(c->ssl, data + done, static_cast<int>(size - done));
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      const int err = SSL_get_error(c->ssl, n);
      if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
        c->write_wants_read = err == SSL_ERROR_WANT_READ;
        // Retried with the same bytes (from this copy: the buffer may move).
        c->to_tcp.assign(data + done, size - done);
        return true;
      }
      if (!(err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
        LOG_WARNING("TLS relay: writing to %s: %s", c->peer, OpenSslErrors());
      }
      return false;
    }
    return true;
  }

  bool FlushToTcp(Conn* c) {
    if (c->to_tcp.empty()) return true;
    std::string pending;
    pending.swap(c->to_tcp);
    if (!SendToTcp(c, pending.data(), pending.size())) return false;
    if (c->app_eof && c->to_tcp.empty()) {
      ERR_clear_error();
      SSL_shutdown(c->ssl);
      c->tcp_eof = true;
    }
    return true;
  }

  void Register(Conn* c) {
    uint32_t tcp_events = 0;
    if (!c->established) {
      tcp_events = c->handshake_wants_write ? EPOLLOUT : EPOLLIN;
    } else {
      if ((!c->tcp_eof && c->to_app.empty()) || c->write_wants_read) tcp_events |= EPOLLIN;
      if (!c->to_tcp.empty() || c->read_wants_write) tcp_events |= EPOLLOUT;
    }
    Update(c->tcp, &c->tcp_events, tcp_events);
    if (c->app >= 0) {
      uint32_t app_events = 0;
      if (!c->app_eof && c->to_tcp.empty()) app_events |= EPOLLIN;
      if (!c->to_app.empty()) app_events |= EPOLLOUT;
      Update(c->app, &c->app_events, app_events);
    }
  }

  // A socket waiting for nothing leaves epoll: a hung-up socket would
  // otherwise be reported (EPOLLHUP) over and over.
  void Update(int fd, uint32_t* registered, uint32_t wanted) {
    if (*registered == wanted) return;
    if (wanted == 0) {
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    } else {
      epoll_event ev{};
      ev.events = wanted;
      ev.data.fd = fd;
      epoll_ctl(epoll_fd, *registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
    }
    *registered = wanted;
  }

  void ExpireHandshakes(absl::Time now) {
    std::vector<Conn*> late;
    for (Conn* c : handshaking) {
      if (now >= c->deadline) late.push_back(c);
    }
    for (Conn* c : late) {
      LOG_WARNING("refused connection from %s: no TLS handshake within %s", c->peer,
                  absl::FormatDuration(options.handshake_timeout));
      {
        std::lock_guard<std::mutex> lock(mu);
        ++stats.handshake_failures;
      }
      Close(c);
    }
  }

  // Frees the connection's resources (not its map entry).
  void Release(Conn* c) {
    if (c->tcp >= 0) close(c->tcp);
    if (c->app >= 0) close(c->app);  // gRPC sees the end of its connection
    if (c->ssl != nullptr) SSL_free(c->ssl);
    c->tcp = c->app = -1;
    c->ssl = nullptr;
  }

  void Close(Conn* c) {
    for (int fd : {c->tcp, c->app}) {
      if (fd < 0) continue;
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
      if (static_cast<size_t>(fd) < by_fd.size()) by_fd[static_cast<size_t>(fd)] = nullptr;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = peers.find(c->grpc_fd);
      // gRPC may have closed its fd already and the number be in use again.
      if (it != peers.end() && it->second.first == c->serial) peers.erase(it);
      --stats.open;
    }
    handshaking.erase(c);
    Release(c);
    conns.erase(c);
  }
};

absl::StatusOr<std::unique_ptr<TlsTerminator>> TlsTerminator::Start(const std::string& address,
                                                                    TlsTerminatorOptions options) {
  if (!options.hand_off) return absl::InvalidArgumentError("TlsTerminator needs hand_off");
  auto impl = std::make_unique<Impl>();
  absl::StatusOr<SSL_CTX*> ctx = MakeContext(options);
  if (!ctx.ok()) return ctx.status();
  impl->ctx = *ctx;
  impl->options = std::move(options);
  int port = 0;
  absl::StatusOr<int> listen_fd = Listen(address, &port);
  if (!listen_fd.ok()) return listen_fd.status();
  impl->listen_fd = *listen_fd;
  impl->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  impl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->epoll_fd < 0 || impl->wake_fd < 0) {
    return absl::InternalError(absl::StrCat("epoll/eventfd: ", std::strerror(errno)));
  }
  for (int fd : {impl->listen_fd, impl->wake_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (epoll_ctl(impl->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return absl::InternalError(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
    }
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Loop(); });
  return std::unique_ptr<TlsTerminator>(new TlsTerminator(std::move(impl), port));
}

TlsTerminator::TlsTerminator(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

TlsTerminator::~TlsTerminator() { Stop(); }

void TlsTerminator::Stop() {
  if (impl_ == nullptr || impl_->stopping.exchange(true)) return;
  const uint64_t one = 1;
  (void)!write(impl_->wake_fd, &one, sizeof(one));
  if (impl_->thread.joinable()) impl_->thread.join();
  std::vector<Impl::Conn*> open;
  for (auto& [c, owned] : impl_->conns) open.push_back(c);
  for (Impl::Conn* c : open) impl_->Close(c);
}

std::string TlsTerminator::PeerOf(absl::string_view grpc_peer) const {
  absl::string_view rest = grpc_peer;
  int fd = -1;
  if (!absl::ConsumePrefix(&rest, "fd:") || !absl::SimpleAtoi(rest, &fd)) {
    return std::string(grpc_peer);
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->peers.find(fd);
  return it == impl_->peers.end() ? std::string(grpc_peer) : it->second.second;
}

TlsTerminatorStats TlsTerminator::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

}  // namespace cleansweep::collector
