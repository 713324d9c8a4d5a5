#pragma once
// One adversarial corpus case (tests/corpus/**/*.case, format in
// tests/corpus/README.md): how to connect, the raw bytes to send and what
// must come back — and what must not have happened upstream.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace firewarden::corpus {

// A run of bytes to send, then a pause before the next run.
struct Segment {
  std::string bytes;
  std::chrono::milliseconds pause{0};
  bool renegotiate = false;  // after the pause: ask for a TLS renegotiation
};

// What the placeholders of a case expand to for one run.
struct Expansion {
  std::string project;
};

enum class UpstreamCheck {
  untouched,  // the emulator's documents are exactly as seeded
  unreached,  // untouched, and a recording upstream receives nothing
  changed,    // the emulator's documents changed (positive controls)
  any,
};

struct Seed {
  std::string path;    // document path below documents/
  std::string fields;  // Firestore `fields` JSON
};

struct CorpusCase {
  std::string file;
  std::string mode = "fixed";                                               // fixed | mtls | xfcc
  std::string identity = "spiffe://cluster.local/ns/orders/sa/orders-api";  // fixed mode
  std::string client_cert = "orders";  // mtls: dev-certs name, or "none"
  std::string transport;               // "" (TLS in mode mtls, else plain) | plain
  std::string tls_version;             // "" (library default) | 1.0 | 1.1 | 1.2 | 1.3
  // The request is also sent over HTTP/2 (one stream; TLS with ALPN h2 in
  // mtls mode, prior knowledge otherwise) and must be answered the same.
  bool h2 = false;
  int client_chain =
      0;  // > 0: a valid SVID behind this many intermediate CAs (instead of client_cert)
  std::optional<bool> renegotiation_refused;         // expected outcome of ${renegotiate}
  std::string trusted_peers = "[\"127.0.0.1/32\"]";  // xfcc: identity.xfcc.trusted_peers
  std::string limits = "{shutdown_grace: 3s}";
  std::vector<Seed> seeds;
  // Expected response statuses in order; empty with `expect_none`.
  std::vector<int> expect;
  bool expect_none = false;  // no HTTP response at all
  bool expect_handshake_refused = false;
  std::optional<bool> closed;  // the server closes the connection (or keeps it open)
  std::optional<std::chrono::milliseconds> closed_within;
  std::chrono::milliseconds wait{5000};
  std::vector<std::string> body_contains;
  std::vector<std::string> body_lacks;
  // Header fields (lowercase) that must not reach upstream: the case also
  // runs against a recording upstream, which must receive requests without them.
  std::vector<std::string> forwarded_lacks;
  std::vector<std::string> metrics;  // lines /metrics must contain afterwards
  UpstreamCheck upstream = UpstreamCheck::unreached;
  std::string request;  // raw text, placeholders unexpanded
  std::string body;     // raw text of the `--- body` section
};

// Reads a case file; throws std::runtime_error "FILE:LINE: message".
CorpusCase load_case(const std::string& path);

// The request (and body) as segments to send.
std::vector<Segment> expand_request(const CorpusCase& c, const Expansion& expansion);

// Expands placeholders in one piece of text (exposed for seeds and tests).
std::vector<Segment> expand(std::string_view text, const Expansion& expansion,
                            const std::string& body_length);

}  // namespace firewarden::corpus
