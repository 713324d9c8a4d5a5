// X.509-SVID leaf rules, on certificates generated here with OpenSSL: one
// certificate per refused shape, plus the good ones.
#include "firewarden/identity/svid.hpp"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "identity_test_support.hpp"

namespace firewarden::identity {
namespace {

using test::detail_of;
using test::reason_of;

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct ExtensionFree {
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
};
struct GeneralNamesFree {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, ExtensionFree>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, GeneralNamesFree>;

constexpr std::string_view workload_id = "spiffe://cluster.local/ns/orders/sa/default";

// A self-signed EC P-256 certificate with exactly the extensions asked for,
// re-parsed from DER so it looks like one received in a TLS handshake.
class CertBuilder {
 public:
  CertBuilder& uri(std::string value) { return san(GEN_URI, std::move(value)); }
  CertBuilder& dns(std::string value) { return san(GEN_DNS, std::move(value)); }
  CertBuilder& email(std::string value) { return san(GEN_EMAIL, std::move(value)); }

  // An extension in OpenSSL config syntax, e.g. (NID_basic_constraints, "critical,CA:TRUE").
  CertBuilder& extension(int nid, std::string value) {
    extensions_.emplace_back(nid, std::move(value));
    return *this;
  }
  // A second subjectAltName extension holding one more URI.
  CertBuilder& second_san_extension(std::string uri) {
    second_san_ = std::move(uri);
    return *this;
  }
  // An extension whose DER value is `bytes` (possibly garbage).
  CertBuilder& raw_extension(int nid, std::string bytes) {
    raw_extensions_.emplace_back(nid, std::move(bytes));
    return *this;
  }

  X509Ptr build() const {
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    REQUIRE(key);
    X509Ptr cert(X509_new());
    REQUIRE(cert);
    REQUIRE(X509_set_version(cert.get(), X509_VERSION_3) == 1);
    REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1);
    REQUIRE(X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) != nullptr);
    REQUIRE(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600) != nullptr);
    REQUIRE(X509_set_pubkey(cert.get(), key.get()) == 1);
    X509_NAME* name = X509_get_subject_name(cert.get());
    const std::string common_name = "workload";
    REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                       reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                       -1, -1, 0) == 1);
    REQUIRE(X509_set_issuer_name(cert.get(), name) == 1);
    add_sans(cert.get());
    add_config_extensions(cert.get());
    add_raw_extensions(cert.get());
    REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
    return reparsed(cert.get());
  }

 private:
  CertBuilder& san(int type, std::string value) {
    sans_.emplace_back(type, std::move(value));
    return *this;
  }

  static void add_san_extension(X509* cert, const std::vector<std::pair<int, std::string>>& sans) {
    GeneralNamesPtr names(GENERAL_NAMES_new());
    REQUIRE(names);
    for (const auto& [type, value] : sans) {
      GENERAL_NAME* entry = GENERAL_NAME_new();
      ASN1_IA5STRING* text = ASN1_IA5STRING_new();
      REQUIRE((entry != nullptr && text != nullptr));
      // Length given explicitly so values may hold NUL bytes.
      REQUIRE(ASN1_STRING_set(text, value.data(), static_cast<int>(value.size())) == 1);
      GENERAL_NAME_set0_value(entry, type, text);
      REQUIRE(sk_GENERAL_NAME_push(names.get(), entry) > 0);
    }
    REQUIRE(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_APPEND) == 1);
  }

  void add_sans(X509* cert) const {
    if (!sans_.empty()) add_san_extension(cert, sans_);
    if (!second_san_.empty()) add_san_extension(cert, {{GEN_URI, second_san_}});
  }

  void add_config_extensions(X509* cert) const {
    X509V3_CTX context;
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    for (const auto& [nid, value] : extensions_) {
      ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
      REQUIRE(extension);
      REQUIRE(X509_add_ext(cert, extension.get(), -1) == 1);
    }
  }

  void add_raw_extensions(X509* cert) const {
    for (const auto& [nid, bytes] : raw_extensions_) {
      ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
      REQUIRE(data != nullptr);
      REQUIRE(ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(bytes.data()),
                                    static_cast<int>(bytes.size())) == 1);
      ExtensionPtr extension(X509_EXTENSION_create_by_NID(nullptr, nid, 0, data));
      ASN1_OCTET_STRING_free(data);
      REQUIRE(extension);
      REQUIRE(X509_add_ext(cert, extension.get(), -1) == 1);
    }
  }

  static X509Ptr reparsed(X509* cert) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(cert, &der);
    REQUIRE(length > 0);
    const unsigned char* cursor = der;
    X509Ptr parsed(d2i_X509(nullptr, &cursor, length));
    OPENSSL_free(der);
    REQUIRE(parsed);
    return parsed;
  }

  std::vector<std::pair<int, std::string>> sans_;
  std::string second_san_;
  std::vector<std::pair<int, std::string>> extensions_;
  std::vector<std::pair<int, std::string>> raw_extensions_;
};

