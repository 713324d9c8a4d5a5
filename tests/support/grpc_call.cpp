#include "grpc_call.hpp"

#include <openssl/ssl.h>

#include <future>

#include "firewarden/firestore/grpc_frame.hpp"
#include "firewarden/net/header_fields.hpp"
#include "firewarden/net/http2_client.hpp"

namespace firewarden::testing {

namespace net = boost::asio;
namespace ssl = net::ssl;
using transport::field;
using transport::HeaderList;

namespace {

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::shared_ptr<ssl::context> tls_context(const TlsClientFiles& files) {
  auto context = transport::make_client_tls_context(files.ca_file);
  if (!files.cert_file.empty()) {
    context->use_certificate_chain_file(files.cert_file);
    context->use_private_key_file(files.key_file, ssl::context::pem);
  }
  static const unsigned char kH2[] = {2, 'h', '2'};
  SSL_CTX_set_alpn_protos(context->native_handle(), kH2, sizeof kH2);
  return context;
}

// One connection to 127.0.0.1:port: HTTP/2 prior knowledge, or TLS with
// ALPN h2 (and the client certificate in `tls`).
transport::Http2ClientOptions client_options(unsigned short port,
                                             const std::optional<TlsClientFiles>& tls) {
  transport::Http2ClientOptions options;
  options.host = "127.0.0.1";
  options.port = std::to_string(port);
  if (tls) options.tls = tls_context(*tls);
  options.max_connections = 1;
  return options;
}

// The request's HEADERS as a gRPC client sends them, then `metadata`.
HeaderList request_fields(const std::string& method, const std::string& path, bool tls,
                          const std::string& content_type,
                          const std::vector<std::pair<std::string, std::string>>& metadata) {
  HeaderList fields{{":method", method},
                    {":scheme", tls ? "https" : "http"},
                    {":authority", "firewarden.test"},
                    {":path", path},
                    {"te", "trailers"}};
  if (!content_type.empty()) fields.emplace_back("content-type", content_type);
  fields.insert(fields.end(), metadata.begin(), metadata.end());
  return fields;
}

std::string rpc_path(const std::string& rpc) { return "/google.firestore.v1.Firestore/" + rpc; }

// `fields` are made by the caller: GCC 12 destroys a temporary made inside
// a co_await expression twice.
net::awaitable<void> run_call(transport::Http2Client& client, HeaderList fields,
                              const GrpcCallSpec& spec, GrpcResult& result) {
  auto opened = co_await client.open_stream(std::move(fields), false);
  if (!opened.stream) {
    result.transport_error = "open: " + opened.error.message();
    co_return;
  }
  auto& stream = *opened.stream;
  const std::string body = spec.raw_body ? *spec.raw_body : firestore::grpc_frame(spec.message);
  // A write that fails is no failure yet: the server may answer a refused
  // call before reading its body, then reset the stream with NO_ERROR
  // (RFC 9113 §8.1); the answer still counts.
  co_await stream.write_data(body, true);
  const auto error = co_await stream.read_response_headers();
  if (error) {
    result.transport_error = "request: " + error.message();
    co_return;
  }
  result.headers = stream.headers();
  for (;;) {
    auto read = co_await stream.read(64 * 1024);
    if (read.error) {
      result.transport_error = "response: " + read.error.message();
      co_return;
    }
    result.body += read.data;
    if (read.end) break;
  }
  result.trailers = stream.trailers();
}

}  // namespace

std::string GrpcResult::header(const std::string& name) const {
  return std::string(field(headers, name).value_or(""));
}

GrpcResult grpc_call(unsigned short port, const GrpcCallSpec& spec,
                     const std::optional<TlsClientFiles>& tls) {
  GrpcResult result;
  net::io_context io;
  {
    transport::Http2Client client(io.get_executor(), client_options(port, tls));
    bool done = false;
    auto fields = request_fields(spec.method, spec.path.empty() ? rpc_path(spec.rpc) : spec.path,
                                 tls.has_value(), spec.content_type, spec.metadata);
    net::co_spawn(io, run_call(client, std::move(fields), spec, result),
                  [&](std::exception_ptr failure) {
                    done = true;
                    if (failure) result.transport_error = "exception";
                    client.close_all();
                  });
    io.run_for(spec.timeout);
    if (!done) result.transport_error = "no complete response within the timeout";
  }
  io.run_for(std::chrono::milliseconds(200));  // let the connection close
  if (!result.transport_error.empty()) return result;

  const auto in_headers = field(result.headers, "grpc-status");
  result.trailers_only = in_headers.has_value();
  const auto status = in_headers ? in_headers : field(result.trailers, "grpc-status");
  if (status) result.status = std::stoi(std::string(*status));
  const auto message = result.trailers_only ? field(result.headers, "grpc-message")
                                            : field(result.trailers, "grpc-message");
  result.message = percent_decoded(message.value_or(""));
  firestore::GrpcMessageReader reader(64 << 20);
  reader.feed(result.body);
  std::string next;
  while (reader.next(next) == firestore::GrpcMessageReader::Status::message) {
    result.messages.push_back(std::move(next));
  }
  return result;
}

// ---------------------------------------------------------------------------
// GrpcBidiCall
// ---------------------------------------------------------------------------

struct GrpcBidiCall::State {
  net::io_context io;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<transport::Http2Client> client;
  std::unique_ptr<transport::Http2ClientStream> stream;
  std::thread thread;

