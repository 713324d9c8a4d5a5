// A decided message of a Listen or Write stream on its own: its exchange
// (the stream's, without the stream's decision), its access line and count,
// the checks every message of a stream shares, and a refusal that ends the
// stream. The stream itself is grpc_bidi.cpp's.
#include "exchange.hpp"
#include "grpc_bidi.hpp"

namespace firewarden::proxy {

FirestoreProxy::Exchange FirestoreProxy::message_exchange(const BidiCall& bidi,
                                                          std::string what) const {
  Exchange exchange = bidi.call.exchange;
  exchange.started = Clock::now();
  auto& record = exchange.record;
  record.stream_message = std::move(what);
  record.document_paths.reset();
  record.required.clear();
  record.decision.clear();
  record.rule.clear();
  record.dry_run.clear();
  record.status = 0;
  record.upstream_status.reset();
  record.upstream_reused.reset();
  record.upstream_ms.reset();
  record.impersonated.reset();
  record.bytes_in = record.bytes_out = 0;
  record.error.clear();
  return exchange;
}

void FirestoreProxy::finish_message(Exchange& exchange) {
  auto& record = exchange.record;
  if (record.decision.empty()) record.decision = "error";
  record.duration_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - exchange.started).count();
  stream_messages_.with({exchange.metric_method, record.decision}).increment();
  access_log_.write(record);
}

std::optional<firestore::ApiError> FirestoreProxy::enforce_message(
    BidiCall& bidi, Exchange& exchange, const policy::Decision& decision) {
  if (auto refusal = enforce(exchange, bidi.who, decision)) return refusal;
  // One upstream stream reaches Firestore as one principal: a message
  // decided for another one cannot ride it.
  const std::string principal = decision.impersonate.value_or("");
  if (bidi.impersonated && *bidi.impersonated != principal) {
    const auto shown = [](const std::string& name) {
      return name.empty() ? std::string("firewarden's own account") : name;
    };
    return firestore::ApiError::permission_denied(
        "this message would reach Firestore as " + shown(principal) + ", but this stream does as " +
        shown(*bidi.impersonated) + "; open another stream [request " + exchange.request_id() +
        "]");
  }
  return std::nullopt;
}

std::optional<firestore::ApiError> FirestoreProxy::check_stream_database(
    BidiCall& bidi, const firestore::RequestModel& model) {
  const std::string name = "projects/" + model.project + "/databases/" + model.database;
  if (bidi.database.empty()) bidi.database = name;
  if (name == bidi.database) return std::nullopt;
  return firestore::ApiError::invalid_argument("every message of a stream names its database " +
                                               bidi.database + ", not " + name);
}

firestore::GrpcRequest FirestoreProxy::stream_request(const BidiCall& bidi,
                                                      std::string_view message) const {
  return {bidi.view.target, message, bidi.view.headers, bidi.database};
}

void FirestoreProxy::refuse_message(BidiCall& bidi, Exchange& exchange,
                                    const firestore::ApiError& error) {
  auto& record = exchange.record;
  record.status = static_cast<unsigned>(grpc_code(error));
  record.decision = decision_label(error);
  record.error = error.message;
  finish_message(exchange);
  end_bidi(bidi, grpc_code(error), error.message);
}

}  // namespace firewarden::proxy
