#include "collector/web/http_server.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cleansweep::collector::web {
namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

// httplib's default sets SO_REUSEPORT, which would let a second collector
// share the port (and split the browsers) instead of failing to start.
void ExclusiveSocketOptions(socket_t sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

WebRequest ToWebRequest(const httplib::Request& req) {
  WebRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [name, value] : req.params) r.params.emplace(name, value);  // first wins
  return r;
}

void Send(const WebResponse& from, httplib::Response* to) {
  to->status = from.status;
  for (const auto& [name, value] : from.headers) to->set_header(name, value);
  to->set_content(from.body, from.content_type.c_str());
}

}  // namespace

struct HttpServer::Impl {
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  int port = 0;
  bool tls = false;
  ~Impl() {
    if (!thread.joinable()) return;
    // httplib's stop() does nothing until the listening loop has begun, so
    // wait for it to begin (or to have failed) before stopping it.
    while (!server->is_running() && !listen_returned.load()) std::this_thread::yield();
    server->stop();
    thread.join();
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;
int HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->tls; }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              StatusRouter* router) {
  auto impl = std::make_unique<Impl>();
  impl->tls = !options.tls_cert_file.empty();
  if (impl->tls) {
    std::string error;
    auto ssl = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
      if (SSL_CTX_use_certificate_chain_file(&ctx, options.tls_cert_file.c_str()) != 1) {
        error = absl::StrCat("--http-tls-cert ", options.tls_cert_file, ": ", OpenSslError());
        return false;
      }
      if (SSL_CTX_use_PrivateKey_file(&ctx, options.tls_key_file.c_str(), SSL_FILETYPE_PEM) !=
              1 ||
          SSL_CTX_check_private_key(&ctx) != 1) {
        error = absl::StrCat("--http-tls-key ", options.tls_key_file, ": ", OpenSslError(),
                             " (a PEM private key matching --http-tls-cert)");
        return false;
      }
      return true;
    });
    if (!ssl->is_valid()) {
      return absl::InvalidArgumentError(error.empty() ? "cannot set up TLS" : error);
    }
    impl->server = std::move(ssl);
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *impl->server;
  const int threads = options.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_socket_options(ExclusiveSocketOptions);
  s.set_payload_max_length(64 * 1024);
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  httplib::Headers headers = {
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-store"},
  };
  if (impl->tls) headers.emplace("Strict-Transport-Security", "max-age=31536000");
  s.set_default_headers(headers);

  Login* login = options.login;
  s.set_pre_routing_handler([login, router](const httplib::Request& req,
                                            httplib::Response& res) {
    if (login != nullptr &&
        !login->Allows(req.get_header_value("Authorization"), absl::Now())) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"cleansweep status\", charset=\"UTF-8\"");
      res.set_content("login required\n", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      Send(router->Handle(ToWebRequest(req)), &res);  // 405
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.Get(".*", [router](const httplib::Request& req, httplib::Response& res) {
    Send(router->Handle(ToWebRequest(req)), &res);
  });

  if (options.port == 0) {
    impl->port = s.bind_to_any_port(options.host);
    if (impl->port <= 0) impl->port = 0;
  } else if (s.bind_to_port(options.host, options.port)) {
    impl->port = options.port;
  }
  if (impl->port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", options.host, ":", options.port,
        " (address in use or not an address of this machine)"));
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->server->listen_after_bind();
    raw->listen_returned = true;
  });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace cleansweep::collector::web
