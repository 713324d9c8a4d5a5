#include "firewarden/proxy/grpc_response_cut.hpp"

#include <string>

#include "firewarden/firestore/protobuf_wire.hpp"
#include "firewarden/text/utf8.hpp"

namespace firewarden::proxy {
namespace {

using firestore::protobuf::append_length_delimited;
using firestore::protobuf::append_varint_field;
using firestore::protobuf::WireField;
using firestore::protobuf::WireReader;
using firestore::protobuf::WireType;

CutFailure fail(std::string reason) { return CutFailure{std::move(reason)}; }

// Calls keep(field) for each field of `message`; a field keep() returns
// a failure for, or bytes that are not protobuf, end the cut.
template <typename Keep>
std::optional<CutFailure> for_each_field(std::string_view message, std::string_view what,
                                         Keep keep) {
  WireReader reader(message);
  WireField field;
  while (true) {
    switch (reader.next(field)) {
      case WireReader::Next::end:
        return std::nullopt;
      case WireReader::Next::error:
        return fail(std::string(what) + " is not protobuf: " + std::string(reader.error_reason()));
      case WireReader::Next::field:
        if (std::optional<CutFailure> failure = keep(field)) return failure;
    }
  }
}

std::optional<CutFailure> expect(const WireField& field, WireType wire, std::string_view what) {
  if (field.wire == wire) return std::nullopt;
  return fail(std::string(what) + " has the wrong wire type");
}

// google.protobuf.Timestamp: seconds 1 and nanos 2, varints, and nothing
// else (a time carries no data; anything more is not a Timestamp).
std::optional<CutFailure> keep_timestamp(std::string& out, std::uint32_t number,
                                         const WireField& field, std::string_view what) {
  if (auto failure = expect(field, WireType::length_delimited, what)) return failure;
  std::string kept;
  std::optional<CutFailure> failure = for_each_field(field.bytes, what, [&](const WireField& part) {
    if ((part.number != 1 && part.number != 2) || part.wire != WireType::varint) {
      return std::optional<CutFailure>(fail(std::string(what) + " is not a Timestamp"));
    }
    append_varint_field(kept, part.number, part.scalar);
    return std::optional<CutFailure>();
  });
  if (failure) return failure;
  append_length_delimited(out, number, kept);
  return std::nullopt;
}

std::optional<CutFailure> keep_text(std::string& out, std::uint32_t number, const WireField& field,
                                    std::string_view what) {
  if (auto failure = expect(field, WireType::length_delimited, what)) return failure;
  if (!text::is_valid_utf8(field.bytes)) return fail(std::string(what) + " is not UTF-8");
  append_length_delimited(out, number, field.bytes);
  return std::nullopt;
}

// Document: name 1, create_time 3, update_time 4; fields 2 goes.
CutResult cut_document(std::string_view message) {
  std::string out;
  auto failure = for_each_field(message, "the Document", [&](const WireField& field) {
    switch (field.number) {
      case 1:
        return keep_text(out, 1, field, "Document.name");
      case 3:
        return keep_timestamp(out, 3, field, "Document.create_time");
      case 4:
        return keep_timestamp(out, 4, field, "Document.update_time");
      default:
        return std::optional<CutFailure>();
    }
  });
  if (failure) return std::move(*failure);
  return out;
}

// WriteResult: update_time 1; transform_results 2 (the values) goes.
std::optional<CutFailure> keep_write_result(std::string& out, const WireField& field) {
  if (auto failure = expect(field, WireType::length_delimited, "a write result")) return failure;
  std::string kept;
  auto failure = for_each_field(field.bytes, "a write result", [&](const WireField& part) {
    if (part.number != 1) return std::optional<CutFailure>();
    return keep_timestamp(kept, 1, part, "WriteResult.update_time");
  });
  if (failure) return failure;
  append_length_delimited(out, 1, kept);
  return std::nullopt;
}

// google.rpc.Status: code 1 and message 2; details 3 (Any messages, open-ended) go.
std::optional<CutFailure> keep_status(std::string& out, const WireField& field) {
  if (auto failure = expect(field, WireType::length_delimited, "a status")) return failure;
  std::string kept;
  auto failure = for_each_field(field.bytes, "a status", [&](const WireField& part) {
    if (part.number == 1) {
      if (auto wrong = expect(part, WireType::varint, "Status.code")) return wrong;
      append_varint_field(kept, 1, part.scalar);
      return std::optional<CutFailure>();
    }
    if (part.number == 2) return keep_text(kept, 2, part, "Status.message");
    return std::optional<CutFailure>();
  });
  if (failure) return failure;
  append_length_delimited(out, 2, kept);
  return std::nullopt;
}

// CommitResponse (commit_time 2) and BatchWriteResponse (status 2) share
// write_results 1.
CutResult cut_write_results(GrpcWriteResponse shape, std::string_view message) {
  std::string out;
  const std::string_view what =
      shape == GrpcWriteResponse::commit ? "the CommitResponse" : "the BatchWriteResponse";
  auto failure = for_each_field(message, what, [&](const WireField& field) {
    if (field.number == 1) return keep_write_result(out, field);
    if (field.number != 2) return std::optional<CutFailure>();
    if (shape == GrpcWriteResponse::commit) {
      return keep_timestamp(out, 2, field, "CommitResponse.commit_time");
    }
    return keep_status(out, field);
  });
  if (failure) return std::move(*failure);
  return out;
}

}  // namespace

GrpcWriteResponse grpc_write_response_of(std::string_view rpc) {
  if (rpc == "UpdateDocument" || rpc == "CreateDocument") return GrpcWriteResponse::document;
  if (rpc == "Commit") return GrpcWriteResponse::commit;
  if (rpc == "BatchWrite") return GrpcWriteResponse::batch_write;
  return GrpcWriteResponse::other;
}

CutResult cut_grpc_write_response(GrpcWriteResponse shape, std::string_view message,
                                  std::size_t max_bytes) {
  if (message.size() > max_bytes) {
    return fail("response message over " + std::to_string(max_bytes) + " bytes");
  }
  switch (shape) {
    case GrpcWriteResponse::document:
      return cut_document(message);
    case GrpcWriteResponse::commit:
    case GrpcWriteResponse::batch_write:
      return cut_write_results(shape, message);
    case GrpcWriteResponse::other:
      break;
  }
  return std::string();
}

}  // namespace firewarden::proxy
