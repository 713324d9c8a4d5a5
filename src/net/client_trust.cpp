#include "firewarden/net/client_trust.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <utility>
#include <variant>

#include "firewarden/net/openssl_error.hpp"

namespace firewarden::transport {
namespace {

struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_pop_free(stack, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

struct X509StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
using X509StorePtr = std::unique_ptr<X509_STORE, X509StoreFree>;

// The roots of each trust domain. Read-only once installed: handshakes on
// every thread look roots up concurrently.
struct ClientTrust {
  std::map<std::string, X509StackPtr, std::less<>> roots_by_domain;
  TrustDomainReader read_trust_domain;

  STACK_OF(X509) * roots_of(std::string_view trust_domain) const {
    const auto found = roots_by_domain.find(trust_domain);
    return found == roots_by_domain.end() ? nullptr : found->second.get();
  }
};

// ---- where the state lives ---------------------------------------------

// The ClientTrust belongs to the SSL_CTX (freed with it: a connection keeps
// its SSL_CTX alive after a reload replaced it), the refusal reason to the
// SSL object whose handshake it ended.
void free_client_trust(void* /*parent*/, void* trust, CRYPTO_EX_DATA* /*data*/, int /*index*/,
                       long /*argl*/, void* /*argp*/) {
  delete static_cast<ClientTrust*>(trust);
}

void free_refusal(void* /*parent*/, void* reason, CRYPTO_EX_DATA* /*data*/, int /*index*/,
                  long /*argl*/, void* /*argp*/) {
  delete static_cast<std::string*>(reason);
}

int client_trust_index() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_client_trust);
  return index;
}

int refusal_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_refusal);
  return index;
}

void set_refusal(SSL* ssl, std::string reason) {
  const int index = refusal_index();
  if (ssl == nullptr || index < 0) return;  // the X.509 verify result still says no
  auto owned = std::make_unique<std::string>(std::move(reason));
  auto* previous = static_cast<std::string*>(SSL_get_ex_data(ssl, index));
  if (SSL_set_ex_data(ssl, index, owned.get()) != 1) return;
  owned.release();
  delete previous;
}

// ---- loading -------------------------------------------------------------

// The certificates of one PEM bundle, read with OpenSSL's own file loader
// (the one client_ca_file always used: certificates, TRUSTED CERTIFICATE
// blocks and CRLs).
std::variant<X509StackPtr, std::string> load_bundle(const ClientTrustBundle& bundle) {
  const X509StorePtr store(X509_STORE_new());
  if (!store) return openssl_error();
  if (X509_STORE_load_file(store.get(), bundle.path.c_str()) != 1) return openssl_error();
  X509StackPtr roots(X509_STORE_get1_all_certs(store.get()));
  if (!roots || sk_X509_num(roots.get()) == 0) return std::string("no certificate in it");
  return roots;
}

// ---- verification --------------------------------------------------------

bool is_unknown_issuer(int error) {
  return error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
         error == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
         error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
         error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
}

// For the log and metric only (the certificate is refused either way): does
// the chain that failed lead to a root of another trust domain? That is a
// federation partner's CA issuing IDs outside its trust domain, or a
// misissued certificate: worth telling apart from an unknown CA.
bool issued_by_other_domain(const ClientTrust& trust, std::string_view own_domain,
                            X509_STORE_CTX* store_ctx) {
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store_ctx);
  if (chain == nullptr || sk_X509_num(chain) == 0) return false;
  X509* top = sk_X509_value(chain, sk_X509_num(chain) - 1);
  for (const auto& [domain, roots] : trust.roots_by_domain) {
    if (domain == own_domain) continue;
    for (int i = 0; i < sk_X509_num(roots.get()); ++i) {
      X509* root = sk_X509_value(roots.get(), i);
      if (X509_cmp(root, top) == 0 || X509_check_issued(root, top) == X509_V_OK) return true;
    }
  }
  return false;
}

