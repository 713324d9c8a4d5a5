#pragma once
// A data-plane Server with HTTP/2 on, one io_context run by two threads (a
// strand per connection: the listener without workers), and a small
// handler: what the HTTP/2 tests talk to.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "../../support/self_signed.hpp"
#include "firewarden/net/header_fields.hpp"
#include "firewarden/net/server.hpp"
#include "firewarden/net/server_tls.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"

namespace firewarden::transport::test {

// Built outside the coroutines: GCC 12 cannot copy a string literal's
// array into a braced initializer inside a coroutine.
inline HeaderList ok_fields() { return {{":status", "200"}, {"content-type", "text/plain"}}; }

// /echo: the body back, its second half with the trailers; /big?N: N bytes; /silent: no
// answer; /slow: answers after 300 ms; …/Listen: response headers, then
// the stream is held open, its messages read and dropped, until the peer
// ends or resets it (a gRPC upstream's long stream). HTTP/1.1: "http1 ok".
class TestHandler final : public RequestHandler {
 public:
  std::atomic<int> streams{0};
  std::atomic<int> http1_requests{0};
  std::atomic<int> big_write_errors{0};
  std::atomic<std::size_t> big_bytes_written{0};

  // The request headers of the latest stream (what a proxy sent upstream).
  HeaderList last_headers() const {
    std::lock_guard lock(headers_mutex_);
    return last_headers_;
  }

  net::awaitable<bool> handle(Connection&, Request& request, ClientStream& client) override {
    ++http1_requests;
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.body() = "http1 ok";
    response.prepare_payload();
    auto [error, bytes] = co_await client.visit([&](auto& stream) {
      return http::async_write(stream, response, net::as_tuple(net::use_awaitable));
    });
    co_return !error && request.keep_alive();
  }

  net::awaitable<void> handle_stream(Connection&, Http2Stream& stream) override {
    {
      std::lock_guard lock(headers_mutex_);
      last_headers_ = stream.headers();
    }
    ++streams;
    const std::string path(field(stream.headers(), ":path").value_or(""));
    if (path == "/echo") {
      co_await echo(stream);
    } else if (path.starts_with("/big?")) {
      co_await big(stream, std::stoul(path.substr(5)));
    } else if (path.ends_with("/Listen")) {
      co_await hold(stream);
    } else if (path == "/slow") {
      net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(300));
      co_await pause.async_wait(net::use_awaitable);
      co_await stream.write_headers(ok_fields(), false);
      co_await stream.write_data(std::string_view("slow"), true);
    }
    // /silent: no answer
  }

 private:
  mutable std::mutex headers_mutex_;
  HeaderList last_headers_;

  static net::awaitable<void> echo(Http2Stream& stream) {
    std::string body;
    for (;;) {
      auto read = co_await stream.read(4096);
      if (read.error) co_return;
      body += read.data;
      if (read.end) break;
    }
    co_await stream.write_headers(ok_fields(), false);
    // The first half as DATA, the second handed over with the trailers
    // (how a gRPC relay sends a response's last bytes with its status).
    const std::string_view all(body);
    co_await stream.write_data(all.substr(0, all.size() / 2), false);
    HeaderList trailers;
    trailers.emplace_back("x-echo-bytes", std::to_string(body.size()));
    co_await stream.write_trailers(std::move(trailers), all.substr(all.size() / 2));
  }

  static net::awaitable<void> hold(Http2Stream& stream) {
    HeaderList head{{":status", "200"}, {"content-type", "application/grpc"}};
    co_await stream.write_headers(std::move(head), false);
    for (;;) {
      auto read = co_await stream.read(4096);
      if (read.error || read.end) co_return;
    }
  }

  net::awaitable<void> big(Http2Stream& stream, std::size_t size) {
    co_await stream.write_headers(ok_fields(), false);
    const std::string chunk(16 * 1024, 'x');
    while (size > 0) {
      const std::size_t n = std::min(size, chunk.size());
      size -= n;
      if (auto error =
              co_await stream.write_data(std::string_view(chunk).substr(0, n), size == 0)) {
        ++big_write_errors;
        co_return;
      }
      big_bytes_written += n;
    }
  }
};

// The certificate of both ends (its own CA, with a SPIFFE ID).
inline const testing::SelfSigned& tls_identity() {
  static const auto made =
      testing::make_self_signed("IP:127.0.0.1, URI:spiffe://test.local/ns/a/sa/b");
  return made;
}

inline std::string temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("firewarden-http2-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << content;
  return path.string();
}

inline std::string cert_file() {
  static const std::string path = temp_file("cert.pem", tls_identity().cert_pem);
  return path;
}
inline std::string key_file() {
  static const std::string path = temp_file("key.pem", tls_identity().key_pem);
  return path;
}

struct ServerSetup {
  bool tls = false;
  bool require_client_certificate = true;  // tls: mTLS, as the data-plane listener
  bool http2 = true;
  Http2Limits limits;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::uint64_t max_header_bytes = 16 * 1024;
  std::uint32_t max_connections = 10000;
  unsigned overload_threshold_percent = 80;
};

class RunningServer {
 public:
  explicit RunningServer(const ServerSetup& setup = {}) {
    ServerOptions options;
    options.address = net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0);
    options.header_timeout = setup.header_timeout;
    options.idle_timeout = setup.idle_timeout;
    options.max_header_bytes = setup.max_header_bytes;
    options.max_connections = setup.max_connections;
    options.overload_threshold_percent = setup.overload_threshold_percent;
    if (setup.http2) options.http2 = setup.limits;
    if (setup.tls) {
      ServerTlsFiles files{
          cert_file(), key_file(), {{"test.local", "test", cert_file()}}, [](X509*) {
            return TrustDomainClaim{"test.local", ""};
          }};
      auto made = make_server_tls_context(files);
      REQUIRE(std::holds_alternative<ServerTlsContext>(made));
      auto context = std::get<ServerTlsContext>(made).context;
      // A server of the kind firewarden connects to upstream (Google asks
      // for no client certificate).
      if (!setup.require_client_certificate) {
        SSL_CTX_set_verify(context->native_handle(), SSL_VERIFY_NONE, nullptr);
      }
      options.tls_context = [context] { return context; };
    }
    server_.emplace(io_, options, handler, metrics_);
    server_->start();
    for (auto& thread : threads_) thread = std::thread([this] { io_.run(); });
  }

  ~RunningServer() {
    server_->stop_accepting();
    server_->close_all();
    for (int i = 0; i < 200 && server_->active_connections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }

  std::uint16_t port() const { return server_->local_endpoint().port(); }
  Server& server() { return *server_; }
  std::uint64_t closed(std::string_view reason) {
    return metrics_.connections_closed_total.with({reason}).value();
  }

  TestHandler handler;

 private:
  net::io_context io_{2};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_{
      net::make_work_guard(io_)};
  telemetry::Registry registry_;
  telemetry::MetricCatalogue metrics_{registry_};
  std::optional<Server> server_;
  std::thread threads_[2];
};

// Runs a shell command; its standard output.
inline std::string run(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char chunk[4096];
    std::size_t got = 0;
    while ((got = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) out.append(chunk, got);
    ::pclose(pipe);
  }
  return out;
}

}  // namespace firewarden::transport::test
