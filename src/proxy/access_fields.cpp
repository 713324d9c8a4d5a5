#include "firewarden/proxy/access_fields.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace firewarden::proxy {
namespace {

std::string lower_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4U];
    out += kHex[bytes[i] & 0xFU];
  }
  return out;
}

std::optional<std::string> serial_hex(X509* certificate) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate);
  const std::unique_ptr<BIGNUM, decltype(&BN_free)> number(ASN1_INTEGER_to_BN(serial, nullptr),
                                                           BN_free);
  if (!number) return std::nullopt;
  const std::unique_ptr<char, void (*)(char*)> text(BN_bn2hex(number.get()),
                                                    [](char* p) { OPENSSL_free(p); });
  if (!text) return std::nullopt;
  std::string out(text.get());
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::optional<std::vector<std::string>> logged_document_paths(const std::vector<std::string>& paths,
                                                              config::DocumentPaths mode) {
  switch (mode) {
    case config::DocumentPaths::full:
      return paths;
    case config::DocumentPaths::hash: {
      std::vector<std::string> digests;
      digests.reserve(paths.size());
      for (const auto& path : paths) digests.push_back(document_path_digest(path));
      return digests;
    }
    case config::DocumentPaths::omit:
      break;
  }
  return std::nullopt;
}

std::string document_path_digest(std::string_view path) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(path.data(), path.size(), digest, &size, EVP_sha256(), nullptr) != 1 ||
      size < 16) {
    return "unavailable";  // cannot happen with the default provider; never the path itself
  }
  return lower_hex(digest, 16);
}

std::optional<CertificateFacts> certificate_facts(X509* certificate) {
  if (certificate == nullptr) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &size) != 1) return std::nullopt;
  auto serial = serial_hex(certificate);
  if (!serial) return std::nullopt;
  return CertificateFacts{std::move(*serial), lower_hex(digest, size)};
}

}  // namespace firewarden::proxy
