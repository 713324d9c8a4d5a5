#pragma once
// A gRPC call as raw HTTP/2 frames (h2_frames.hpp), for the tests that put
// gRPC calls and other requests on one hand-driven connection.
#include <cstdint>
#include <string>

#include "firewarden/firestore/grpc_frame.hpp"
#include "h2_frames.hpp"

namespace firewarden::testing::h2 {

// The header block of a gRPC call, as an SDK sends it.
inline std::string grpc_headers(const std::string& rpc) {
  return request_block("/google.firestore.v1.Firestore/" + rpc, "POST") +
         literal("content-type", "application/grpc") + literal("te", "trailers");
}

// A whole gRPC call on `stream`: HEADERS, then the message in one DATA
// frame that ends the stream.
inline std::string grpc_call_frames(std::uint32_t stream, const std::string& rpc,
                                    const std::string& message) {
  return frame(kHeaders, kEndHeaders, stream, grpc_headers(rpc)) +
         frame(kData, kEndStream, stream, firestore::grpc_frame(message));
}

}  // namespace firewarden::testing::h2
