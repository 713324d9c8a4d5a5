#include "raw_connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

namespace firewarden::corpus {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out.empty() ? "ssl error" : out;
}

int protocol_version(const std::string& version) {
  if (version == "1.0") return TLS1_VERSION;
  if (version == "1.1") return TLS1_1_VERSION;
  if (version == "1.2") return TLS1_2_VERSION;
  if (version == "1.3") return TLS1_3_VERSION;
  return 0;
}

}  // namespace

ParsedResponses parse_responses(const std::string& bytes, bool at_eof) {
  ParsedResponses parsed;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    parser.header_limit(1 << 20);
    boost::beast::error_code error;
    std::size_t used = 0;
    while (!parser.is_done() && offset + used < bytes.size()) {
      const std::size_t n = parser.put(
          boost::asio::buffer(bytes.data() + offset + used, bytes.size() - offset - used), error);
      used += n;
      if (error == http::error::need_more) {
        error = {};
        if (n == 0) break;
        continue;
      }
      if (error) break;
    }
    if (!error && !parser.is_done() && at_eof && parser.is_header_done()) {
      parser.put_eof(error);  // a body that ends with the connection
    }
    if (error) {
      parsed.garbage = true;
      break;
    }
    if (!parser.is_done()) break;  // incomplete: more to come
    parsed.statuses.push_back(parser.get().result_int());
    parsed.bodies += parser.get().body();
    offset += used;
  }
  return parsed;
}

RawConnection::RawConnection(unsigned short port, const std::optional<TlsOptions>& tls) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error_ = std::string("connect: ") + std::strerror(errno);
    closed_ = true;
    return;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  if (!tls) return;

  ERR_clear_error();
  context_ = SSL_CTX_new(TLS_client_method());
  if (const int version = protocol_version(tls->version)) {
    SSL_CTX_set_min_proto_version(context_, version);
    SSL_CTX_set_max_proto_version(context_, version);
    // OpenSSL 3 refuses TLS 1.0/1.1 itself above security level 0; the
    // point is to see the server refuse them.
    SSL_CTX_set_security_level(context_, 0);
    if (version < TLS1_2_VERSION) SSL_CTX_set_cipher_list(context_, "DEFAULT:@SECLEVEL=0");
  }
  SSL_CTX_load_verify_locations(context_, tls->ca_file.c_str(), nullptr);
  SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
  if (!tls->cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(context_, tls->cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(context_, tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("cannot load client certificate " + tls->cert_file + ": " +
                               openssl_errors());
    }
  }
  ssl_ = SSL_new(context_);
  SSL_set_fd(ssl_, fd_);
  // (Not SSL_set_tlsext_host_name: a macro with an old-style cast.)
  SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>("localhost"));
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  for (;;) {
    const int result = SSL_connect(ssl_);
    if (result == 1) break;
    const int reason = SSL_get_error(ssl_, result);
    if (reason == SSL_ERROR_WANT_READ && wait(POLLIN, deadline)) continue;
    if (reason == SSL_ERROR_WANT_WRITE && wait(POLLOUT, deadline)) continue;
    handshake_error_ = reason == SSL_ERROR_SSL ? openssl_errors()
                                               : "handshake ended (" + std::to_string(reason) + ")";
    closed_ = true;
    return;
  }
}

RawConnection::~RawConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (context_ != nullptr) SSL_CTX_free(context_);
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::wait(short events, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return false;
  pollfd entry{fd_, events, 0};
  return ::poll(&entry, 1, static_cast<int>(left.count())) > 0;
}

