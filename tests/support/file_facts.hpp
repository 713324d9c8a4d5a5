#pragma once
// What a test needs to know about files it hands to firewarden: their bytes,
// their sha256, and a PEM certificate's fingerprint and serial, so /status
// and TLS handshakes can be checked against the files themselves.
#include <string>

struct x509_st;  // OpenSSL's X509

namespace firewarden::testing {

std::string read_file_bytes(const std::string& path);  // throws when unreadable
std::string sha256_hex(const std::string& bytes);      // lowercase hex
// Of the first certificate in a PEM file: sha256 of its DER (lowercase hex,
// no colons) and its serial (uppercase hex), as `openssl x509 -fingerprint
// -sha256 -serial` prints them.
std::string certificate_sha256(const std::string& pem_path);
std::string certificate_serial(const std::string& pem_path);
// The same of a certificate in hand (e.g. the peer's, after a handshake).
std::string certificate_sha256(x509_st* certificate);
std::string certificate_serial(x509_st* certificate);

}  // namespace firewarden::testing