int refuse(X509_STORE_CTX* store_ctx, SSL* ssl, std::string reason) {
  set_refusal(ssl, std::move(reason));
  X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

// Replaces OpenSSL's X509_verify_cert for client certificates. The store
// context arrives set up by the handshake (purpose sslclient, verify depth,
// the peer's chain as untrusted certificates); only the trust anchors are
// chosen here, by the leaf's own trust domain.
int verify_client_certificate(X509_STORE_CTX* store_ctx, void* argument) {
  const auto& trust = *static_cast<const ClientTrust*>(argument);
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  // The leaf is not verified yet: its URI SAN only chooses which roots may
  // verify it. The SVID rules (exactly one URI SAN, not a CA, ...) come
  // first because without one SPIFFE ID there is no trust domain to choose.
  const TrustDomainClaim claim = trust.read_trust_domain(X509_STORE_CTX_get0_cert(store_ctx));
  if (claim.trust_domain.empty()) {
    return refuse(store_ctx, ssl, claim.refusal.empty() ? "no_trust_domain" : claim.refusal);
  }
  const std::string& trust_domain = claim.trust_domain;
  STACK_OF(X509)* roots = trust.roots_of(trust_domain);
  if (roots == nullptr) return refuse(store_ctx, ssl, "untrusted_trust_domain");
  X509_STORE_CTX_set0_trusted_stack(store_ctx, roots);
  if (X509_verify_cert(store_ctx) > 0) return 1;
  if (is_unknown_issuer(X509_STORE_CTX_get_error(store_ctx)) &&
      issued_by_other_domain(trust, trust_domain, store_ctx)) {
    set_refusal(ssl, "foreign_trust_domain_ca");
  }
  return 0;
}

// Every bundle's certificates, for building the serving certificate's chain
// (SSL_CTX_build_cert_chain uses the chain store when there is one). Never
// used to verify a client.
std::optional<std::string> set_chain_store(SSL_CTX* ctx, const ClientTrust& trust) {
  X509StorePtr chain_store(X509_STORE_new());
  if (!chain_store) return openssl_error();
  for (const auto& [domain, roots] : trust.roots_by_domain) {
    for (int i = 0; i < sk_X509_num(roots.get()); ++i) {
      // A certificate in two bundles is added once; the second add is a no-op.
      if (X509_STORE_add_cert(chain_store.get(), sk_X509_value(roots.get(), i)) != 1) {
        return openssl_error();
      }
    }
  }
  if (SSL_CTX_set0_chain_cert_store(ctx, chain_store.get()) != 1) return openssl_error();
  chain_store.release();  // owned by ctx now
  return std::nullopt;
}

}  // namespace

std::optional<ClientTrustError> install_client_trust(SSL_CTX* ctx,
                                                     const std::vector<ClientTrustBundle>& bundles,
                                                     TrustDomainReader read_trust_domain) {
  if (!read_trust_domain) {  // fail closed: no way to choose a bundle
    return ClientTrustError{"listener.tls", "client trust bundles: no trust domain reader"};
  }
  auto trust = std::make_unique<ClientTrust>();
  trust->read_trust_domain = std::move(read_trust_domain);
  for (const auto& bundle : bundles) {
    auto loaded = load_bundle(bundle);
    if (auto* error = std::get_if<std::string>(&loaded)) {
      return ClientTrustError{bundle.key, bundle.path + ": " + *error};
    }
    trust->roots_by_domain[bundle.trust_domain] = std::get<X509StackPtr>(std::move(loaded));
  }
  if (trust->roots_by_domain.empty()) {
    return ClientTrustError{"listener.tls.client_ca_file", "not set (no client trust bundle)"};
  }
  if (auto error = set_chain_store(ctx, *trust)) {
    return ClientTrustError{"listener.tls", "client trust bundles: " + *error};
  }
  ClientTrust* owned = trust.release();
  if (SSL_CTX_set_ex_data(ctx, client_trust_index(), owned) != 1) {
    delete owned;
    return ClientTrustError{"listener.tls", "client trust bundles: " + openssl_error()};
  }
  SSL_CTX_set_cert_verify_callback(ctx, verify_client_certificate, owned);
  return std::nullopt;
}

std::string client_trust_refusal(const SSL* ssl) {
  if (ssl == nullptr) return {};
  const auto* reason = static_cast<const std::string*>(SSL_get_ex_data(ssl, refusal_index()));
  return reason == nullptr ? std::string() : *reason;
}

}  // namespace firewarden::transport
