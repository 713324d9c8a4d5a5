#pragma once
// The protobuf twin of response_cut.hpp: what a gRPC write returns is cut to
// the same allowlist when the caller may write but not read.
//   Document (UpdateDocument, CreateDocument): name 1, create_time 3, update_time 4
//   CommitResponse:     write_results 1 (as below), commit_time 2
//   BatchWriteResponse: write_results 1 (as below), status 2 as {code 1, message 2}
//   WriteResult:        update_time 1 (transform_results 2, the values, go)
// Fields off the allowlist are dropped at every level; the kept ones are
// re-encoded canonically. Pure: no I/O.
#include <cstddef>
#include <string_view>

#include "firewarden/proxy/response_cut.hpp"

namespace firewarden::proxy {

enum class GrpcWriteResponse { document, commit, batch_write, other };

// By RPC name: UpdateDocument and CreateDocument answer a Document, Commit a
// CommitResponse, BatchWrite a BatchWriteResponse; anything else is `other`.
GrpcWriteResponse grpc_write_response_of(std::string_view rpc);

// The cut response message (without its gRPC prefix; `other` is the empty
// message), or why there is none: a message over `max_bytes`, bytes that
// are not protobuf, a kept field of the wrong wire type, a kept string that
// is not UTF-8, or a Timestamp with fields other than seconds and nanos.
CutResult cut_grpc_write_response(GrpcWriteResponse shape, std::string_view message,
                                  std::size_t max_bytes);

}  // namespace firewarden::proxy
