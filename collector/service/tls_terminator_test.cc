#include "collector/service/tls_terminator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace cleansweep::collector {
namespace {

// A self-signed certificate for "localhost" (its own CA), made here.
struct TestPki {
  std::string cert_pem, key_pem;
};

TestPki MakePki() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  for (const char* ext : {"subjectAltName=DNS:localhost", "basicConstraints=critical,CA:TRUE"}) {
    const std::string spec(ext);
    const size_t eq = spec.find('=');
    X509_EXTENSION* e = X509V3_EXT_conf(nullptr, &v3, spec.substr(0, eq).c_str(),
                                        spec.substr(eq + 1).c_str());
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
  }
  X509_sign(x, key, EVP_sha256());
  TestPki pki;
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  pki.cert_pem.assign(data, static_cast<size_t>(n));
  BIO_free(b);
  b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  n = BIO_get_mem_data(b, &data);
  pki.key_pem.assign(data, static_cast<size_t>(n));
  BIO_free(b);
  X509_free(x);
  EVP_PKEY_free(key);
  return pki;
}

// A TLS client as an agent's gRPC would be: verifies the certificate for
// "localhost" against the test CA, offers ALPN `alpn`.
class TlsClient {
 public:
  TlsClient(const TestPki& pki, int port, const std::string& alpn = std::string("\x02h2", 3)) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    BIO* b = BIO_new_mem_buf(pki.cert_pem.data(), static_cast<int>(pki.cert_pem.size()));
    X509* ca = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char*>(alpn.data()),
                            static_cast<unsigned>(alpn.size()));
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set1_host(ssl_, "localhost");
    SSL_set_tlsext_host_name(ssl_, "localhost");
  }
  ~TlsClient() {
    SSL_free(ssl_);
    close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool Handshake() { return connected_ && SSL_connect(ssl_) == 1; }
  bool WriteAll(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      const int n = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads until `size` bytes or the end; returns what it got.
  std::string Read(size_t size) {
    std::string out;
    char buf[16384];
    while (out.size() < size) {
      const int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // gRPC's form of this client's address, as the server sees it.
  std::string LocalPeer() const {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return absl::StrCat("ipv4:127.0.0.1:", ntohs(addr.sin_port));
  }
  // True when the server closed the connection within `ms`.
  bool ClosedWithin(int ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, ms) != 1) return false;
    char c;
    return recv(fd_, &c, 1, 0) <= 0;
  }
  void ShutdownWrite() { SSL_shutdown(ssl_); }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Plain reads/writes on the handed-off fd (non-blocking: poll first).
std::string ReadPlain(int fd, size_t size) {
  std::string out;
  char buf[65536];
  while (out.size() < size) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 30000) != 1) break;
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool WritePlain(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 30000) != 1) return false;
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

class TlsTerminatorTest : public ::testing::Test {
 protected:
  void StartRelay(absl::Duration handshake_timeout = absl::Seconds(10),
                  const std::string& address = "127.0.0.1:0") {
    pki_ = MakePki();
    TlsTerminatorOptions options;
    options.cert_chain_pem = pki_.cert_pem;
    options.private_key_pem = pki_.key_pem;
    options.handshake_timeout = handshake_timeout;
    options.hand_off = [this](int fd) {
      absl::MutexLock lock(&mu_);
      handed_.push_back(fd);
    };
    auto started = TlsTerminator::Start(address, std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    relay_ = *std::move(started);
    ASSERT_GT(relay_->port(), 0);
  }
  void TearDown() override {
    if (relay_ != nullptr) relay_->Stop();
    absl::MutexLock lock(&mu_);
    for (int fd : handed_) close(fd);
  }
  int WaitForHandOff(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return handed_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
    return handed_.size() >= n ? handed_[n - 1] : -1;
  }

  TestPki pki_;
  std::unique_ptr<TlsTerminator> relay_;
  absl::Mutex mu_;
  std::vector<int> handed_;
};

// Bytes cross both ways intact, 8 MiB each way: more than the sockets
// between them hold, so the relay must wait for the slower side many times
// (a partial send, a full socket, a pending TLS write) without losing or
// reordering anything; the handed-off connection knows the agent's address.
TEST_F(TlsTerminatorTest, RelaysBothWaysIntactWithBackPressure) {
  StartRelay();
  TlsClient client(pki_, relay_->port());
  ASSERT_TRUE(client.Handshake());
  const int app = WaitForHandOff(1);
  ASSERT_GE(app, 0);
  EXPECT_EQ(relay_->PeerOf(absl::StrCat("fd:", app)), client.LocalPeer());
  EXPECT_EQ(relay_->PeerOf("ipv4:10.0.0.1:1"), "ipv4:10.0.0.1:1");  // not relayed: as is

  const std::string up = RandomBytes(8 << 20, 1);
  bool wrote = false;
  std::thread writer([&] { wrote = client.WriteAll(up); });
  const std::string got = ReadPlain(app, up.size());
  writer.join();
  ASSERT_TRUE(wrote);
  EXPECT_EQ(got.size(), up.size());
  EXPECT_TRUE(got == up) << "relayed bytes differ";

  const std::string down = RandomBytes(8 << 20, 2);
  std::string back;
  std::thread reader([&] { back = client.Read(down.size()); });
  ASSERT_TRUE(WritePlain(app, down));
  reader.join();
  EXPECT_EQ(back.size(), down.size());
  EXPECT_TRUE(back == down) << "relayed bytes differ";

  TlsTerminatorStats s = relay_->stats();
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.handshakes, 1u);
  EXPECT_EQ(s.open, 1u);
}

