#pragma once
// ListenResponse messages as a Listen test reads them off a GrpcBidiCall:
// what kind of response, the target change with its ids and cause, and a
// bounded wait for the response a test expects.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "firewarden/firestore/protobuf_wire.hpp"
#include "grpc_call.hpp"

namespace firewarden::testing {

// What a test needs of a ListenResponse.
struct ListenEvent {
  enum class Kind { target_change, document_change, other } kind = Kind::other;
  std::uint64_t change_type = 0;  // TargetChange: NO_CHANGE 0, ADD 1, REMOVE 2, CURRENT 3
  std::vector<std::int64_t> target_ids;
  std::optional<std::int64_t> cause_code;
  std::string cause_message;
  std::string bytes;  // the whole message (document names are in it)
};

// The top-level fields of a protobuf message, in order.
std::vector<std::pair<std::uint32_t, firestore::protobuf::WireField>> fields_of(
    std::string_view bytes);

ListenEvent parse_listen_response(const std::string& message);

// Reads responses until one satisfies `wanted` (returned) or `limit`
// passes; every response read on the way is handed to `seen` (so a test can
// tell what else arrived meanwhile).
template <typename Wanted, typename Seen>
std::optional<ListenEvent> wait_for(GrpcBidiCall& stream, Wanted wanted, Seen seen,
                                    std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    const auto message = stream.next_message(std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now()));
    if (!message) return std::nullopt;
    ListenEvent event = parse_listen_response(*message);
    seen(event);
    if (wanted(event)) return event;
  }
  return std::nullopt;
}

template <typename Wanted>
std::optional<ListenEvent> wait_for(
    GrpcBidiCall& stream, Wanted wanted,
    std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  return wait_for(
      stream, wanted, [](const ListenEvent&) {}, limit);
}

inline auto removed(std::int64_t id) {
  return [id](const ListenEvent& event) {
    return event.kind == ListenEvent::Kind::target_change && event.change_type == 2 &&
           event.target_ids == std::vector<std::int64_t>{id};
  };
}

inline auto current(std::int64_t id) {
  return [id](const ListenEvent& event) {
    return event.kind == ListenEvent::Kind::target_change && event.change_type == 3 &&
           std::find(event.target_ids.begin(), event.target_ids.end(), id) !=
               event.target_ids.end();
  };
}

inline auto document_named(const std::string& name) {
  return [name](const ListenEvent& event) {
    return event.kind == ListenEvent::Kind::document_change &&
           event.bytes.find(name) != std::string::npos;
  };
}

}  // namespace firewarden::testing
