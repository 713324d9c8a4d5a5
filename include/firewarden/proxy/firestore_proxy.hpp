#pragma once
// The data path for one request (DESIGN.md): identity -> classify -> decide
// -> token -> forward, with the error mapping of SPEC §7, metrics and one
// access log line. Everything refused is answered here and never reaches
// upstream.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "firewarden/config/config.hpp"
#include "firewarden/credentials/token_provider.hpp"
#include "firewarden/firestore/classify.hpp"
#include "firewarden/firestore/grpc_listen.hpp"
#include "firewarden/identity/identity_rules.hpp"
#include "firewarden/net/http2_client.hpp"
#include "firewarden/net/response_sink.hpp"
#include "firewarden/net/server.hpp"
#include "firewarden/proxy/grpc_response_cut.hpp"
#include "firewarden/proxy/grpc_status.hpp"
#include "firewarden/proxy/policy_store.hpp"
#include "firewarden/proxy/response_cut.hpp"
#include "firewarden/proxy/upstream_pool.hpp"
#include "firewarden/telemetry/access_log.hpp"
#include "firewarden/telemetry/metric_catalogue.hpp"
#include "firewarden/telemetry/metrics.hpp"

namespace firewarden::proxy {

struct ProxyOptions {
  config::IdentityMode mode = config::IdentityMode::mtls;
  identity::IdentityRules identity_rules;
  std::vector<config::Cidr> trusted_peers;           // xfcc
  std::optional<identity::Identity> fixed_identity;  // fixed
  firestore::Scope scope;
  std::string upstream_authority;         // Host header sent upstream (:authority for gRPC)
  std::string upstream_scheme = "https";  // :scheme of gRPC calls upstream
  std::chrono::milliseconds request_timeout{60000};
  std::chrono::milliseconds client_write_timeout{60000};
  // The largest write response read whole to be cut (SPEC §4); larger ones
  // get 502. limits.max_body_bytes: a cut response may take the memory a
  // request body may.
  std::uint64_t max_cut_response_bytes = std::uint64_t{10} << 20;
  // The largest gRPC request message (limits.max_body_bytes): larger ones
  // get RESOURCE_EXHAUSTED.
  std::uint64_t max_body_bytes = std::uint64_t{10} << 20;
  // policy.enforcement: audit forwards what the policy denies (decided,
  // logged and counted as a deny all the same).
  config::Enforcement enforcement = config::Enforcement::enforce;
  // logging.document_paths: how access lines show the documents requested.
  config::DocumentPaths document_paths = config::DocumentPaths::full;
  // limits.http2: live targets per Listen stream, and how long a Listen or
  // Write stream may last (they are not bounded by request_timeout).
  std::uint32_t max_listen_targets = 1000;
  std::chrono::milliseconds max_stream_duration{3600000};
  // limits.shutdown_grace: while draining, a bidirectional stream ends with
  // UNAVAILABLE before this has passed.
  std::chrono::milliseconds shutdown_grace{20000};
};

// mtls: what a connection's client certificate proves, decided once after
// the handshake (FirestoreProxy::on_connected).
struct CertificateIdentity final : transport::ConnectionState {
  std::optional<identity::Identity> identity;
  std::string error;  // why there is none: the identity module's stable label
  // The certificate's serial and SHA-256 fingerprint (lowercase hex), for
  // the access log; set whether or not the certificate was accepted.
  std::optional<std::string> serial;
  std::optional<std::string> sha256;
};

// xfcc: the identity the connection's last x-forwarded-client-cert gave.
// A mesh hop sends the same header on request after request of one client;
// reading it is a tenth of a GET's cost, so an identical header reuses the
// answer (identity_from_xfcc is a pure function of the header and the
// startup configuration). Only accepted identities are kept: a refused
// header is read, counted and logged every time. Touched only on the
// connection's executor (its streams run there one at a time).
struct XfccIdentity final : transport::ConnectionState {
  std::string header;
  std::shared_ptr<const identity::Identity> identity;
};

struct GrpcCall;  // one gRPC call's bookkeeping (src/proxy/grpc_call.hpp)
struct BidiCall;  // one Listen or Write stream's (src/proxy/grpc_bidi.hpp)

class FirestoreProxy final : public transport::RequestHandler {
 public:
  FirestoreProxy(ProxyOptions options, const PolicyStore& policies,
                 credentials::TokenProvider& tokens, UpstreamPool& upstream,
                 const telemetry::MetricCatalogue& metrics, const telemetry::AccessLog& access_log);

