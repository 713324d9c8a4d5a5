#pragma once
// The oldest error on this thread's OpenSSL error queue as text, the queue
// then cleared (so a later failure is not reported with this one's reason).
#include <openssl/err.h>

#include <string>

namespace firewarden::transport {

inline std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

}  // namespace firewarden::transport
