#include "firewarden/app/file_digest.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace firewarden::app {

std::optional<std::string> read_file(const std::string& path) {
  // A directory opens, and reads as nothing: not a file that can be read.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return bytes.str();
}

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4U];
    out += kHex[digest[i] & 0xFU];
  }
  return out;
}

}  // namespace firewarden::app