bool RawConnection::send(const std::string& bytes, Clock::time_point deadline) {
  std::size_t sent = 0;
  while (sent < bytes.size() && !closed_) {
    if (ssl_ != nullptr) {
      const int n = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      const int reason = SSL_get_error(ssl_, n);
      if (reason == SSL_ERROR_WANT_WRITE && wait(POLLOUT, deadline)) continue;
      if (reason == SSL_ERROR_WANT_READ && wait(POLLIN, deadline)) continue;
      error_ = "write: " + (reason == SSL_ERROR_SSL ? openssl_errors() : std::to_string(reason));
      return false;
    }
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait(POLLOUT, deadline)) continue;
    error_ = std::string("write: ") + (n < 0 ? std::strerror(errno) : "timeout");
    return false;
  }
  return sent == bytes.size();
}

std::string RawConnection::renegotiate(Clock::time_point deadline) {
  if (ssl_ == nullptr) return "not TLS";
  ERR_clear_error();
  if (SSL_renegotiate(ssl_) != 1) return "client refused to start: " + openssl_errors();
  for (;;) {
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) return "completed";
    const int reason = SSL_get_error(ssl_, result);
    if (reason == SSL_ERROR_WANT_READ && wait(POLLIN, deadline)) continue;
    if (reason == SSL_ERROR_WANT_WRITE && wait(POLLOUT, deadline)) continue;
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return "timed out";
    closed_ = true;
    return reason == SSL_ERROR_SSL ? openssl_errors() : "failed (" + std::to_string(reason) + ")";
  }
}

bool RawConnection::receive(std::string& into, Clock::time_point deadline) {
  if (closed_) return false;
  char chunk[16384];
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, chunk, sizeof chunk);
      if (n > 0) {
        into.append(chunk, static_cast<std::size_t>(n));
        return true;
      }
      const int reason = SSL_get_error(ssl_, n);
      if (reason == SSL_ERROR_WANT_READ) {
        if (!wait(POLLIN, deadline)) return false;
        continue;
      }
      if (reason == SSL_ERROR_WANT_WRITE) {
        if (!wait(POLLOUT, deadline)) return false;
        continue;
      }
      closed_ = true;
      if (reason != SSL_ERROR_ZERO_RETURN) {
        error_ = reason == SSL_ERROR_SSL
                     ? openssl_errors()
                     : "read ended (" + std::to_string(reason) + ", " + std::strerror(errno) + ")";
      }
      return false;
    }
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      into.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait(POLLIN, deadline)) return false;
      continue;
    }
    closed_ = true;
    if (n < 0) error_ = std::string("read: ") + std::strerror(errno);
    return false;
  }
}

Outcome exchange(unsigned short port, const std::optional<TlsOptions>& tls,
                 const std::vector<Segment>& segments, const CorpusCase& c) {
  const auto started = Clock::now();
  const auto deadline = started + c.wait;
  Outcome outcome;
  RawConnection connection(port, tls);
  outcome.handshake_error = connection.handshake_error();
  const std::size_t expected = c.expect.size();
  const auto done = [&] {
    if (connection.closed()) return true;
    if (c.closed.value_or(false)) return false;  // must see the close
    if (c.expect_none || expected == 0) return false;
    return parse_responses(outcome.received, false).statuses.size() >= expected;
  };

  for (const auto& segment : segments) {
    if (connection.closed()) break;
    if (!connection.send(segment.bytes, deadline)) break;
    // Collect answers that arrive while pausing (a server may refuse early).
    const auto resume = Clock::now() + segment.pause;
    while (Clock::now() < resume && connection.receive(outcome.received, resume)) {
    }
    if (segment.renegotiate) {
      outcome.renegotiation =
          connection.renegotiate(std::min(deadline, Clock::now() + std::chrono::seconds(3)));
    }
  }
  while (!done() && Clock::now() < deadline) {
    if (!connection.receive(outcome.received, deadline)) break;
  }
  // Asked to stay open: the connection must still be open a moment later.
  if (c.closed == false && !connection.closed()) {
    const auto grace = Clock::now() + std::chrono::milliseconds(300);
    while (connection.receive(outcome.received, grace)) {
    }
  }
  outcome.closed_by_peer = connection.closed();
  outcome.read_error = connection.error();
  outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return outcome;
}

}  // namespace firewarden::corpus
