// One HTTP/2 connection (http2_session.hpp): the session and its settings,
// the reader, writer and watchdog coroutines, and the operations streams
// ask of the connection (credit, resume, reset, GOAWAY). Just past 350
// lines: the reader's two forms (lent and owned buffer) stay next to the
// writer and watchdog whose turns they share.
#include "http2_session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <vector>

namespace firewarden::transport::h2 {

namespace {

using net::as_tuple;
using net::use_awaitable;
using Clock = std::chrono::steady_clock;

// What the writer gathers from the codec before one socket write.
constexpr std::size_t kWriteBatchBytes = 64 * 1024;
constexpr std::size_t kReadBytes = 16 * 1024;

// The buffer every lent read on this thread uses (Session::read_lent). It
// is in use from try_read to the end of feed(), with no suspension between:
// request handlers may run inside feed() (nghttp2's callbacks start them),
// but another connection's reader never resumes on this call stack (every
// wake-up is posted) and nothing else takes this buffer, so it is never in
// two uses at once; `in_use` asserts that in debug builds. The codec copies
// what it keeps of the bytes fed.
struct LentBuffer {
  std::array<std::uint8_t, kReadBytes> bytes;
  bool in_use = false;
};
LentBuffer& lent_read_buffer() {
  thread_local LentBuffer buffer;
  return buffer;
}

}  // namespace

Session::Session(net::any_io_executor strand, std::unique_ptr<Transport> transport,
                 SessionSettings settings)
    : strand_(std::move(strand)),
      transport_(std::move(transport)),
      settings_(settings),
      resets_(settings.limits.reset_budget),
      control_frames_(settings.limits.control_frame_budget),
      writer_signal_(strand_),
      watchdog_timer_(strand_),
      done_signal_(strand_) {
  nghttp2_session_callbacks* callbacks = new_callbacks();

  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);
  // Bounded by the codec: queued SETTINGS/PING acknowledgements (a peer
  // that floods and never reads), CONTINUATION frames per header block
  // (CVE-2024-28182), and its own reset rate limit, which our budget (that
  // counts only resets of unanswered streams) meets first.
  nghttp2_option_set_max_outbound_ack(option, 1000);
  nghttp2_option_set_max_continuations(option, 8);
  if (settings_.server) {
    nghttp2_option_set_stream_reset_rate_limit(option, 4ULL * settings_.limits.reset_budget + 1000,
                                               settings_.limits.reset_budget + 100);
  }
  const int made = settings_.server
                       ? nghttp2_session_server_new2(&session_, callbacks, this, option)
                       : nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  if (made != 0) throw std::bad_alloc();

  std::vector<nghttp2_settings_entry> entries{
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings_.limits.stream_window_bytes},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  if (settings_.server) {
    entries.push_back(
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings_.limits.max_concurrent_streams});
    entries.push_back(
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                                    settings_.max_header_bytes, UINT32_MAX))});
  }
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries.data(), entries.size());
  // The first wait (for the first request's headers) as the load is now.
  idle_wait_cut_ = header_wait_cut_ = overloaded();
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<std::int32_t>(std::min<std::uint32_t>(
                                            settings_.limits.connection_window_bytes, INT32_MAX)));
}

Session::~Session() { nghttp2_session_del(session_); }

net::awaitable<void> Session::run(std::string received) {
  auto self = shared_from_this();
  auto spawn = [&](net::awaitable<void> loop) {
    ++loops_running_;
    net::co_spawn(strand_, std::move(loop), [self](std::exception_ptr failure) {
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          spdlog::error("HTTP/2 connection failed: {}", e.what());
        }
        self->close();
      }
      if (--self->loops_running_ == 0) notify(self->done_signal_);
    });
  };
  spawn(write_loop());
  spawn(watchdog());
  co_await read_loop(std::move(received));
  while (loops_running_ > 0) co_await wait_on(done_signal_);
  ended_ = true;
  // Streams still open lost their connection: wake whoever waits on them.
  for (auto& [id, stream] : streams_) {
    stream->closed = true;
    notify(stream->read_signal);
    notify(stream->write_signal);
  }
  streams_.clear();
}