  mutable std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::string> messages;
  bool ended = false;
  std::optional<int> status;
  std::string status_message;
  std::string error;

  void finish(std::optional<int> code, std::string message, std::string failure) {
    std::lock_guard lock(mutex);
    ended = true;
    status = code;
    status_message = std::move(message);
    error = std::move(failure);
    changed.notify_all();
  }

  // Runs `operation` on the I/O thread; false when it did not finish in time.
  template <typename Operation>
  bool run(Operation operation, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto done = net::co_spawn(io, std::move(operation), net::use_future);
    return done.wait_for(timeout) == std::future_status::ready;
  }
};

namespace {

std::optional<int> status_in(const HeaderList& fields) {
  const auto status = field(fields, "grpc-status");
  if (!status) return std::nullopt;
  return std::stoi(std::string(*status));
}

net::awaitable<void> read_responses(std::shared_ptr<GrpcBidiCall::State> state) {
  auto& stream = *state->stream;
  if (const auto error = co_await stream.read_response_headers()) {
    co_return state->finish(std::nullopt, "", "response headers: " + error.message());
  }
  if (const auto status = status_in(stream.headers())) {  // trailers-only
    co_return state->finish(
        status, percent_decoded(field(stream.headers(), "grpc-message").value_or("")), "");
  }
  firestore::GrpcMessageReader reader(64 << 20);
  std::string message;
  for (;;) {
    auto read = co_await stream.read(64 * 1024);
    if (read.error) co_return state->finish(std::nullopt, "", "response: " + read.error.message());
    reader.feed(read.data);
    while (reader.next(message) == firestore::GrpcMessageReader::Status::message) {
      std::lock_guard lock(state->mutex);
      state->messages.push_back(std::move(message));
      state->changed.notify_all();
    }
    if (read.end) break;
  }
  const auto& trailers = stream.trailers();
  state->finish(status_in(trailers), percent_decoded(field(trailers, "grpc-message").value_or("")),
                "");
}

}  // namespace

GrpcBidiCall::GrpcBidiCall(unsigned short port, const std::string& rpc,
                           std::vector<std::pair<std::string, std::string>> metadata, bool read,
                           const std::optional<TlsClientFiles>& tls)
    : state_(std::make_shared<State>()) {
  auto& state = *state_;
  state.work.emplace(state.io.get_executor());
  state.client =
      std::make_unique<transport::Http2Client>(state.io.get_executor(), client_options(port, tls));
  state.thread = std::thread([&state] { state.io.run(); });
  auto headers =
      request_fields("POST", rpc_path(rpc), tls.has_value(), "application/grpc", metadata);
  const bool opened = state.run([&]() -> net::awaitable<void> {
    auto open = co_await state.client->open_stream(std::move(headers), false);
    if (!open.stream) co_return state.finish(std::nullopt, "", "open: " + open.error.message());
    state.stream = std::move(open.stream);
    if (read) net::co_spawn(state.io, read_responses(state_), net::detached);
  });
  if (!opened) state.finish(std::nullopt, "", "open: no stream within the wait");
}

GrpcBidiCall::~GrpcBidiCall() {
  auto& state = *state_;
  net::post(state.io, [&state] {
    if (state.stream) state.stream->reset(transport::Http2Error::cancel);
    state.client->close_all();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the reset go out
  state.work.reset();
  state.io.stop();
  state.thread.join();
  state.stream.reset();
  state.client.reset();
}

bool GrpcBidiCall::send_raw(const std::string& bytes) {
  auto& state = *state_;
  if (!state.stream) return false;
  bool written = false;
  const bool finished = state.run([&]() -> net::awaitable<void> {
    written = !co_await state.stream->write_data(bytes, false);
  });
  return finished && written;
}

bool GrpcBidiCall::send(const std::string& message) {
  return send_raw(firestore::grpc_frame(message));
}

bool GrpcBidiCall::half_close() {
  auto& state = *state_;
  if (!state.stream) return false;
  bool written = false;
  const bool finished = state.run(
      [&]() -> net::awaitable<void> { written = !co_await state.stream->write_data("", true); });
  return finished && written;
}

void GrpcBidiCall::reset() {
  auto& state = *state_;
  net::post(state.io, [&state] {
    if (state.stream) state.stream->reset(transport::Http2Error::cancel);
  });
}

std::optional<std::string> GrpcBidiCall::next_message(std::chrono::milliseconds timeout) {
  auto& state = *state_;
  std::unique_lock lock(state.mutex);
  state.changed.wait_for(lock, timeout, [&] { return !state.messages.empty() || state.ended; });
  if (state.messages.empty()) return std::nullopt;
  std::string message = std::move(state.messages.front());
  state.messages.pop_front();
  return message;
}

std::optional<int> GrpcBidiCall::wait_status(std::chrono::milliseconds timeout) {
  auto& state = *state_;
  std::unique_lock lock(state.mutex);
  state.changed.wait_for(lock, timeout, [&] { return state.ended; });
  return state.status;
}

std::string GrpcBidiCall::status_message() const {
  std::lock_guard lock(state_->mutex);
  return state_->status_message;
}

std::string GrpcBidiCall::transport_error() const {
  std::lock_guard lock(state_->mutex);
  return state_->ended && !state_->status ? state_->error : "";
}

}  // namespace firewarden::testing
