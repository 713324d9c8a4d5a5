// What access lines show of documents (logging.document_paths) and of a
// client certificate.
#include "firewarden/proxy/access_fields.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <memory>
#include <regex>

using firewarden::config::DocumentPaths;
using firewarden::proxy::certificate_facts;
using firewarden::proxy::document_path_digest;
using firewarden::proxy::logged_document_paths;

TEST_CASE("access fields: document paths in full, hashed, or omitted") {
  const std::vector<std::string> paths{"orders/o1", "users/alice@example.com"};
  CHECK(logged_document_paths(paths, DocumentPaths::full) == paths);
  CHECK(logged_document_paths(paths, DocumentPaths::omit) == std::nullopt);
  const auto hashed = logged_document_paths(paths, DocumentPaths::hash);
  REQUIRE(hashed);
  REQUIRE(hashed->size() == 2);
  // sha256("orders/o1"), first 16 bytes (python3 -c 'import hashlib;
  // print(hashlib.sha256(b"orders/o1").hexdigest()[:32])').
  CHECK((*hashed)[0] == "2b7ffb64b093968cc483b9569856622d");
  CHECK(std::regex_match((*hashed)[1], std::regex("[0-9a-f]{32}")));
  CHECK((*hashed)[1].find("alice") == std::string::npos);
  CHECK(document_path_digest("orders/o1") == (*hashed)[0]);
  CHECK(document_path_digest("orders/o2") != (*hashed)[0]);
  CHECK(logged_document_paths({}, DocumentPaths::hash) == std::vector<std::string>{});
}

TEST_CASE("access fields: a certificate's serial and SHA-256 as lowercase hex") {
  CHECK_FALSE(certificate_facts(nullptr));
  const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  REQUIRE(key);
  const std::unique_ptr<X509, decltype(&X509_free)> certificate(X509_new(), X509_free);
  BIGNUM* serial = nullptr;
  REQUIRE(BN_hex2bn(&serial, "0A1B2C3D4E5F60718293") > 0);
  REQUIRE(BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate.get())) != nullptr);
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 3600);
  REQUIRE(X509_set_pubkey(certificate.get(), key.get()) == 1);
  REQUIRE(X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0);

  const auto facts = certificate_facts(certificate.get());
  REQUIRE(facts);
  CHECK(facts->serial == "0a1b2c3d4e5f60718293");
  // The fingerprint is the SHA-256 of the DER encoding.
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate.get(), &der);
  REQUIRE(length > 0);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  REQUIRE(EVP_Digest(der, static_cast<std::size_t>(length), digest, &size, EVP_sha256(), nullptr) ==
          1);
  OPENSSL_free(der);
  std::string expected;
  for (unsigned i = 0; i < size; ++i) {
    expected += "0123456789abcdef"[digest[i] >> 4U];
    expected += "0123456789abcdef"[digest[i] & 0xFU];
  }
  CHECK(facts->sha256 == expected);
  CHECK(facts->sha256.size() == 64);
}
