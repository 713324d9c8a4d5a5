// Who is calling (SPEC §3): the SVID of the TLS connection (mtls), the
// configured identity (fixed), or the x-forwarded-client-cert header of a
// trusted mesh peer (xfcc). Every doubt is a 401: an identity is used only
// when it was read unambiguously.
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "exchange.hpp"
#include "firewarden/identity/svid.hpp"
#include "firewarden/identity/xfcc.hpp"
#include "firewarden/proxy/access_fields.hpp"

namespace firewarden::proxy {
namespace {

std::vector<std::uint8_t> address_bytes(const net::ip::address& address) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return {bytes.begin(), bytes.end()};
  }
  const auto bytes = address.to_v6().to_bytes();
  return {bytes.begin(), bytes.end()};
}

}  // namespace

std::unique_ptr<transport::ConnectionState> FirestoreProxy::on_connected(
    const transport::Connection& connection, SSL* ssl) {
  if (ssl == nullptr) {  // plaintext: fixed or xfcc mode
    if (options_.mode == config::IdentityMode::xfcc) return std::make_unique<XfccIdentity>();
    return nullptr;
  }
  auto state = std::make_unique<CertificateIdentity>();
  X509* leaf = SSL_get0_peer_certificate(ssl);
  if (auto facts = certificate_facts(leaf)) {  // logged whether or not it is accepted
    state->serial = std::move(facts->serial);
    state->sha256 = std::move(facts->sha256);
  }
  if (leaf == nullptr) {  // cannot happen with SSL_VERIFY_FAIL_IF_NO_PEER_CERT; fail closed anyway
    state->error = "no_client_certificate";
  } else {
    auto result = identity::identity_from_svid(leaf, options_.identity_rules);
    if (auto* found = std::get_if<identity::Identity>(&result)) {
      state->identity = std::move(*found);
      return state;
    }
    state->error = std::get<identity::Error>(result).reason;
  }
  // The chain verified but the leaf is no acceptable SVID: every request on
  // this connection gets 401. Counted with the handshake failures.
  handshake_failures_.with({state->error}).increment();
  spdlog::info("[c{}] client certificate from {} refused: {}", connection.id,
               connection.peer.address().to_string(), state->error);
  return state;
}

std::variant<const identity::Identity*, firestore::ApiError> FirestoreProxy::identify(
    const transport::Connection& connection, const firestore::HttpRequest& request,
    std::shared_ptr<const identity::Identity>& from_header) const {
  switch (options_.mode) {
    case config::IdentityMode::mtls: {
      // Made by on_connected for every TLS connection; none (never expected
      // in mtls mode) is refused like a certificate without an identity.
      const auto* certificate = dynamic_cast<const CertificateIdentity*>(connection.state.get());
      if (certificate != nullptr && certificate->identity) return &*certificate->identity;
      return firestore::ApiError::unauthenticated(
          "client certificate is not an acceptable SVID: " +
          (certificate ? certificate->error : std::string()));
    }
    case config::IdentityMode::fixed:
      return &*options_.fixed_identity;
    case config::IdentityMode::xfcc:
      break;
  }
  const auto peer = address_bytes(connection.peer.address());
  bool trusted = false;
  for (const auto& range : options_.trusted_peers) trusted = trusted || range.contains(peer);
  if (!trusted) {
    return firestore::ApiError::unauthenticated(
        "x-forwarded-client-cert is only accepted from trusted peers");
  }
  bool repeated = false;
  const auto header = single_header(request, "x-forwarded-client-cert", repeated);
  if (!header) return firestore::ApiError::unauthenticated("no x-forwarded-client-cert header");
  if (repeated) return firestore::ApiError::unauthenticated("x-forwarded-client-cert given twice");
  auto* last = dynamic_cast<XfccIdentity*>(connection.state.get());
  if (last != nullptr && last->identity && last->header == *header) {
    from_header = last->identity;
    return from_header.get();
  }
  auto result = identity::identity_from_xfcc(*header, options_.identity_rules);
  if (auto* found = std::get_if<identity::Identity>(&result)) {
    from_header = std::make_shared<const identity::Identity>(std::move(*found));
    if (last != nullptr) {
      last->header.assign(header->data(), header->size());
      last->identity = from_header;
    }
    return from_header.get();
  }
  const auto& error = std::get<identity::Error>(result);
  // Counted like an mtls leaf refusal (firewarden_tls_handshake_failures_total):
  // e.g. off_template, an ID that does not fit identity.path_template.
  identity_refusals_.with({error.reason}).increment();
  return firestore::ApiError::unauthenticated("x-forwarded-client-cert refused: " + error.reason);
}

}  // namespace firewarden::proxy
