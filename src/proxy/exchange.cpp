// Opening, answering and closing one exchange: the record every step writes
// into, the error answer (Google's error shape, SPEC §7), and the metrics
// and access line each exchange ends with, however it ends.
#include "exchange.hpp"

#include <charconv>

#include "firewarden/proxy/error_response.hpp"
#include "firewarden/telemetry/trace.hpp"
#include "firewarden/text/ascii.hpp"

namespace firewarden::proxy {

namespace {

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// A trace header's value; a repeated one is passed as "", which no trace
// format accepts: two values cannot both name the caller's span.
std::optional<std::string_view> trace_header(const firestore::HttpRequest& request,
                                             std::string_view name) {
  bool repeated = false;
  const auto value = single_header(request, name, repeated);
  if (value && repeated) return std::string_view();
  return value;
}

// Every User-Agent value, joined as a repeated field is (RFC 9110 §5.3);
// none or only empty ones: no value.
std::optional<std::string> user_agent(const firestore::HttpRequest& request) {
  std::optional<std::string> joined;
  for (const auto& [name, value] : request.headers) {
    if (value.empty() || !text::iequals(name, "user-agent")) continue;
    if (joined) {
      *joined += ", ";
      *joined += value;
    } else {
      joined.emplace(value);
    }
  }
  return joined;
}

}  // namespace

std::string decision_label(const firestore::ApiError& error) {
  return error.http_status == 403 ? "deny" : "error";
}

void fail(FirestoreProxy::Exchange& exchange, std::string_view what, std::string_view why) {
  auto& error = exchange.record.error;
  error.assign(what);
  error += ": ";
  error += why;
}

void fail(FirestoreProxy::Exchange& exchange, std::string_view what,
          const boost::system::error_code& error) {
  fail(exchange, what, error.message());
}

std::optional<std::string_view> single_header(const firestore::HttpRequest& request,
                                              std::string_view name, bool& repeated) {
  std::optional<std::string_view> value;
  repeated = false;
  for (const auto& [field, field_value] : request.headers) {
    if (!text::iequals(field, name)) continue;
    if (value) repeated = true;
    value = field_value;
  }
  return value;
}

firestore::HttpRequest request_view(const transport::Request& request) {
  firestore::HttpRequest view{request.method_string(), request.target(), {}, request.body()};
  view.headers.reserve(static_cast<std::size_t>(std::distance(request.begin(), request.end())));
  for (const auto& field : request) view.headers.emplace_back(field.name_string(), field.value());
  return view;
}

// IPv4, the common case, is formatted by hand: address::to_string() (inet_ntop
// and two temporaries) was ~2,000 instructions per request.
std::string peer_string(const net::ip::tcp::endpoint& peer) {
  const auto address = peer.address();
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(peer.port());
  char text[24];  // "255.255.255.255:65535"
  char* end = text;
  for (const unsigned char octet : address.to_v4().to_bytes()) {
    end = std::to_chars(end, text + sizeof text, octet).ptr;
    *end++ = '.';
  }
  end[-1] = ':';
  end = std::to_chars(end, text + sizeof text, peer.port()).ptr;
  return std::string(text, end);
}

FirestoreProxy::Exchange FirestoreProxy::open_exchange(
    const transport::Connection& connection, const firestore::HttpRequest& request) const {
  Exchange exchange;
  exchange.connection_id = connection.id;
  exchange.request_number = connection.requests;
  auto& record = exchange.record;
  bool repeated = false;
  const auto client_request_id = single_header(request, "x-request-id", repeated);
  record.request_id =
      client_request_id && !repeated && telemetry::is_acceptable_request_id(*client_request_id)
          ? std::string(*client_request_id)
          : telemetry::new_request_id();
  exchange.trace = telemetry::continue_trace(trace_header(request, "traceparent"),
                                             trace_header(request, "x-cloud-trace-context"));
  record.trace_id = exchange.trace.trace_id;
  record.span_id = exchange.trace.span_id;
  record.parent_span_id = exchange.trace.caller_span_id;
  record.peer = peer_string(connection.peer);
  if (const auto* certificate = dynamic_cast<const CertificateIdentity*>(connection.state.get())) {
    record.peer_certificate_serial = certificate->serial;
    record.peer_certificate_sha256 = certificate->sha256;
  }
  record.user_agent = user_agent(request);
  record.enforcement = config::to_string(options_.enforcement);
  record.http_method = std::string(request.method);
  record.method = record.http_method;
  record.bytes_in = request.body.size();
  // The path names documents: logged (gcp's requestUrl) only when
  // logging.document_paths shows them in full; the query is left out.
  if (options_.document_paths == config::DocumentPaths::full) {
    const std::string_view target = request.target;
    record.request_url = std::string(target.substr(0, target.find('?')));
  }
  return exchange;
}

net::awaitable<bool> FirestoreProxy::respond_error(Exchange& exchange,
                                                   const firestore::ApiError& error,
                                                   transport::ResponseSink& sink) {
  auto& record = exchange.record;
  record.status = static_cast<unsigned>(error.http_status);
  // A deny forwarded in audit mode stays a deny when upstream then fails.
  if (record.decision != "deny") record.decision = decision_label(error);
  record.error = error.message;
  auto response = error_response(error, 11, true);  // the sink sets the framing
  response.set("x-request-id", exchange.request_id());
  record.bytes_out = response.body().size();
  const auto write_error = co_await sink.write_response(response, !draining_);
  finish(exchange);
  co_return !write_error;
}

void FirestoreProxy::finish(Exchange& exchange) {
  auto& record = exchange.record;
  if (record.decision.empty()) record.decision = "error";
  const double elapsed_ms = milliseconds_since(exchange.started);
  record.duration_ms = elapsed_ms;
  requests_total_
      .with({exchange.metric_method, record.decision, std::to_string(record.status),
             std::string(record.protocol)})
      .increment();
  request_duration_.with({exchange.metric_method, record.decision}).observe(elapsed_ms / 1000);
  access_log_.write(record);
}

void FirestoreProxy::on_handshake_failed(const transport::Connection& connection,
                                         const std::string& reason) {
  access_log_.write_handshake_failure(connection.id, peer_string(connection.peer), reason);
}

http::response<http::string_body> FirestoreProxy::on_unreadable_request(
    const transport::Connection& connection, const transport::UnreadableRequest& unreadable) {
  // Google's error shape: 413 for a body too large, else INVALID_ARGUMENT
  // (the status line says 431 for a head too large; the access line 400).
  const auto error = unreadable.status == 413
                         ? firestore::ApiError::payload_too_large(unreadable.reason)
                         : firestore::ApiError::invalid_argument(unreadable.reason);
  Exchange exchange;
  exchange.connection_id = connection.id;
  auto& record = exchange.record;
  record.request_id = telemetry::new_request_id();
  record.peer = peer_string(connection.peer);
  record.method = "unknown";
  record.enforcement = config::to_string(options_.enforcement);
  record.status = static_cast<unsigned>(error.http_status);
  record.decision = "error";
  record.error = error.message;
  finish(exchange);
  auto response = error_response(error, 11, false);
  response.result(unreadable.status);
  return response;
}

}  // namespace firewarden::proxy
