#include "listen_responses.hpp"

namespace firewarden::testing {

using firestore::protobuf::WireField;
using firestore::protobuf::WireReader;
using firestore::protobuf::WireType;

namespace {

// The elements of a packed repeated varint field.
std::vector<std::int64_t> packed_varints(std::string_view bytes) {
  std::vector<std::int64_t> values;
  std::uint64_t value = 0;
  int shift = 0;
  for (const char byte : bytes) {
    value |= std::uint64_t{static_cast<unsigned char>(byte) & 0x7FU} << shift;
    shift += 7;
    if ((static_cast<unsigned char>(byte) & 0x80U) == 0) {
      values.push_back(static_cast<std::int64_t>(value));
      value = 0;
      shift = 0;
    }
  }
  return values;
}

void read_target_change(std::string_view bytes, ListenEvent& event) {
  event.kind = ListenEvent::Kind::target_change;
  for (const auto& [number, change] : fields_of(bytes)) {
    if (number == 1) event.change_type = change.scalar;
    if (number == 2 && change.wire == WireType::varint) {
      event.target_ids.push_back(static_cast<std::int64_t>(change.scalar));
    }
    if (number == 2 && change.wire == WireType::length_delimited) {
      for (const auto id : packed_varints(change.bytes)) event.target_ids.push_back(id);
    }
    if (number == 3) {
      for (const auto& [cause_number, cause] : fields_of(change.bytes)) {
        if (cause_number == 1) event.cause_code = static_cast<std::int64_t>(cause.scalar);
        if (cause_number == 2) event.cause_message = std::string(cause.bytes);
      }
    }
  }
}

}  // namespace

std::vector<std::pair<std::uint32_t, WireField>> fields_of(std::string_view bytes) {
  std::vector<std::pair<std::uint32_t, WireField>> fields;
  WireReader reader(bytes);
  WireField field;
  while (reader.next(field) == WireReader::Next::field) fields.emplace_back(field.number, field);
  return fields;
}

ListenEvent parse_listen_response(const std::string& message) {
  ListenEvent event;
  event.bytes = message;
  for (const auto& [number, field] : fields_of(message)) {
    if (number == 3) event.kind = ListenEvent::Kind::document_change;
    if (number == 2) read_target_change(field.bytes, event);  // ListenResponse.target_change
  }
  return event;
}

}  // namespace firewarden::testing
