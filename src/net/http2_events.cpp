// The codec's side of an HTTP/2 connection (http2_session.hpp): nghttp2's
// callbacks turn frames into stream events (headers complete, DATA, end,
// reset, close), the flood and rapid-reset budgets are charged per frame,
// and streams' header fields and bodies are handed to the codec.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "http2_session.hpp"

namespace firewarden::transport::h2 {

namespace {

using Clock = std::chrono::steady_clock;

// RFC 7541 §4.1: an entry's size is its name and value plus 32.
constexpr std::uint64_t kHeaderEntryOverhead = 32;

std::vector<nghttp2_nv> name_values(const HeaderList& headers) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nva;
}

StreamState* stream_of(nghttp2_session* session, std::int32_t id) {
  return static_cast<StreamState*>(nghttp2_session_get_stream_user_data(session, id));
}

// The body of one stream, handed to the codec as its window allows. Defers
// while write_data() has supplied nothing (resumed by Session::resume).
ssize_t read_body(nghttp2_session* session, std::int32_t /*id*/, std::uint8_t* buffer,
                  std::size_t length, std::uint32_t* flags, nghttp2_data_source* source,
                  void* /*user*/) {
  auto& stream = *static_cast<StreamState*>(source->ptr);
  const std::size_t n = std::min(length, stream.outbound.size());
  std::memcpy(buffer, stream.outbound.data(), n);
  stream.outbound.erase(0, n);
  if (stream.outbound.empty()) {
    notify(stream.write_signal);
    if (!stream.outbound_end) {
      if (n > 0) return static_cast<ssize_t>(n);
      stream.deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    stream.body_open = false;
    if (stream.pending_trailers) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      const auto nva = name_values(*stream.pending_trailers);
      if (nghttp2_submit_trailer(session, stream.id, nva.data(), nva.size()) != 0) {
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      }
    }
  }
  return static_cast<ssize_t>(n);
}

}  // namespace

FrameBudget::FrameBudget(std::uint32_t burst)
    : tokens_(burst), burst_(burst), last_(Clock::now()) {}

bool FrameBudget::take() {
  const auto now = Clock::now();
  const double seconds = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  tokens_ = std::min(burst_, tokens_ + seconds * burst_ / 10);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

// nghttp2's callbacks: frames become stream events. Each returns 0 or an
// nghttp2 error; none throws (they run inside nghttp2_session_mem_recv).
struct Session::Callbacks {
  static Session& self(void* user) { return *static_cast<Session*>(user); }

  // Every frame header, CONTINUATION included, before its payload: the
  // flood budgets are charged here.
  static int begin_frame(nghttp2_session* /*s*/, const nghttp2_frame_hd* hd, void* user) {
    auto& session = self(user);
    bool control = false;
    switch (hd->type) {
      case NGHTTP2_SETTINGS:
      case NGHTTP2_PING:
        control = (hd->flags & NGHTTP2_FLAG_ACK) == 0;
        break;
      case NGHTTP2_PRIORITY:
        control = true;
        break;
      case NGHTTP2_WINDOW_UPDATE:
        // A client that reads our DATA opens its windows for it: at most
        // one WINDOW_UPDATE for the stream and one for the connection per
        // DATA frame we sent are free. Any beyond (a flood of tiny
        // increments, each costing us a frame's work) spend the budget.
        control = session.window_update_credit_ == 0;
        if (!control) --session.window_update_credit_;
        break;
      case NGHTTP2_DATA:
        // An empty DATA frame that does not end its stream carries nothing.
        control = hd->length == 0 && (hd->flags & NGHTTP2_FLAG_END_STREAM) == 0;
        break;
      case NGHTTP2_HEADERS:
      case NGHTTP2_CONTINUATION:
        control = hd->length == 0 && (hd->flags & NGHTTP2_FLAG_END_HEADERS) == 0;
        if ((hd->flags & NGHTTP2_FLAG_END_HEADERS) == 0) {
          if (!session.header_block_since_) {
            session.header_block_since_ = Clock::now();
            session.header_wait_cut_ = session.overloaded();
          }
          session.kick_watchdog();
        } else {
          session.header_block_since_.reset();
        }
        break;
      default:
        break;
    }
    if (control && session.settings_.server && !session.control_frames_.take()) {
      session.end(EndReason::flood, NGHTTP2_ENHANCE_YOUR_CALM);
    }
    return 0;
  }

  static int begin_headers(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
    auto& session = self(user);
    if (!session.settings_.server || frame->hd.type != NGHTTP2_HEADERS ||
        frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    auto stream = std::make_shared<StreamState>(session.strand_);
    stream->id = frame->hd.stream_id;
    session.streams_.emplace(stream->id, stream);
    nghttp2_session_set_stream_user_data(s, stream->id, stream.get());
    return 0;
  }

  static int header(nghttp2_session* s, const nghttp2_frame* frame, const std::uint8_t* name,
                    std::size_t name_length, const std::uint8_t* value, std::size_t value_length,
                    std::uint8_t /*flags*/, void* user) {
    auto& session = self(user);
    StreamState* stream = stream_of(s, frame->hd.stream_id);
    if (stream == nullptr) return 0;
    // Counted decoded, so a small HPACK block that expands (an HPACK bomb)
    // is held to the limit too; once over, nothing more is kept.
    stream->header_bytes += name_length + value_length + kHeaderEntryOverhead;
    if (stream->header_bytes > session.settings_.max_header_bytes) {
      stream->header_overflow = true;
      stream->headers.clear();
      stream->trailers.clear();
      return 0;
    }
    if (stream->header_overflow) return 0;
    auto& list = stream->headers_done ? stream->trailers : stream->headers;
    list.emplace_back(std::string(reinterpret_cast<const char*>(name), name_length),
                      std::string(reinterpret_cast<const char*>(value), value_length));
    return 0;
  }

  static int frame_recv(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
    auto& session = self(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      session.goaway_received_ = true;
      return 0;
    }
    StreamState* stream = stream_of(s, frame->hd.stream_id);
    if (stream == nullptr) return 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        if (!stream->headers_done) session.headers_complete(*stream);
        break;
      case NGHTTP2_RST_STREAM:
        // Rapid reset (CVE-2023-44487): a reset of a stream we still work
        // on made us start work the client never waits for.
        if (session.settings_.server && !stream->answered && !session.resets_.take()) {
          session.end(EndReason::rapid_reset, NGHTTP2_ENHANCE_YOUR_CALM);
        }
        break;
      default:
        break;
    }
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0 &&
        (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA)) {
      stream->inbound_end = true;
      notify(stream->read_signal);
    }
    return 0;
  }

  static int data_chunk(nghttp2_session* s, std::uint8_t /*flags*/, std::int32_t id,
                        const std::uint8_t* data, std::size_t length, void* /*user*/) {
    StreamState* stream = stream_of(s, id);
    if (stream == nullptr || stream->discard_inbound) {
      if (nghttp2_session_consume(s, id, length) != 0) {
        nghttp2_session_consume_connection(s, length);
      }
      return 0;
    }
    stream->inbound.append(reinterpret_cast<const char*>(data), length);
    notify(stream->read_signal);
    return 0;
  }

  static int stream_close(nghttp2_session* /*s*/, std::int32_t id, std::uint32_t code, void* user) {
    self(user).stream_closed(id, code);
    return 0;
  }

  static int frame_send(nghttp2_session* /*s*/, const nghttp2_frame* frame, void* user) {
    auto& session = self(user);
    if (frame->hd.type == NGHTTP2_DATA) session.window_update_credit_ += 2;
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR &&
        session.end_reason_ == EndReason::none) {
      // The codec's own verdicts (a protocol error, a flood it bounds).
      session.end_reason_ = frame->goaway.error_code == NGHTTP2_ENHANCE_YOUR_CALM
                                ? EndReason::flood
                                : EndReason::protocol_error;
    }
    return 0;
  }
};

