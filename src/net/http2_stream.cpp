// The stream object handed to the code above the transport: each
// operation runs on its connection's strand (re-running itself there when
// called from elsewhere: "Running on the strand" in http2_session.hpp), so
// it may be awaited from any executor, and resumes the caller on its own.
#include "http2_session.hpp"

namespace firewarden::transport::h2 {

namespace {

using net::use_awaitable;
using Clock = std::chrono::steady_clock;

// What an operation on a stream that is gone reports.
boost::system::error_code closed_error(const StreamState& stream) {
  return stream.close_code != 0 ? boost::system::error_code(net::error::connection_reset)
                                : boost::system::error_code(net::error::not_connected);
}

}  // namespace

StreamHandle::StreamHandle(std::shared_ptr<Session> session, std::shared_ptr<StreamState> state)
    : session_(std::move(session)), state_(std::move(state)) {}

StreamHandle::~StreamHandle() {
  net::post(session_->strand(), [session = session_, state = state_] { session->release(*state); });
}

bool StreamHandle::runs_on_strand(const net::any_io_executor& current) const {
  return current == session_->strand();
}

net::awaitable<Http2Read> StreamHandle::read(std::size_t max) {
  const net::any_io_executor current = co_await net::this_coro::executor;
  if (!runs_on_strand(current)) {
    co_return co_await net::co_spawn(session_->strand(), read(max), use_awaitable);
  }
  auto& s = *state_;
  for (;;) {
    if (!s.inbound.empty()) {
      const std::size_t n = std::min(std::max<std::size_t>(max, 1), s.inbound.size());
      Http2Read result{{}, s.inbound.substr(0, n), false};
      s.inbound.erase(0, n);
      session_->consume(s, n);
      result.end = s.inbound.empty() && s.inbound_end;
      co_return result;
    }
    if (s.inbound_end) co_return Http2Read{{}, {}, true};
    if (s.closed) co_return Http2Read{closed_error(s), {}, false};
    co_await wait_on(s.read_signal);
  }
}

net::awaitable<boost::system::error_code> StreamHandle::write_headers(HeaderList headers,
                                                                      bool end_stream) {
  const net::any_io_executor current = co_await net::this_coro::executor;
  if (!runs_on_strand(current)) {
    co_return co_await net::co_spawn(session_->strand(),
                                     write_headers(std::move(headers), end_stream), use_awaitable);
  }
  co_return session_->submit_response(*state_, headers, end_stream);
}

// Waits until the codec took every byte handed over (the peer's window
// let it), or the stream closed, or write_timeout passed: then the stream
// is reset, so a peer that never opens its window holds nothing for long.
// Runs on the strand (called by write_data and write_trailers).
net::awaitable<boost::system::error_code> StreamHandle::wait_written() {
  auto& s = *state_;
  const auto deadline = Clock::now() + session_->write_timeout();
  while (!s.outbound.empty() || (s.body_open && s.outbound_end)) {
    if (s.closed) co_return closed_error(s);
    if (Clock::now() >= deadline) {
      session_->reset(s, Http2Error::cancel);
      co_return beast::error::timeout;
    }
    co_await wait_on(s.write_signal, deadline);
  }
  co_return s.closed&& s.close_code != 0 ? closed_error(s) : boost::system::error_code{};
}

net::awaitable<boost::system::error_code> StreamHandle::write_data(std::string_view data,
                                                                   bool end_stream) {
  const net::any_io_executor current = co_await net::this_coro::executor;
  if (!runs_on_strand(current)) {
    co_return co_await net::co_spawn(session_->strand(), write_data(data, end_stream),
                                     use_awaitable);
  }
  auto& s = *state_;
  if (s.closed) co_return closed_error(s);
  if (!s.body_open || s.outbound_end) co_return net::error::operation_not_supported;
  s.outbound.append(data);
  s.outbound_end = end_stream;
  session_->resume(s);
  co_return co_await wait_written();
}

net::awaitable<boost::system::error_code> StreamHandle::write_trailers(HeaderList trailers,
                                                                       std::string_view last_data) {
  const net::any_io_executor current = co_await net::this_coro::executor;
  if (!runs_on_strand(current)) {
    co_return co_await net::co_spawn(session_->strand(),
                                     write_trailers(std::move(trailers), last_data), use_awaitable);
  }
  auto& s = *state_;
  if (s.closed) co_return closed_error(s);
  if (!s.body_open || s.outbound_end) co_return net::error::operation_not_supported;
  s.outbound.append(last_data);  // read_body sends it, then the trailers
  s.pending_trailers = std::move(trailers);
  s.outbound_end = true;
  session_->resume(s);
  co_return co_await wait_written();
}

void StreamHandle::reset(Http2Error error) {
  net::dispatch(session_->strand(),
                [session = session_, state = state_, error] { session->reset(*state, error); });
}

net::awaitable<boost::system::error_code> StreamHandle::read_response_headers() {
  const net::any_io_executor current = co_await net::this_coro::executor;
  if (!runs_on_strand(current)) {
    co_return co_await net::co_spawn(session_->strand(), read_response_headers(), use_awaitable);
  }
  auto& s = *state_;
  while (!s.headers_done) {
    if (s.closed) co_return closed_error(s);
    co_await wait_on(s.read_signal);
  }
  co_return boost::system::error_code{};
}

bool StreamHandle::finished() const {
  const auto& s = *state_;
  return s.closed || (s.answered && s.outbound_end && !s.body_open);
}

}  // namespace firewarden::transport::h2