  std::unique_ptr<transport::ConnectionState> on_connected(const transport::Connection& connection,
                                                           SSL* ssl) override;
  net::awaitable<bool> handle(transport::Connection& connection, transport::Request& request,
                              transport::ClientStream& client) override;
  // An HTTP/2 stream: a gRPC call (grpc_exchange.cpp, grpc_relay.cpp) or a
  // REST request (rest_stream.cpp).
  net::awaitable<void> handle_stream(transport::Connection& connection,
                                     transport::Http2Stream& stream) override;
  // The HTTP/2 pool gRPC calls are forwarded on; without one they get
  // UNAVAILABLE. Must outlive the proxy.
  void set_grpc_upstream(transport::Http2Client* upstream) { grpc_upstream_ = upstream; }
  void on_handshake_failed(const transport::Connection& connection,
                           const std::string& reason) override;
  http::response<http::string_body> on_unreadable_request(
      const transport::Connection& connection,
      const transport::UnreadableRequest& unreadable) override;

  // While draining, new requests get 503 and connections close after their
  // current response.
  void set_draining(bool draining) { draining_ = draining; }

  struct Exchange;  // one request's bookkeeping (src/proxy/exchange.hpp)

 private:
  // The record of a request just read: its ids (x-request-id, traceparent),
  // peer, HTTP method and size (exchange.cpp).
  Exchange open_exchange(const transport::Connection& connection,
                         const firestore::HttpRequest& request) const;
  // The caller's identity: the connection's (mtls), the configured one
  // (fixed), or one read from the request, held by `from_header` (xfcc).
  std::variant<const identity::Identity*, firestore::ApiError> identify(
      const transport::Connection& connection, const firestore::HttpRequest& request,
      std::shared_ptr<const identity::Identity>& from_header) const;
  // The request model of an origin-form request (recorded: method and
  // requirements), or why there is none.
  std::variant<firestore::RequestModel, firestore::ApiError> classify_request(
      Exchange& exchange, const firestore::HttpRequest& request) const;
  // Records what a classified request requires (method, documents,
  // requirements) on its access line.
  void record_model(Exchange& exchange, const firestore::RequestModel& model) const;
  // Records and counts the policy's decision; the refusal to answer with
  // when the request may not be forwarded (audit mode forwards a deny).
  std::optional<firestore::ApiError> enforce(Exchange& exchange, const identity::Identity& who,
                                             const policy::Decision& decision);
  // Whether a decision keeps the request from upstream (enforce's test,
  // without its records).
  bool refuses(const policy::Decision& decision) const;
  // A REST request read whole, from either protocol, to its one response
  // in `sink` (firestore_proxy.cpp). Returns whether the response was
  // written whole; the sink says whether the connection may stay open.
  net::awaitable<bool> serve_rest(transport::Connection& connection, transport::Request& request,
                                  std::uint64_t request_number, transport::ResponseSink& sink);
  // A REST request on an HTTP/2 stream (rest_stream.cpp): read whole, then
  // served as over HTTP/1.1.
  net::awaitable<void> serve_rest_stream(transport::Connection& connection,
                                         transport::Http2Stream& stream);
  // Sends the request upstream and relays the answer (upstream_exchange.cpp).
  net::awaitable<bool> forward(Exchange& exchange, transport::Request& request,
                               firestore::RequestModel& model, const std::string& token,
                               std::optional<WriteResponse> cut, transport::ResponseSink& sink);
  // A successful write response the caller may not see whole: read within
  // max_cut_response_bytes, cut, and sent with its own length
  // (write_response_relay.cpp).
  net::awaitable<bool> relay_cut_response(Exchange& exchange,
                                          std::unique_ptr<UpstreamConnection>& connection,
                                          std::optional<OperationDeadline>& deadline,
                                          http::response_parser<http::buffer_body>& parser,
                                          WriteResponse shape, transport::ResponseSink& sink);
  // Every other response, streamed through (relay.cpp).
  net::awaitable<bool> relay_response(Exchange& exchange,
                                      std::unique_ptr<UpstreamConnection>& connection,
                                      std::optional<OperationDeadline>& deadline,
                                      http::response_parser<http::buffer_body>& parser,
                                      transport::ResponseSink& sink);
  net::awaitable<bool> relay_sized_body(Exchange& exchange, UpstreamConnection& connection,
                                        OperationDeadline& deadline, std::uint64_t length,
                                        transport::ResponseSink& sink);
  net::awaitable<bool> relay_parsed_body(Exchange& exchange, UpstreamConnection& connection,
                                         OperationDeadline& deadline,
                                         http::response_parser<http::buffer_body>& parser,
                                         transport::ResponseSink& sink);
  // Answers a refused request in Google's error shape and finishes it.
  net::awaitable<bool> respond_error(Exchange& exchange, const firestore::ApiError& error,
                                     transport::ResponseSink& sink);
  // Counts the exchange and writes its access line (exchange.cpp).
  void finish(Exchange& exchange);