// What a SPIRE or istiod leaf looks like.
CertBuilder typical_leaf(std::string uri) {
  CertBuilder builder;
  builder.uri(std::move(uri))
      .extension(NID_basic_constraints, "critical,CA:FALSE")
      .extension(NID_key_usage, "critical,digitalSignature,keyEncipherment,keyAgreement")
      .extension(NID_ext_key_usage, "serverAuth,clientAuth");
  return builder;
}

TEST_CASE("a typical leaf SVID yields its identity") {
  const X509Ptr cert = typical_leaf(std::string(workload_id)).build();
  const Result<Identity> result = identity_from_svid(cert.get(), test::kubernetes_rules());
  REQUIRE(reason_of(result).empty());
  CHECK(std::get<Identity>(result) ==
        Identity{std::string(workload_id), "cluster.local", "orders", "default"});
}

struct Row {
  std::string name;
  CertBuilder cert;
  std::string reason;  // "" = accepted
};

TEST_CASE("leaf SVID shapes, accepted and refused") {
  const std::string workload(workload_id);
  const std::vector<Row> rows = {
      {"typical leaf", typical_leaf(workload), ""},
      {"no extensions besides the URI SAN", CertBuilder().uri(workload), ""},
      {"other SAN types beside the URI", typical_leaf(workload).dns("orders.svc").email("a@b.c"),
       ""},
      {"CA:FALSE without keyUsage",
       CertBuilder().uri(workload).extension(NID_basic_constraints, "CA:FALSE"), ""},
      {"no subjectAltName", CertBuilder().extension(NID_basic_constraints, "CA:FALSE"),
       "no_uri_san"},
      {"DNS SAN only", CertBuilder().dns("orders.svc"), "no_uri_san"},
      {"two SPIFFE URI SANs", typical_leaf(workload).uri("spiffe://cluster.local/ns/x/sa/y"),
       "multiple_uri_sans"},
      {"SPIFFE URI plus another URI", typical_leaf(workload).uri("https://example.com/x"),
       "multiple_uri_sans"},
      {"URI SAN is not SPIFFE", typical_leaf("https://cluster.local/ns/a/sa/b"),
       "invalid_spiffe_id"},
      {"URI SAN with uppercase trust domain", typical_leaf("spiffe://Cluster.local/ns/a/sa/b"),
       "invalid_spiffe_id"},
      {"URI SAN with a port", typical_leaf("spiffe://cluster.local:443/ns/a/sa/b"),
       "invalid_spiffe_id"},
      {"URI SAN with an embedded NUL",
       typical_leaf(std::string("spiffe://cluster.local/ns/a") + std::string(1, '\0') + "/sa/b"),
       "invalid_spiffe_id"},
      {"empty URI SAN", typical_leaf(""), "invalid_spiffe_id"},
      {"CA:TRUE", CertBuilder().uri(workload).extension(NID_basic_constraints, "critical,CA:TRUE"),
       "ca_certificate"},
      {"CA:TRUE with keyCertSign",
       CertBuilder()
           .uri(workload)
           .extension(NID_basic_constraints, "critical,CA:TRUE")
           .extension(NID_key_usage, "critical,keyCertSign,cRLSign"),
       "ca_certificate"},
      {"keyCertSign on a CA:FALSE leaf",
       CertBuilder()
           .uri(workload)
           .extension(NID_basic_constraints, "critical,CA:FALSE")
           .extension(NID_key_usage, "critical,digitalSignature,keyCertSign"),
       "key_cert_sign"},
      {"keyCertSign without basicConstraints",
       CertBuilder().uri(workload).extension(NID_key_usage, "critical,keyCertSign"),
       "key_cert_sign"},
      {"cRLSign on a leaf",
       CertBuilder()
           .uri(workload)
           .extension(NID_basic_constraints, "critical,CA:FALSE")
           .extension(NID_key_usage, "critical,digitalSignature,cRLSign"),
       "crl_sign"},
      {"legacy Netscape SSL CA type",
       CertBuilder().uri(workload).extension(NID_netscape_cert_type, "sslCA"), "ca_certificate"},
      {"two subjectAltName extensions",
       CertBuilder().uri(workload).second_san_extension("spiffe://cluster.local/ns/x/sa/y"),
       "invalid_extensions"},
      {"undecodable subjectAltName",
       CertBuilder().raw_extension(NID_subject_alt_name, "\x30\x05garbage"), "invalid_extensions"},
      {"undecodable basicConstraints",
       CertBuilder().uri(workload).raw_extension(NID_basic_constraints, "\x01\x02"),
       "invalid_extensions"},
  };
  const IdentityRules rules = test::kubernetes_rules();
  for (const Row& row : rows) {
    INFO(row.name);
    const X509Ptr cert = row.cert.build();
    const Result<Identity> result = identity_from_svid(cert.get(), rules);
    INFO(detail_of(result));
    CHECK(reason_of(result) == row.reason);
  }
}

