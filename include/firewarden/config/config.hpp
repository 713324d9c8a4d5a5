#pragma once
// The daemon's configuration (SPEC §2): loaded once from YAML, validated field
// by field and across fields, then immutable and shared as
// std::shared_ptr<const Config> (STYLE.md 5). Any error refuses the whole file;
// every error is reported at once as FILE:LINE:COL naming the key path.
//
// Conventions the loader applies (config/firewarden.example.yaml documents
// them for operators):
// - Unknown and duplicate keys are errors; a null value (`key:`) reads as absent.
// - For optional string keys (fixed_id, ca_file, credentials.file,
//   credentials.token, firestore.endpoint) the empty string means "not set".
// - Relative file paths are resolved against the directory of the config file.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "firewarden/config/address.hpp"
#include "firewarden/yaml/diagnostic.hpp"
#include "firewarden/yaml/env_lookup.hpp"

namespace firewarden::config {

// The YAML reading vocabulary, part of this interface (load results carry
// diagnostics, loads take an environment).
using yaml::Diagnostic;
using yaml::Diagnostics;
using yaml::EnvLookup;

// The process environment (getenv at each lookup), for the daemon's loads.
EnvLookup process_environment();

enum class TlsVersion { tls1_2, tls1_3 };
enum class IdentityMode { mtls, xfcc, fixed };
enum class CredentialsType { external_account, metadata, service_account_key, static_token, none };
enum class LogLevel { trace, debug, info, warn, error };
// gcp: JSON with Cloud Logging's structured fields (severity, httpRequest, trace).
enum class LogFormat { json, text, gcp };
// logging.document_paths: how access lines show the documents a request names.
enum class DocumentPaths { full, hash, omit };
// enforce: a policy deny is refused (403). audit: decided, logged and counted
// exactly as in enforce, but forwarded (rolling out a policy on live traffic).
enum class Enforcement { enforce, audit };

// The spelling used in the config file: "1.2", "mtls", "static", "warn", "json".
std::string_view to_string(TlsVersion value);
std::string_view to_string(IdentityMode value);
std::string_view to_string(CredentialsType value);
std::string_view to_string(LogLevel value);
std::string_view to_string(LogFormat value);
std::string_view to_string(DocumentPaths value);
std::string_view to_string(Enforcement value);

struct ListenerTls {
  std::string cert_file;  // serving certificate chain (PEM); required
  std::string key_file;   // its private key (PEM); required
  // Trust bundle (PEM roots) of the one trust domain in identity.trust_domains;
  // empty when identity.trust_bundles gives each trust domain its own.
  std::string client_ca_file;
  TlsVersion min_version = TlsVersion::tls1_2;
};

// firestore.endpoint, split up. The path is always empty.
struct UpstreamEndpoint {
  std::string url;   // normalized: "https://firestore.googleapis.com", no trailing '/'
  bool tls = true;   // https
  std::string host;  // name or IP literal, without brackets; for SNI and connect
  std::uint16_t port = 443;
  std::string authority;  // host[:port] as written (IPv6 bracketed): the Host header
};

struct Config {
  std::string source_file;  // the file this was loaded from (as given)
  // Where each key given in the file stands ("firestore.connect_timeout",
  // "identity.trust_domains[1]"), so later stages (binding the listener,
  // opening files) can still point at FILE:LINE:COL.
  using Position = yaml::Position;
  yaml::Positions positions;
  // "FILE:LINE:COL: KEY: MESSAGE" at `key`'s position (line 0 when unknown).
  Diagnostic diagnostic(std::string_view key, const std::string& message) const;

  struct Listener {
    SocketAddress address;           // default 0.0.0.0:8443
    std::optional<ListenerTls> tls;  // set exactly when identity.mode is mtls
  } listener;

  struct Identity {
    IdentityMode mode = IdentityMode::mtls;
    std::vector<std::string> trust_domains{"cluster.local"};  // non-empty, no duplicates
    // mtls with several trust domains (SPIFFE federation): the trust bundle
    // file of each, by trust domain, instead of listener.tls.client_ca_file.
    // When set, its trust domains are exactly identity.trust_domains.
    std::map<std::string, std::string, std::less<>> trust_bundles;
    std::string path_template = "/ns/{namespace}/sa/{service_account}";
    // IDs that do not fit path_template are refused (401); false: they
    // authenticate without a namespace and service account.
    bool require_template = true;
    struct Xfcc {
      // Only these TCP peers may send x-forwarded-client-cert. Used in xfcc
      // mode only; a non-default value in another mode is refused.
      std::vector<Cidr> trusted_peers;  // default 127.0.0.1/32, ::1/128
    } xfcc;
    std::string fixed_id;  // mode fixed: the identity of every request; else empty
  } identity;

  struct Policy {
    std::string file = "/etc/firewarden/policy.yaml";
    Enforcement enforcement = Enforcement::enforce;
  } policy;

  // How often policy and certificate files are checked for changes.
  std::chrono::milliseconds reload_interval{2000};

  struct Firestore {
    UpstreamEndpoint endpoint;  // default https://firestore.googleapis.com
    // True when firestore.endpoint was unset and FIRESTORE_EMULATOR_HOST supplied it.
    bool endpoint_from_emulator_host = false;
    std::string project;                              // required
    std::vector<std::string> databases{"(default)"};  // non-empty, no duplicates
    std::string ca_file;                              // empty: the system trust store (https only)
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{60000};
    std::uint32_t max_idle_connections = 64;
  } firestore;