  // gRPC (grpc_exchange.cpp): the call from its path to the decision.
  net::awaitable<void> serve_grpc(transport::Connection& connection, GrpcCall& call,
                                  const firestore::HttpRequest& view);
  // content: POST, no compression, grpc-timeout (which sets the deadline).
  std::optional<firestore::ApiError> check_call_headers(GrpcCall& call,
                                                        const firestore::HttpRequest& view) const;
  // The call's one request message, read whole within max_body_bytes.
  net::awaitable<std::variant<std::string, firestore::ApiError>> read_request_message(
      GrpcCall& call);
  // Answers a refused call with its gRPC status (trailers-only for unary
  // calls, headers then trailers for server-streaming ones) and finishes it.
  net::awaitable<void> refuse(GrpcCall& call, const firestore::ApiError& error);
  void finish_cancelled(GrpcCall& call, std::string_view why);
  static transport::HeaderList grpc_response_headers();
  // gRPC (grpc_relay.cpp): the call upstream and its response back.
  transport::HeaderList upstream_grpc_headers(const GrpcCall& call,
                                              const firestore::HttpRequest& view,
                                              const firestore::RequestModel& model,
                                              const std::string& token) const;
  net::awaitable<void> forward_grpc(GrpcCall& call, const firestore::HttpRequest& view,
                                    const firestore::RequestModel& model, const std::string& token,
                                    std::optional<GrpcWriteResponse> cut);
  net::awaitable<void> relay_grpc_response(GrpcCall& call, transport::Http2ClientStream& upstream,
                                           std::optional<GrpcWriteResponse> cut);
  net::awaitable<std::optional<firestore::ApiError>> relay_grpc_messages(
      GrpcCall& call, transport::Http2ClientStream& upstream, std::optional<GrpcWriteResponse> cut,
      std::string& last);
  firestore::ApiError cut_refusal(GrpcCall& call, const std::string& why) const;

