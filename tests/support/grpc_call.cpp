#include "grpc_call.hpp"

#include <openssl/ssl.h>

#include "firewarden/firestore/grpc_frame.hpp"
#include "firewarden/net/http2_client.hpp"

namespace firewarden::testing {

namespace net = boost::asio;
namespace ssl = net::ssl;
using transport::HeaderList;

namespace {

std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::string> field(const HeaderList& fields, const std::string& name) {
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  return std::nullopt;
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

net::awaitable<void> run_call(transport::Http2Client& client, const GrpcCallSpec& spec,
                              GrpcResult& result) {
  HeaderList headers{
      {":method", spec.method},
      {":scheme", "http"},
      {":authority", "firewarden.test"},
      {":path", spec.path.empty() ? "/google.firestore.v1.Firestore/" + spec.rpc : spec.path},
      {"te", "trailers"}};
  if (!spec.content_type.empty()) headers.emplace_back("content-type", spec.content_type);
  headers.insert(headers.end(), spec.metadata.begin(), spec.metadata.end());
  auto opened = co_await client.open_stream(std::move(headers), false);
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
  return field(headers, name).value_or("");
}

GrpcResult grpc_call(unsigned short port, const GrpcCallSpec& spec,
                     const std::optional<TlsClientFiles>& tls) {
  GrpcResult result;
  net::io_context io;
  transport::Http2ClientOptions options;
  options.host = "127.0.0.1";
  options.port = std::to_string(port);
  if (tls) options.tls = tls_context(*tls);
  options.max_connections = 1;
  {
    transport::Http2Client client(io.get_executor(), options);
    bool done = false;
    net::co_spawn(io, run_call(client, spec, result), [&](std::exception_ptr failure) {
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
  if (status) result.status = std::stoi(*status);
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

}  // namespace firewarden::testing
