#include "firewarden/net/client_socket.hpp"

namespace firewarden::transport {

ClientSocket::ClientSocket(net::ip::tcp::socket socket)
    : socket_(std::move(socket)), deadline_(socket_.get_executor(), [this] {
        // The pending operation fails; wait_error() reports it as a timeout.
        boost::system::error_code ignored;
        socket_.cancel(ignored);
      }) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

ClientSocket::~ClientSocket() { close(); }

void ClientSocket::cancel() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void ClientSocket::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  deadline_.cancel();
}

boost::system::error_code ClientSocket::wait_error(const boost::system::error_code& error) const {
  if (deadline_.expired()) return beast::error::timeout;
  return error;
}

boost::system::error_code ClientSocket::attempt_refusal() const {
  if (deadline_.expired()) return beast::error::timeout;
  if (!socket_.is_open()) return net::error::bad_descriptor;
  return {};
}

}  // namespace firewarden::transport