  // gRPC bidirectional streams (grpc_bidi.cpp): Listen and Write, message
  // by message, between the identity check and the stream's end.
  net::awaitable<void> serve_bidi(GrpcCall& call, const firestore::HttpRequest& view,
                                  const identity::Identity& who);
  net::awaitable<void> pump_client_messages(BidiCall& bidi);
  net::awaitable<void> pump_messages(BidiCall& bidi);
  net::awaitable<void> relay_upstream_messages(BidiCall& bidi);
  net::awaitable<void> write_client_messages(BidiCall& bidi);
  net::awaitable<void> watch_stream(BidiCall& bidi);
  // Ends the stream with our status, or with the upstream's trailers; the
  // writer sends them. Never waits; the first call decides.
  void end_bidi(BidiCall& bidi, GrpcCode code, std::string_view message);
  void end_bidi_with(BidiCall& bidi, transport::HeaderList trailers, unsigned status);
  // The stream's side of a failure (no lambdas in these coroutines: GCC 12
  // miscompiles a coroutine lambda's captures by reference).
  void upstream_failed(BidiCall& bidi, const boost::system::error_code& error);
  void client_failed(BidiCall& bidi, const boost::system::error_code& error);
  // A message refused: its line says why, and the stream ends with it.
  void refuse_message(BidiCall& bidi, Exchange& exchange, const firestore::ApiError& error);
  // Hands a framed message to the writer; false once the stream ended.
  net::awaitable<bool> send_to_client(BidiCall& bidi, std::string framed);
  // Sends a decided message upstream, opening the upstream stream with the
  // first one (token of `decision`, routing metadata of `model`); false
  // when the stream ended instead.
  net::awaitable<bool> send_upstream(BidiCall& bidi, const firestore::RequestModel& model,
                                     const policy::Decision& decision);
  net::awaitable<bool> write_upstream(BidiCall& bidi, std::string_view message);
  // A stream message's own exchange: the stream's, without its decision.
  Exchange message_exchange(const BidiCall& bidi, std::string what) const;
  // Counts a decided stream message and writes its access line.
  void finish_message(Exchange& exchange);
  // The refusal of a stream message: the policy's (as enforce), or one of
  // its own when the message's upstream identity differs from the stream's.
  std::optional<firestore::ApiError> enforce_message(BidiCall& bidi, Exchange& exchange,
                                                     const policy::Decision& decision);
  // The stream's database: the first message's; later ones must agree.
  std::optional<firestore::ApiError> check_stream_database(BidiCall& bidi,
                                                           const firestore::RequestModel& model);
  firestore::GrpcRequest stream_request(const BidiCall& bidi, std::string_view message) const;
  // Listen (grpc_listen.cpp) and Write (grpc_write_stream.cpp).
  net::awaitable<void> on_listen_message(BidiCall& bidi, std::string_view message);
  net::awaitable<void> add_listen_target(BidiCall& bidi, firestore::ListenAdd add);
  net::awaitable<void> remove_listen_target(BidiCall& bidi, std::int32_t target_id,
                                            std::string_view message);
  // Decides every live target again under the policy in force now.
  net::awaitable<void> recheck_listen_targets(BidiCall& bidi);
  net::awaitable<void> on_write_message(BidiCall& bidi, std::string_view message);

  ProxyOptions options_;
  const PolicyStore& policies_;
  credentials::TokenProvider& tokens_;
  UpstreamPool& upstream_;
  const telemetry::AccessLog& access_log_;
  std::atomic<bool> draining_{false};
  transport::Http2Client* grpc_upstream_ = nullptr;

  telemetry::Family<telemetry::Counter>& requests_total_;
  telemetry::Family<telemetry::Histogram>& request_duration_;  // method, decision
  // Unlabelled: the one histogram of the family, looked up once.
  telemetry::Histogram& upstream_duration_;
  telemetry::Family<telemetry::Counter>& rule_matches_;
  telemetry::Family<telemetry::Counter>& dry_run_verdicts_;  // rule, verdict
  telemetry::Counter& upstream_reused_;  // firewarden_upstream_connections_total
  telemetry::Counter& upstream_new_;
  telemetry::Family<telemetry::Counter>& handshake_failures_;
  // xfcc: forwarded identities refused with 401, by the identity error reason.
  telemetry::Family<telemetry::Counter>& identity_refusals_;
  telemetry::Family<telemetry::Counter>& stream_messages_;  // method, decision
  telemetry::Gauge& listen_targets_;
};

}  // namespace firewarden::proxy