nghttp2_session_callbacks* Session::new_callbacks() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, &Callbacks::begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Callbacks::begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::frame_send);
  return callbacks;
}

void Session::headers_complete(StreamState& stream) {
  if (!settings_.server) {
    // A 1xx response is interim (RFC 9110 §15.2): the final one follows.
    const bool interim = !stream.headers.empty() && stream.headers.front().first == ":status" &&
                         stream.headers.front().second.starts_with('1');
    if (interim) {
      stream.headers.clear();
      stream.header_bytes = 0;
      return;
    }
  }
  stream.headers_done = true;
  notify(stream.read_signal);
  if (!settings_.server) return;
  any_request_ = true;
  if (stream.header_overflow) {
    // RFC 6585 §5, as for HTTP/1.1: the request is refused unread.
    stream.discard_inbound = true;
    submit_response(stream, {{":status", "431"}}, true);
    if (on_header_overflow) on_header_overflow();
    return;
  }
  if (on_request) on_request(streams_.at(stream.id));
}

std::shared_ptr<StreamState> Session::submit_request(const HeaderList& headers, bool end_stream,
                                                     boost::system::error_code& error) {
  auto stream = std::make_shared<StreamState>(strand_);
  const auto nva = name_values(headers);
  nghttp2_data_provider provider{};
  attach_provider(*stream, provider);
  const std::int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                                 end_stream ? nullptr : &provider, stream.get());
  if (id < 0) {
    error = net::error::operation_not_supported;
    return nullptr;
  }
  stream->id = id;
  stream->body_open = !end_stream;
  stream->outbound_end = end_stream;
  streams_.emplace(id, stream);
  kick();
  return stream;
}

void Session::attach_provider(StreamState& stream, nghttp2_data_provider& provider) {
  provider.source.ptr = &stream;
  provider.read_callback = &read_body;
}

boost::system::error_code Session::submit_response(StreamState& stream, const HeaderList& headers,
                                                   bool end_stream) {
  if (stream.closed || stream.answered) return net::error::operation_not_supported;
  const auto nva = name_values(headers);
  nghttp2_data_provider provider{};
  attach_provider(stream, provider);
  if (nghttp2_submit_response(session_, stream.id, nva.data(), nva.size(),
                              end_stream ? nullptr : &provider) != 0) {
    return net::error::operation_not_supported;
  }
  stream.answered = true;
  stream.body_open = !end_stream;
  stream.outbound_end = end_stream;
  kick();
  return {};
}

void Session::stream_closed(std::int32_t id, std::uint32_t code) {
  auto found = streams_.find(id);
  if (found == streams_.end()) return;
  auto stream = found->second;
  streams_.erase(found);
  nghttp2_session_set_stream_user_data(session_, id, nullptr);
  stream->closed = true;
  stream->close_code = code;
  stream->body_open = false;
  if (code != NGHTTP2_NO_ERROR && !stream->inbound.empty()) {
    // A reset stream's unread bytes will never be read.
    nghttp2_session_consume_connection(session_, stream->inbound.size());
    stream->inbound.clear();
  }
  notify(stream->read_signal);
  notify(stream->write_signal);
  if (on_stream_closed) on_stream_closed();
  if (streams_.empty()) {
    idle_since_ = Clock::now();
    idle_wait_cut_ = overloaded();
    kick_watchdog();
  }
}

}  // namespace firewarden::transport::h2
