#pragma once
// Namespace aliases for the I/O modules, in one place (STYLE.md 1).
// Pure modules (identity, firestore, policy, config) never include this.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace firewarden {
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
}  // namespace firewarden