// Either side's end reaches the other: the agent's close_notify as end of
// stream on the handed-off socket, gRPC closing its socket as the end of the
// TLS connection.
TEST_F(TlsTerminatorTest, EndsTravelBothWays) {
  StartRelay();
  {
    TlsClient client(pki_, relay_->port());
    ASSERT_TRUE(client.Handshake());
    const int app = WaitForHandOff(1);
    ASSERT_TRUE(client.WriteAll("last words"));
    client.ShutdownWrite();
    EXPECT_EQ(ReadPlain(app, 1 << 20), "last words");  // then end of stream
  }
  TlsClient client(pki_, relay_->port());
  ASSERT_TRUE(client.Handshake());
  const int app = WaitForHandOff(2);
  ASSERT_TRUE(WritePlain(app, "bye"));
  {
    absl::MutexLock lock(&mu_);
    handed_.pop_back();
  }
  close(app);
  EXPECT_EQ(client.Read(1 << 20), "bye");  // then the end
}

// Listening on every IPv6 and IPv4 address, an IPv4 agent is named as gRPC
// names it ("ipv4:…"), not as an IPv4-mapped IPv6 address.
TEST_F(TlsTerminatorTest, AnIpv4AgentOnADualStackListenerIsNamedByItsIpv4Address) {
  {
    // Only where this machine has IPv6 at all.
    const int probe = socket(AF_INET6, SOCK_STREAM, 0);
    if (probe < 0) GTEST_SKIP() << "no IPv6 on this machine";
    close(probe);
  }
  StartRelay(absl::Seconds(10), "[::]:0");
  TlsClient client(pki_, relay_->port());
  ASSERT_TRUE(client.Handshake());
  const int app = WaitForHandOff(1);
  ASSERT_GE(app, 0);
  EXPECT_EQ(relay_->PeerOf(absl::StrCat("fd:", app)), client.LocalPeer());
}

// A client that does not speak HTTP/2 is refused in the handshake (gRPC
// would only fail later), nothing is handed to gRPC, the refusal is counted.
TEST_F(TlsTerminatorTest, RefusesAClientWithoutH2) {
  StartRelay();
  TlsClient client(pki_, relay_->port(), std::string("\x08http/1.1", 9));
  EXPECT_FALSE(client.Handshake());
  TlsClient good(pki_, relay_->port());
  ASSERT_TRUE(good.Handshake());
  ASSERT_GE(WaitForHandOff(1), 0);
  TlsTerminatorStats s = relay_->stats();
  EXPECT_EQ(s.handshake_failures, 1u);
  EXPECT_EQ(s.handshakes, 1u);
}

// A connection that never completes its handshake is closed at the deadline
// and never reaches gRPC.
TEST_F(TlsTerminatorTest, ClosesAConnectionThatNeverHandshakes) {
  StartRelay(absl::Milliseconds(300));
  TlsClient silent(pki_, relay_->port());
  EXPECT_TRUE(silent.ClosedWithin(10000));
  EXPECT_EQ(relay_->stats().handshake_failures, 1u);
  EXPECT_EQ(relay_->stats().handshakes, 0u);
  absl::MutexLock lock(&mu_);
  EXPECT_TRUE(handed_.empty());
}

TEST(TlsTerminatorStartTest, BadCertificateKeyOrAddressIsAClearError) {
  TestPki pki = MakePki();
  TestPki other = MakePki();
  auto start = [](std::string cert, std::string key, std::string address) {
    TlsTerminatorOptions o;
    o.cert_chain_pem = std::move(cert);
    o.private_key_pem = std::move(key);
    o.hand_off = [](int fd) { close(fd); };
    return TlsTerminator::Start(address, std::move(o));
  };
  auto no_cert = start("not a certificate", pki.key_pem, "127.0.0.1:0");
  ASSERT_FALSE(no_cert.ok());
  EXPECT_NE(no_cert.status().message().find("certificate"), std::string::npos);
  auto mismatch = start(pki.cert_pem, other.key_pem, "127.0.0.1:0");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("does not match"), std::string::npos);
  auto no_port = start(pki.cert_pem, pki.key_pem, "127.0.0.1");
  ASSERT_FALSE(no_port.ok());
  EXPECT_NE(no_port.status().message().find("HOST:PORT"), std::string::npos);
  auto first = start(pki.cert_pem, pki.key_pem, "127.0.0.1:0");
  ASSERT_TRUE(first.ok());
  auto taken = start(pki.cert_pem, pki.key_pem, absl::StrCat("127.0.0.1:", (*first)->port()));
  ASSERT_FALSE(taken.ok());
  EXPECT_TRUE(absl::IsUnavailable(taken.status())) << taken.status();
}

}  // namespace
}  // namespace cleansweep::collector