  struct Credentials {
    CredentialsType type = CredentialsType::external_account;
    // external_account / service_account_key: the credentials JSON file; from
    // $GOOGLE_APPLICATION_CREDENTIALS when not set in the file. Else empty.
    std::string file;
    bool file_from_environment = false;
    std::string token;  // type static only (never logged)
    std::vector<std::string> scopes{"https://www.googleapis.com/auth/datastore"};
    std::chrono::milliseconds token_lifetime{std::chrono::hours(1)};
    std::chrono::milliseconds refresh_margin{std::chrono::minutes(5)};
    std::chrono::milliseconds min_validity{std::chrono::seconds(60)};
    // Where per-namespace impersonation calls generateAccessToken (e.g. a
    // Private Service Connect name); https only, since it receives a
    // cloud-platform token. Default https://iamcredentials.googleapis.com.
    UpstreamEndpoint iam_credentials_endpoint;
    // True when $FIREWARDEN_IAM_CREDENTIALS_ENDPOINT (a test hook; plain
    // http allowed) replaced it.
    bool iam_credentials_endpoint_from_environment = false;
  } credentials;

  struct Admin {
    SocketAddress address;  // default 127.0.0.1:9901
    bool enable_quit = false;
    // false: a token outage fails only the data path (503 UNAVAILABLE), not
    // /readyz — for sidecars, where a failing readiness takes the pod out.
    bool readiness_requires_token = true;
  } admin;

  struct Limits {
    std::uint32_t max_connections = 10000;
    std::uint64_t max_header_bytes = std::uint64_t{16} << 10;  // 16KiB
    std::uint64_t max_body_bytes = std::uint64_t{10} << 20;    // 10MiB
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};
    // From this share of max_connections open, the timeouts are cut (overload).
    std::uint32_t overload_threshold_percent = 80;
    std::chrono::milliseconds shutdown_delay{0};
    std::chrono::milliseconds shutdown_grace{20000};
    // HTTP/2 connections (the data-plane listener).
    struct Http2 {
      std::uint32_t max_concurrent_streams = 100;
      // Client resets of unanswered streams, at once (refilled by a tenth
      // per second): beyond it, rapid reset; the connection ends.
      std::uint32_t reset_budget = 200;
      // SETTINGS, PING, PRIORITY and empty frames, the same way.
      std::uint32_t control_frame_budget = 1000;
      // Live targets one Listen stream may hold; an add beyond them is
      // removed with RESOURCE_EXHAUSTED.
      std::uint32_t max_listen_targets = 1000;
      // A bidirectional stream (Listen, Write) ends after this with
      // UNAVAILABLE; the client reconnects and its targets are decided again.
      std::chrono::milliseconds max_stream_duration{3600000};
    } http2;
  } limits;

  struct Logging {
    LogLevel level = LogLevel::info;
    LogFormat format = LogFormat::json;
    DocumentPaths document_paths = DocumentPaths::full;
    bool access_log = true;
  } logging;

  unsigned threads = 0;  // 0 = one per core

  Config();  // every default of SPEC §2 (project empty, so not valid as is)
};

// A file the config names, so `firewarden check` can verify it exists and is
// readable: report problems with config.diagnostic(file.key, message).
struct ReferencedFile {
  std::string key;   // "listener.tls.cert_file"
  std::string path;  // as the daemon will open it (relative paths resolved)
};

// Policy file, listener.tls files, identity.trust_bundles,
// firestore.ca_file and credentials.file, each when set.
std::vector<ReferencedFile> referenced_files(const Config& config);

// mtls: the trust bundle of one trust domain, against which (and only which)
// client certificates naming that trust domain are verified.
struct TrustBundleFile {
  std::string trust_domain;  // "cluster.local"
  std::string key;           // the key naming the file, for diagnostics
  std::string path;          // as the daemon will open it
};

// mtls: identity.trust_bundles, or listener.tls.client_ca_file as the bundle
// of the one trust domain. Empty in the other modes.
std::vector<TrustBundleFile> client_trust_bundles(const Config& config);

using LoadResult = std::variant<std::shared_ptr<const Config>, Diagnostics>;

// A value given outside the file (`--set`, FIREWARDEN_* environment), put
// into the document before it is read, so it is checked exactly like the
// file's own value. Applied in order: a later override of a key wins.
struct Override {
  std::string origin;  // "--set" or "env FIREWARDEN_FIRESTORE_PROJECT": names it in errors
  std::string key;     // "firestore.project", "identity.xfcc.trusted_peers"
  std::string value;   // YAML: "my-project", "[a, b]", "{a.example: a.pem}"; "" = unset
};
using Overrides = std::vector<Override>;

// `file_name` names the text in diagnostics; relative paths in the config are
// resolved against its directory. `env` serves ${VAR} expansion,
// FIRESTORE_EMULATOR_HOST and GOOGLE_APPLICATION_CREDENTIALS.
LoadResult load_config_text(const std::string& text, const std::string& file_name,
                            const EnvLookup& env, const Overrides& overrides = {});
// Reads `path` (an unreadable file is one diagnostic with line 0) and loads it;
// relative paths in the config are resolved against the file's absolute
// directory.
LoadResult load_config_file(const std::string& path, const EnvLookup& env,
                            const Overrides& overrides = {});

}  // namespace firewarden::config