net::awaitable<void> Session::read_loop(std::string received) {
  const bool fed = received.empty() ||
                   feed(reinterpret_cast<const std::uint8_t*>(received.data()), received.size());
  std::string().swap(received);  // not held for the connection's life
  // An if, not a conditional awaitable: GCC 12 frees such a temporary
  // twice in a coroutine.
  if (fed && transport_->tries_reads()) {
    co_await read_lent();
  } else if (fed) {
    co_await read_owned();
  }
  reader_done_ = true;
  kick();
}

// A transport that is only read asynchronously (the upstream's): a read
// buffer for the connection's life.
net::awaitable<void> Session::read_owned() {
  std::vector<std::uint8_t> buffer(kReadBytes);
  while (!ended_ && nghttp2_session_want_read(session_) != 0) {
    auto [error, bytes] = co_await transport_->read_some(net::buffer(buffer));
    if (error || !feed(buffer.data(), bytes)) break;
  }
}

// The listener's connections: an idle one waits for readiness holding no
// buffer, then reads into the thread's buffer and feeds the codec before
// anything else runs (nginx's way; a 16 KiB buffer per idle connection
// was most of what one cost, bench/RESULTS.md). Between two reads that
// both found bytes the writer and the other connections get their turn,
// as they did between two asynchronous reads, and so do they when the
// codec has frames to send (acknowledgements a flood queues up).
net::awaitable<void> Session::read_lent() {
  bool read_last = false;
  while (!ended_ && nghttp2_session_want_read(session_) != 0) {
    if (read_last && nghttp2_session_want_write(session_) != 0) {
      co_await net::post(strand_, use_awaitable);
      read_last = false;
      continue;
    }
    boost::system::error_code error;
    std::size_t bytes = 0;
    LentBuffer& lent = lent_read_buffer();  // taken again after every suspension
    assert(!lent.in_use);
    lent.in_use = true;
    const Want want = transport_->try_read(net::buffer(lent.bytes), error, bytes);
    const bool fed = want == Want::nothing && !error && feed(lent.bytes.data(), bytes);
    lent.in_use = false;
    if (want != Want::nothing) {
      if (co_await transport_->wait_ready(want)) break;
      read_last = false;
      continue;
    }
    if (!fed) break;
    if (read_last) {
      co_await net::post(strand_, use_awaitable);
      read_last = false;
    } else {
      read_last = true;
    }
  }
}

// Hands received bytes to the codec; false once the connection must end.
bool Session::feed(const std::uint8_t* data, std::size_t size) {
  const auto used = nghttp2_session_mem_recv(session_, data, size);
  kick();
  if (used < 0) {
    spdlog::debug("HTTP/2: {}", nghttp2_strerror(static_cast<int>(used)));
    // Floods the codec bounds itself: acknowledgements a peer leaves
    // unread, CONTINUATION frames beyond max_continuations, SETTINGS
    // frames with too many entries.
    const bool flood = used == NGHTTP2_ERR_FLOODED || used == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS ||
                       used == NGHTTP2_ERR_TOO_MANY_SETTINGS;
    if (end_reason_ == EndReason::none) {
      end_reason_ = flood ? EndReason::flood : EndReason::protocol_error;
    }
    nghttp2_session_terminate_session(session_,
                                      flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
    return false;
  }
  return true;
}

net::awaitable<void> Session::write_loop() {
  std::string out;
  for (;;) {
    const std::uint8_t* data = nullptr;
    ssize_t n = 0;
    while (out.size() < kWriteBatchBytes && (n = nghttp2_session_mem_send(session_, &data)) > 0) {
      out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
    }
    if (n < 0) {
      if (end_reason_ == EndReason::none) {
        end_reason_ = n == NGHTTP2_ERR_FLOODED ? EndReason::flood : EndReason::protocol_error;
      }
    }
    if (!out.empty()) {
      write_since_ = Clock::now();
      kick_watchdog();
      const auto error = co_await transport_->write(net::buffer(out));
      write_since_.reset();
      out.clear();
      if (error) break;
      continue;
    }
    if (n < 0 || reader_done_ || ended_) break;
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
      break;
    }
    // The batch buffer goes back while the writer waits: an idle connection
    // would otherwise keep its largest batch (up to 64 KiB) for its life.
    std::string().swap(out);
    co_await wait_on(writer_signal_);
  }
  ended_ = true;
  transport_->close();
  kick_watchdog();
}

