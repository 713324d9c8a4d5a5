#include "recording_upstream.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace firewarden::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

struct RecordingUpstream::Impl {
  net::io_context io;
  net::ip::tcp::acceptor acceptor{io};
  int status = 200;
  std::string body;
  mutable std::mutex mutex;
  std::vector<RecordedRequest> requests;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](beast::error_code error, net::ip::tcp::socket socket) {
      if (error) return;
      serve(std::make_shared<beast::tcp_stream>(std::move(socket)));
      accept();
    });
  }

  void serve(std::shared_ptr<beast::tcp_stream> stream) {
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto request = std::make_shared<http::request<http::string_body>>();
    http::async_read(*stream, *buffer, *request,
                     [this, stream, buffer, request](beast::error_code error, std::size_t) {
                       if (error) return;
                       record(*request);
                       auto response = std::make_shared<http::response<http::string_body>>(
                           static_cast<http::status>(status), 11);
                       response->set(http::field::content_type, "application/json");
                       response->set("x-upstream-secret", "must-pass-through");
                       response->set(http::field::connection, "keep-alive, x-hop");
                       response->set("x-hop", "hop-by-hop");
                       response->body() = body;
                       response->prepare_payload();
                       http::async_write(*stream, *response,
                                         [this, stream, response](beast::error_code e, std::size_t) {
                                           if (!e) serve(stream);
                                         });
                     });
  }

  void record(const http::request<http::string_body>& request) {
    RecordedRequest recorded;
    recorded.method = std::string(request.method_string());
    recorded.target = std::string(request.target());
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      recorded.headers.emplace(name, std::string(field.value()));
    }
    recorded.body = request.body();
    std::lock_guard lock(mutex);
    requests.push_back(std::move(recorded));
  }
};

RecordingUpstream::RecordingUpstream(int status, std::string body) : impl_(std::make_unique<Impl>()) {
  impl_->status = status;
  impl_->body = std::move(body);
  const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

RecordingUpstream::~RecordingUpstream() {
  impl_->io.stop();
  impl_->thread.join();
}

std::vector<RecordedRequest> RecordingUpstream::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace firewarden::testing