TEST_CASE("the SPIFFE ID parser's reason is in the detail") {
  const X509Ptr cert = typical_leaf("spiffe://cluster.local:443/ns/a/sa/b").build();
  CHECK(detail_of(spiffe_id_from_svid(cert.get())).starts_with("has_port: "));
}

TEST_CASE("a leaf naming only its trust domain is refused") {
  const X509Ptr cert = typical_leaf("spiffe://cluster.local").build();
  CHECK(reason_of(spiffe_id_from_svid(cert.get())).empty());  // a valid SPIFFE ID …
  CHECK(reason_of(identity_from_svid(cert.get(), test::kubernetes_rules())) ==
        "missing_path");  // … but not a workload (X.509-SVID §3.1)
}

TEST_CASE("a leaf from another trust domain is refused") {
  const X509Ptr cert = typical_leaf("spiffe://evil.example/ns/orders/sa/default").build();
  CHECK(reason_of(identity_from_svid(cert.get(), test::kubernetes_rules())) ==
        "untrusted_trust_domain");
}

TEST_CASE("no certificate at all is refused") {
  CHECK(reason_of(spiffe_id_from_svid(nullptr)) == "no_certificate");
}

TEST_CASE("a leaf whose path does not fit the template is refused unless allowed") {
  const X509Ptr cert = typical_leaf("spiffe://cluster.local/payments/web").build();
  CHECK(reason_of(identity_from_svid(cert.get(), test::kubernetes_rules())) == "off_template");
  IdentityRules lenient = test::kubernetes_rules();
  lenient.require_template = false;
  const Result<Identity> result = identity_from_svid(cert.get(), lenient);
  REQUIRE(reason_of(result).empty());
  CHECK(std::get<Identity>(result) == Identity{"spiffe://cluster.local/payments/web",
                                               "cluster.local", std::nullopt, std::nullopt, false});
}

}  // namespace
}  // namespace firewarden::identity
