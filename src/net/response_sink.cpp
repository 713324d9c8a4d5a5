// The two response sinks: HTTP/1.1 framing written straight to the client's
// socket, and an HTTP/2 stream's HEADERS and DATA.
#include "firewarden/net/response_sink.hpp"

#include <charconv>

#include "firewarden/net/http2_request.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::transport {

using net::as_tuple;
using net::use_awaitable;

namespace {

// A chunk of a chunked body (RFC 9112 §7.1): size in hex, CRLF, the bytes,
// CRLF; the last chunk is "0" CRLF CRLF (no trailer fields).
void append_chunk(std::string& out, net::const_buffer data, bool last) {
  if (data.size() > 0) {
    char size[20];
    const auto end = std::to_chars(size, size + sizeof size, data.size(), 16).ptr;
    out.append(size, end).append("\r\n");
    out.append(static_cast<const char*>(data.data()), data.size()).append("\r\n");
  }
  if (last) out.append("0\r\n\r\n");
}

}  // namespace

// Names and values come from Beast's parser of upstream's response
// (tokens; no CR, LF or NUL in values) or are ours.
void append_response_head(std::string& out, const http::response_header<>& head) {
  const unsigned version = head.version();
  char code[8];
  const auto code_end = std::to_chars(code, code + sizeof code, head.result_int()).ptr;
  out.append("HTTP/");
  out.push_back(static_cast<char>('0' + version / 10));
  out.push_back('.');
  out.push_back(static_cast<char>('0' + version % 10));
  out.push_back(' ');
  out.append(code, code_end).append(" ").append(head.reason()).append("\r\n");
  for (const auto& field : head) {
    out.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
  }
  out.append("\r\n");
}

net::awaitable<boost::system::error_code> ResponseSink::write_response(
    http::response<http::string_body>& response, bool keep_open) {
  auto error = co_await write_head(response.base(), response.body().size(), keep_open);
  if (!error) error = co_await write_body(net::buffer(response.body()), true);
  co_return error;
}

net::awaitable<boost::system::error_code> Http1ResponseSink::write_head(
    http::response_header<>& head, std::optional<std::uint64_t> length, bool keep_open) {
  // The length stays when known; otherwise chunked for HTTP/1.1, and for an
  // HTTP/1.0 client the body ends with the connection.
  keep_alive_ = keep_alive_ && keep_open;
  head.version(version_);
  head.erase(http::field::transfer_encoding);
  if (length) {
    head.set(http::field::content_length, std::to_string(*length));
  } else if (version_ >= 11) {
    head.erase(http::field::content_length);
    head.set(http::field::transfer_encoding, "chunked");
    chunked_ = true;
  } else {
    keep_alive_ = false;
  }
  // Persistence is HTTP/1.1's default and HTTP/1.0's exception (RFC 9112
  // §9.3).
  head.erase(http::field::connection);
  if (version_ >= 11 && !keep_alive_) head.set(http::field::connection, "close");
  if (version_ < 11 && keep_alive_) head.set(http::field::connection, "keep-alive");
  pending_.reserve(512);
  append_response_head(pending_, head);
  co_return boost::system::error_code();
}

net::awaitable<boost::system::error_code> Http1ResponseSink::write_body(net::const_buffer data,
                                                                        bool last) {
  // The common sized body goes out as it is; only the head (once) or chunk
  // framing makes a copy.
  if (!chunked_ && pending_.empty()) co_return co_await write(data);
  std::string out = std::move(pending_);
  pending_.clear();
  if (chunked_) {
    append_chunk(out, data, last);
  } else {
    out.append(static_cast<const char*>(data.data()), data.size());
  }
  co_return co_await write(net::buffer(out));
}

// Writes `data` to the client: at once when the socket takes it all (the
// common case: no asynchronous operation), the rest through async_write,
// which waits for the socket under the write timeout. For TLS a write
// OpenSSL could not finish is retried with the same remaining bytes.
net::awaitable<boost::system::error_code> Http1ResponseSink::write(net::const_buffer data) {
  client_.tcp().expires_after(write_timeout_);
  boost::system::error_code error;
  while (data.size() > 0) {
    std::size_t written = 0;
    if (client_.try_write_some(data, error, written) != Want::nothing) break;
    if (error) break;
    data += written;
  }
  if (!error && data.size() > 0) {
    auto [write_error, written] = co_await client_.visit(
        [&](auto& stream) { return net::async_write(stream, data, as_tuple(use_awaitable)); });
    error = write_error;
  }
  if (error) keep_alive_ = false;
  co_return error;
}

Http2ResponseSink::Http2ResponseSink(Http2Stream& stream, const net::any_io_executor& executor,
                                     std::chrono::milliseconds write_timeout)
    : stream_(stream),
      deadline_(executor, [&stream] { stream.reset(Http2Error::cancel); }),
      write_timeout_(write_timeout) {}

net::awaitable<boost::system::error_code> Http2ResponseSink::write_head(
    http::response_header<>& head, std::optional<std::uint64_t> length, bool /*keep_open*/) {
  HeaderList fields;
  fields.emplace_back(":status", std::to_string(head.result_int()));
  for (const auto& field : head) {
    std::string name = text::lowercase(field.name_string());  // RFC 9113 §8.2.1
    if (name == "content-length" || is_connection_specific(name, field.value())) continue;
    fields.emplace_back(std::move(name), std::string(field.value()));
  }
  if (length) fields.emplace_back("content-length", std::to_string(*length));
  pending_ = std::move(fields);
  co_return boost::system::error_code();
}

net::awaitable<boost::system::error_code> Http2ResponseSink::write_body(net::const_buffer data,
                                                                        bool last) {
  deadline_.expires_after(write_timeout_);
  boost::system::error_code error;
  const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
  if (pending_) {
    // An empty body ends with the HEADERS frame itself.
    const bool ends_here = last && bytes.empty();
    error = co_await stream_.write_headers(std::move(*pending_), ends_here);
    pending_.reset();
    if (ends_here || error) {
      deadline_.expires_never();
      co_return error;
    }
  }
  if (!bytes.empty() || last) error = co_await stream_.write_data(bytes, last);
  deadline_.expires_never();
  co_return error;
}

}  // namespace firewarden::transport