// The connection's timeouts: the first request's headers and any header
// block begun within header_timeout, no stream for idle_timeout, a write
// taken within write_timeout.
net::awaitable<void> Session::watchdog() {
  while (!ended_) {
    const auto now = Clock::now();
    std::optional<EndReason> expired;
    if (write_since_ && now - *write_since_ >= settings_.write_timeout) {
      expired = EndReason::write_timeout;
    } else if (settings_.header_timeout.count() > 0 && header_block_since_ &&
               now - *header_block_since_ >= header_timeout()) {
      expired = EndReason::header_timeout;
    } else if (streams_.empty() && now - idle_since_ >= first_wait()) {
      expired =
          any_request_ || !settings_.server ? EndReason::idle_timeout : EndReason::header_timeout;
    }
    if (expired) {
      end(*expired, NGHTTP2_NO_ERROR);
      // A peer that does not read gets no GOAWAY either.
      if (*expired == EndReason::write_timeout) close();
      break;
    }
    co_await wait_on(watchdog_timer_, next_deadline());
  }
}

std::chrono::milliseconds Session::first_wait() const {
  return any_request_ || !settings_.server || settings_.header_timeout.count() == 0
             ? idle_timeout()
             : header_timeout();
}

// A cut wait's timeout, never longer than the configured one.
std::chrono::milliseconds Session::header_timeout() const {
  return header_wait_cut_ ? std::min(settings_.header_timeout, settings_.overload_header_timeout)
                          : settings_.header_timeout;
}

std::chrono::milliseconds Session::idle_timeout() const {
  return idle_wait_cut_ ? std::min(settings_.idle_timeout, settings_.overload_idle_timeout)
                        : settings_.idle_timeout;
}

void Session::cut_timeouts() {
  idle_wait_cut_ = true;
  header_wait_cut_ = true;
  kick_watchdog();
}

Clock::time_point Session::next_deadline() const {
  auto deadline = Clock::time_point::max();
  if (write_since_) deadline = std::min(deadline, *write_since_ + settings_.write_timeout);
  if (settings_.header_timeout.count() > 0 && header_block_since_) {
    deadline = std::min(deadline, *header_block_since_ + header_timeout());
  }
  if (streams_.empty()) deadline = std::min(deadline, idle_since_ + first_wait());
  return deadline;
}

void Session::kick() { notify(writer_signal_); }
void Session::kick_watchdog() { notify(watchdog_timer_); }

// Ends the connection: GOAWAY with `code` (after which the codec wants
// nothing more, so the writer sends it and closes).
void Session::end(EndReason reason, std::uint32_t goaway_code) {
  if (end_reason_ == EndReason::none) end_reason_ = reason;
  nghttp2_session_terminate_session(session_, goaway_code);
  kick();
}

void Session::shutdown() {
  if (draining_ || ended_) return;
  draining_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  kick();
}

void Session::close() {
  ended_ = true;
  transport_->close();
  kick();
  kick_watchdog();
}

bool Session::accepts_streams() const {
  // Client: at most the peer's limit and our own (the connection window
  // is sized for ours).
  const std::uint32_t limit = std::min(
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS),
      settings_.limits.max_concurrent_streams);
  return !ended_ && !draining_ && !goaway_received_ &&
         nghttp2_session_check_request_allowed(session_) != 0 && streams_.size() < limit;
}

void Session::resume(StreamState& stream) {
  if (stream.deferred && !stream.closed) {
    stream.deferred = false;
    nghttp2_session_resume_data(session_, stream.id);
  }
  kick();
}

void Session::consume(StreamState& stream, std::size_t bytes) {
  if (ended_ || bytes == 0) return;
  // A closed stream's bytes still count against the connection's window.
  if (stream.closed || nghttp2_session_consume(session_, stream.id, bytes) != 0) {
    nghttp2_session_consume_connection(session_, bytes);
  }
  kick();
}

void Session::reset(StreamState& stream, Http2Error error) {
  if (stream.closed || ended_) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id,
                            static_cast<std::uint32_t>(error));
  kick();
}

void Session::release(StreamState& stream) {
  stream.discard_inbound = true;
  consume(stream, stream.inbound.size());
  stream.inbound.clear();
}

}  // namespace firewarden::transport::h2
