#include "firewarden/net/server_tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <ctime>

#include "firewarden/net/openssl_error.hpp"

namespace firewarden::transport {
namespace {

long long not_after_of(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) return 0;
  std::tm when{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &when) != 1) return 0;
  return static_cast<long long>(timegm(&when));
}

// The chain sent with the serving certificate, built once here. A cert_file
// holding only the leaf otherwise makes OpenSSL build that chain from the
// chain store (every client trust bundle, client_trust.cpp) in every handshake: a second
// X509_verify_cert per connection, ~0.9M of ~8.8M instructions per new mTLS
// connection (callgrind, mix d), which nginx does not do
// (SSL_MODE_NO_AUTO_CHAIN). The chain sent is the one OpenSSL built per
// handshake (same store, root included, a partial chain when the store has
// no issuer); a cert_file with intermediates is sent as it is, as before.
void build_serving_chain(SSL_CTX* ctx) {
  STACK_OF(X509)* chain = nullptr;
  SSL_CTX_get0_chain_certs(ctx, &chain);
  if (chain == nullptr || sk_X509_num(chain) == 0) {
    if (SSL_CTX_build_cert_chain(
            ctx, SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR | SSL_BUILD_CHAIN_FLAG_CLEAR_ERROR) <= 0) {
      ERR_clear_error();
      return;  // keep building it per handshake
    }
  }
  SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
}

// Which connections may select h2 (offer_http2): an ex_data slot whose
// value is only ever this marker.
int http2_offer_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
char http2_offered_marker;

constexpr unsigned char kH2[] = {'h', '2'};
constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};

// Whether the client's ALPN list (RFC 7301 §3.1: length-prefixed names)
// names `protocol`.
bool client_offers(const unsigned char* in, unsigned in_length, const unsigned char* protocol,
                   unsigned length) {
  for (unsigned at = 0; at < in_length;) {
    const unsigned size = in[at];
    if (at + 1 + size > in_length) return false;
    if (size == length && std::equal(protocol, protocol + length, in + at + 1)) return true;
    at += 1 + size;
  }
  return false;
}

