#include "firewarden/net/request_reader.hpp"

#include <iterator>
#include <string_view>
#include <tuple>

namespace firewarden::transport {
namespace {

using net::as_tuple;
using net::use_awaitable;

// Framing that Beast's parser tolerates but a proxy in front of other HTTP
// parsers must refuse (request smuggling; RFC 9112 §3.2, §6.1, §6.3). Beast
// reads `Transfer-Encoding: xchunked` or `chunked, identity` as "no body" and
// would take the body for the next request; it merges repeated or listed
// Content-Length values and accepts any number of Host fields.
boost::system::error_code framing_error(const RequestParser& parser) {
  const auto& header = parser.get();
  const auto codings = header.equal_range(http::field::transfer_encoding);
  if (codings.first != codings.second) {
    // Only one field, exactly `chunked`: any other coding is one the proxy
    // would not decode, chunked not last leaves the length unknown (§6.3),
    // and Transfer-Encoding in HTTP/1.0 is faulty framing (§6.1).
    if (std::next(codings.first) != codings.second || header.version() < 11 || !parser.chunked() ||
        !beast::iequals(codings.first->value(), "chunked")) {
      return http::error::bad_transfer_encoding;
    }
  }
  const auto lengths = header.equal_range(http::field::content_length);
  if (lengths.first != lengths.second) {
    const std::string_view value = lengths.first->value();
    if (std::next(lengths.first) != lengths.second || value.empty() ||
        value.find_first_not_of("0123456789") != std::string_view::npos) {
      return http::error::bad_content_length;
    }
  }
  const auto hosts = header.equal_range(http::field::host);
  const auto host_fields = std::distance(hosts.first, hosts.second);
  if (host_fields > 1 || (header.version() >= 11 && host_fields == 0)) {
    return http::error::bad_field;  // exactly one Host in HTTP/1.1 (§3.2)
  }
  return {};
}

// Expect: 100-continue is answered before the body is read; any other
// expectation is refused (only 100-continue exists, RFC 9110 §10.1.1).
net::awaitable<boost::system::error_code> answer_expect(ClientStream& client,
                                                        const RequestParser& parser,
                                                        const RequestLimits& limits) {
  const auto expect = parser.get()[http::field::expect];
  // An HTTP/1.0 client cannot read an interim response, so for it the
  // expectation is ignored (RFC 9110 §10.1.1).
  if (beast::iequals(expect, "100-continue") && parser.get().version() >= 11) {
    http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
    client.tcp().expires_after(limits.header_timeout);
    auto [write_error, written] = co_await client.visit(
        [&](auto& stream) { return http::async_write(stream, go_on, as_tuple(use_awaitable)); });
    co_return write_error;
  }
  if (!expect.empty() && !beast::iequals(expect, "100-continue")) co_return http::error::bad_field;
  co_return boost::system::error_code();
}

}  // namespace

void limit_parser(RequestParser& parser, const RequestLimits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
}

// Reads a request head into `parser`, refusing it (header_limit) once it
// exceeds max_header_bytes in total. Not http::async_read_header: Beast's
// parser consumes complete fields as it goes, and when a read happens to end
// within 3 bytes of a field's end it forgets where its search stopped, so its
// header_limit then counts only the bytes since — a header-field flood whose
// lines lined up with the reads went through whole (corpus
// http/header-count-flood failed under CPU load with 8 KiB reads). Counted
// here across every put instead.
net::awaitable<boost::system::error_code> read_request_head(ClientStream& client,
                                                            beast::flat_buffer& buffer,
                                                            RequestParser& parser,
                                                            const RequestLimits& limits) {
  const std::uint64_t limit = limits.max_header_bytes;
  client.tcp().expires_after(limits.header_timeout);
  std::uint64_t consumed = 0;
  for (;;) {
    boost::system::error_code error = http::error::need_more;
    if (buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), error);
      buffer.consume(used);
      consumed += used;
      if (error != http::error::need_more) co_return error;  // head done, or refused
    }
    if (consumed + buffer.size() >= limit) co_return http::error::header_limit;
    const std::size_t size = beast::read_size(buffer, 65536);
    if (size == 0) co_return http::error::buffer_overflow;
    boost::system::error_code read_error;
    std::size_t received = 0;
    // At once when the bytes are there (after the idle wait they usually
    // are); the asynchronous read waits for them otherwise.
    if (client.try_read_some(buffer.prepare(size), read_error, received) != Want::nothing) {
      std::tie(read_error, received) = co_await client.visit([&](auto& stream) {
        return stream.async_read_some(buffer.prepare(size), as_tuple(use_awaitable));
      });
    }
    buffer.commit(received);
    if (read_error == net::error::eof) {
      if (!parser.got_some()) co_return http::error::end_of_stream;
      boost::system::error_code eof_error;
      parser.put_eof(eof_error);  // partial_message: the head was cut off
      co_return eof_error ? eof_error : http::error::partial_message;
    }
    if (read_error) co_return read_error;
  }
}

net::awaitable<boost::system::error_code> read_request_body(ClientStream& client,
                                                            beast::flat_buffer& buffer,
                                                            RequestParser& parser,
                                                            const RequestLimits& limits) {
  if (auto error = framing_error(parser)) co_return error;
  if (parser.content_length() && *parser.content_length() > limits.max_body_bytes) {
    co_return http::error::body_limit;  // refuse before reading the body
  }
  if (auto error = co_await answer_expect(client, parser, limits)) co_return error;
  // A request without a body (a GET) is complete with its head: no body
  // read (an asynchronous operation that would only post its completion).
  if (parser.is_done()) co_return boost::system::error_code();
  const auto header_fields = std::distance(parser.get().begin(), parser.get().end());
  client.tcp().expires_after(limits.header_timeout);
  auto [error, body_bytes] = co_await client.visit([&](auto& stream) {
    return http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
  });
  if (error) co_return error;
  // Beast merges the fields of a chunked trailer into the header fields,
  // where they would pass for headers (an x-forwarded-client-cert trailer
  // for the mesh's identity header, a Content-Type the head lacked).
  // Firestore clients send no trailers: refused.
  if (std::distance(parser.get().begin(), parser.get().end()) != header_fields) {
    co_return http::error::bad_field;
  }
  co_return boost::system::error_code();
}

}  // namespace firewarden::transport
