#pragma once
// What a write returns is a read (SPEC §4). A successful UpdateDocument
// (PATCH) or CreateDocument answers with the document as written, fields
// and all (`mask.fieldPaths` chooses which), and a Commit or BatchWrite
// answers with each transform's result (an increment by 0 reads a number).
// When the caller may write a collection but not `get` from it, the proxy
// cuts such a response down to what carries no document data.
//
// The cut keeps an allowlist of fields, not a blocklist: a field Firestore
// adds later is dropped until someone decides it is safe.
//   Document:             name, createTime, updateTime (strings)
//   CommitResponse:       commitTime (string), writeResults[] as below
//   BatchWriteResponse:   writeResults[] as below, status[] as {code, message}
//   WriteResult:          updateTime (string)
// Pure: no I/O. The proxy reads the body (bounded) and sends the result.
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace firewarden::proxy {

// What a write method's successful response is, as far as the cut cares.
enum class WriteResponse {
  document,       // UpdateDocument (PATCH), CreateDocument: a Document
  write_results,  // Commit, BatchWrite: writeResults[] and commitTime or status[]
  other,          // anything else: no part of it is shown (answered as `{}`)
};

// The shape of `method`'s response (the classifier's method name: "patch",
// "createDocument", "commit", "batchWrite"; anything else is `other`).
WriteResponse write_response_of(std::string_view method);

// Why a response could not be cut. The write itself has happened; the client
// gets 502 UNAVAILABLE instead of a response that might show data.
struct CutFailure {
  std::string reason;
};

using CutResult = std::variant<std::string, CutFailure>;

// The cut response body (compact JSON), or why there is none: a body over
// `max_bytes`, not JSON (or not UTF-8), not a JSON object, or a kept field
// of the wrong type. Unknown fields, at any level, are dropped.
CutResult cut_write_response(WriteResponse shape, std::string_view body, std::size_t max_bytes);

}  // namespace firewarden::proxy