// Our preference, not the client's (RFC 7301 §3.2 lets the server choose):
// h2 whenever the client offers it and the listener serves HTTP/2 (REST and
// gRPC are both served there), else http/1.1. A client that offers neither
// is not refused with no_application_protocol: it gets HTTP/1.1, as it
// would without ALPN.
int select_protocol(SSL* ssl, const unsigned char** out, unsigned char* out_length,
                    const unsigned char* in, unsigned in_length, void* /*arg*/) {
  const bool h2 = SSL_get_ex_data(ssl, http2_offer_index()) == &http2_offered_marker;
  if (h2 && client_offers(in, in_length, kH2, sizeof kH2)) {
    *out = kH2;
    *out_length = sizeof kH2;
    return SSL_TLSEXT_ERR_OK;
  }
  if (client_offers(in, in_length, kHttp11, sizeof kHttp11)) {
    *out = kHttp11;
    *out_length = sizeof kHttp11;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

void offer_http2(SSL* ssl) { SSL_set_ex_data(ssl, http2_offer_index(), &http2_offered_marker); }

bool negotiated_http2(SSL* ssl) {
  const unsigned char* selected = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl, &selected, &length);
  return length == sizeof kH2 && std::equal(kH2, kH2 + sizeof kH2, selected);
}

std::variant<ServerTlsContext, ServerTlsError> make_server_tls_context(
    const ServerTlsFiles& files) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();

  // TLS 1.2 is the floor (SPEC §2 min_version); 1.0/1.1 and every SSL
  // version are refused by the protocol range, not by options.
  SSL_CTX_set_min_proto_version(ctx, files.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
  // No renegotiation (CVE-2009-3555 class; TLS 1.3 has none), no compression
  // (CRIME), fresh ECDHE per handshake.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_ECDH_USE);
  // TLS 1.2: forward-secret AEAD suites only.
  SSL_CTX_set_cipher_list(ctx,
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");

  if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1) {
    return ServerTlsError{"listener.tls.cert_file", files.cert_file + ": " + openssl_error()};
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return ServerTlsError{"listener.tls.key_file", files.key_file + ": " + openssl_error()};
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return ServerTlsError{"listener.tls.key_file",
                          files.key_file + " does not match the certificate in " + files.cert_file};
  }
  // The verify store stays empty: client certificates are verified by the
  // per-trust-domain callback, against their own trust domain's bundle.
  if (auto error = install_client_trust(ctx, files.client_trust_bundles, files.trust_domain_of)) {
    return ServerTlsError{std::move(error->key), std::move(error->detail)};
  }
  build_serving_chain(ctx);
  // A client certificate is required; without one the handshake fails.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // OpenSSL's depth counts intermediate CAs only (neither the leaf nor the
  // trust anchor), so leaf + intermediates <= kMaxClientChainDepth is
  // depth kMaxClientChainDepth - 1.
  SSL_CTX_set_verify_depth(ctx, kMaxClientChainDepth - 1);
  // Identity is decided per connection from the verified chain; resumed
  // sessions would skip that, so every connection does a full handshake.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  // TLS 1.3 servers otherwise send two NewSessionTicket messages after every
  // handshake (with SSL_OP_NO_TICKET: stateful ones, for a cache that is
  // off): two records nobody can use, and their cost on every connection.
  SSL_CTX_set_num_tickets(ctx, 0);
  // Idle keep-alive connections give their TLS record buffers (~34 KiB)
  // back until the next record arrives, as nginx does: what lets 10,000 idle
  // mTLS connections fit in ~100 MiB (bench/RESULTS.md).
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Without read-ahead OpenSSL reads each record with two read(2)s (its
  // 5-byte header, then the rest); with it, one read takes what the socket
  // holds (bench: 2 -> 1 read per request). Bytes read ahead stay in the
  // SSL object, and the server looks there (SSL_has_pending) before it waits
  // on the socket, so none is stranded.
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_alpn_select_cb(ctx, &select_protocol, nullptr);

  return ServerTlsContext{std::move(context), not_after_of(ctx)};
}

std::string handshake_failure_reason(const boost::system::error_code& error, SSL* ssl) {
  if (error == net::error::operation_aborted || error == beast::error::timeout) return "timeout";
  if (error == net::error::eof || error == net::error::connection_reset ||
      error == ssl::error::stream_truncated) {
    return "peer_closed";
  }
  if (ssl != nullptr) {
    // The trust check's own reason first: a chain leading to another trust
    // domain's CA also fails X.509 verification as an unknown issuer.
    if (std::string refused = client_trust_refusal(ssl); !refused.empty()) return refused;
    const long verify = SSL_get_verify_result(ssl);
    switch (verify) {
      case X509_V_OK:
        break;
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return "certificate_expired";
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return "certificate_not_yet_valid";
      case X509_V_ERR_CERT_CHAIN_TOO_LONG:
        return "chain_too_long";
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return "unknown_ca";
      default:
        return "certificate_invalid";
    }
  }
  if (error.category() == net::error::get_ssl_category()) {
    switch (ERR_GET_REASON(static_cast<unsigned long>(error.value()))) {
      case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      case SSL_R_CERTIFICATE_VERIFY_FAILED:
        return "no_client_certificate";
      case SSL_R_UNSUPPORTED_PROTOCOL:
      case SSL_R_WRONG_VERSION_NUMBER:
      case SSL_R_VERSION_TOO_LOW:
      case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
        return "protocol_version";
      case SSL_R_HTTP_REQUEST:
      case SSL_R_HTTPS_PROXY_REQUEST:
        return "plaintext_http";
      case SSL_R_NO_SHARED_CIPHER:
        return "no_shared_cipher";
      default:
        break;
    }
  }
  return "handshake_error";
}

}  // namespace firewarden::transport
