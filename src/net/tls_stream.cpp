#include "firewarden/net/tls_stream.hpp"

#include <openssl/err.h>

#include <array>
#include <cerrno>
#include <new>

namespace firewarden::transport {
namespace {

// What an SSL_* call's result means for the operation, as Asio's ssl::stream
// reports it (so handshake_failure_reason and is_disconnect see the same
// error codes): library errors in the ssl category, a vanished peer as
// stream_truncated, a clean close_notify as eof.
Want outcome(SSL* ssl, int result, boost::system::error_code& error) {
  switch (SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
      return Want::read;
    case SSL_ERROR_WANT_WRITE:
      return Want::write;
    case SSL_ERROR_ZERO_RETURN:
      error = net::error::eof;
      break;
    case SSL_ERROR_SYSCALL: {
      const int system_error = errno;
      if (ERR_peek_error() == 0 && system_error != 0) {
        error = boost::system::error_code(system_error, boost::system::system_category());
      } else {
        error = ssl::error::stream_truncated;
      }
      ERR_clear_error();
      break;
    }
    default: {
      const unsigned long code = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        error = ssl::error::stream_truncated;
      } else {
        error = boost::system::error_code(static_cast<int>(code), net::error::get_ssl_category());
      }
      break;
    }
  }
  return Want::nothing;
}

// SSL_get_error needs an empty error queue before each SSL_* call. Looking
// is cheap; ERR_clear_error itself walks the whole queue (~840
// instructions, twice per proxied request) even when it is empty.
void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

TlsStream::TlsStream(ClientSocket& socket, SSL_CTX* ctx) : socket_(socket), ssl_(SSL_new(ctx)) {
  if (ssl_ == nullptr) throw std::bad_alloc();
  SSL_set_accept_state(ssl_);
  // The socket BIO does not close the descriptor: ClientSocket owns it.
  SSL_set_fd(ssl_, static_cast<int>(socket_.socket().native_handle()));
  SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

bool TlsStream::has_pending() const { return SSL_has_pending(ssl_) == 1; }

char* TlsStream::staging_area() {
  thread_local std::array<char, kStagingBytes> staging;
  return staging.data();
}

Want TlsStream::handshake(boost::system::error_code& error) {
  clear_errors();
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    error = {};
    return Want::nothing;
  }
  return outcome(ssl_, result, error);
}

Want TlsStream::shutdown(boost::system::error_code& error) {
  clear_errors();
  const int result = SSL_shutdown(ssl_);
  error = {};
  if (result >= 0) return Want::nothing;  // close_notify sent (0: the peer's not yet seen)
  const Want want = outcome(ssl_, result, error);
  return want == Want::write ? Want::write : Want::nothing;
}

Want TlsStream::read(net::mutable_buffer buffer, boost::system::error_code& error,
                     std::size_t& bytes) {
  bytes = 0;
  error = {};
  if (buffer.size() == 0) return Want::nothing;
  clear_errors();
  if (SSL_read_ex(ssl_, buffer.data(), buffer.size(), &bytes) == 1) return Want::nothing;
  return outcome(ssl_, 0, error);
}

Want TlsStream::write(net::const_buffer buffer, boost::system::error_code& error,
                      std::size_t& bytes) {
  bytes = 0;
  error = {};
  if (buffer.size() == 0) return Want::nothing;
  clear_errors();
  if (SSL_write_ex(ssl_, buffer.data(), buffer.size(), &bytes) == 1) return Want::nothing;
  return outcome(ssl_, 0, error);
}

}  // namespace firewarden::transport
