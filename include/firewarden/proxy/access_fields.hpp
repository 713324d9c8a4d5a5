#pragma once
// What an access line shows of the documents a request names and of the
// client certificate it came with.
#include <openssl/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/config/config.hpp"

namespace firewarden::proxy {

// logging.document_paths: `full` logs the paths as they are; `hash` logs
// document_path_digest of each (same path, same digest: lines about one
// document can be found without the log showing document IDs, which are
// often personal data such as a user's e-mail); `omit` logs none (null).
std::optional<std::vector<std::string>> logged_document_paths(const std::vector<std::string>& paths,
                                                              config::DocumentPaths mode);

// SHA-256 of the path, the first 16 bytes (128 bits) as 32 lowercase hex
// digits: collisions stay out of reach for any log (birthday bound 2^64)
// at half the length. Not a secret: an ID that can be guessed can be
// hashed and looked for, so `hash` hides IDs from a casual reader only.
std::string document_path_digest(std::string_view path);

// The certificate's serial number and the SHA-256 of its DER encoding, as
// lowercase hex without separators (`openssl x509 -noout -serial
// -fingerprint -sha256` prints them in upper case with colons).
struct CertificateFacts {
  std::string serial;
  std::string sha256;
};
std::optional<CertificateFacts> certificate_facts(X509* certificate);

}  // namespace firewarden::proxy
