#pragma once
// Syntax checks for single config values (private to the config module).
// Each check returns std::nullopt when the value is fine, else a phrase that
// the loader appends to "KEY: ".
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "firewarden/config/config.hpp"
#include "firewarden/yaml/fields.hpp"

namespace firewarden::config::detail {

using yaml::Choice;
using yaml::name_of;

inline constexpr std::array kTlsVersions{Choice<TlsVersion>{"1.2", TlsVersion::tls1_2},
                                         Choice<TlsVersion>{"1.3", TlsVersion::tls1_3}};
inline constexpr std::array kIdentityModes{Choice<IdentityMode>{"mtls", IdentityMode::mtls},
                                           Choice<IdentityMode>{"xfcc", IdentityMode::xfcc},
                                           Choice<IdentityMode>{"fixed", IdentityMode::fixed}};
inline constexpr std::array kCredentialsTypes{
    Choice<CredentialsType>{"external_account", CredentialsType::external_account},
    Choice<CredentialsType>{"metadata", CredentialsType::metadata},
    Choice<CredentialsType>{"service_account_key", CredentialsType::service_account_key},
    Choice<CredentialsType>{"static", CredentialsType::static_token},
    Choice<CredentialsType>{"none", CredentialsType::none}};
inline constexpr std::array kLogLevels{
    Choice<LogLevel>{"trace", LogLevel::trace}, Choice<LogLevel>{"debug", LogLevel::debug},
    Choice<LogLevel>{"info", LogLevel::info}, Choice<LogLevel>{"warn", LogLevel::warn},
    Choice<LogLevel>{"error", LogLevel::error}};
inline constexpr std::array kLogFormats{Choice<LogFormat>{"json", LogFormat::json},
                                        Choice<LogFormat>{"text", LogFormat::text},
                                        Choice<LogFormat>{"gcp", LogFormat::gcp}};
inline constexpr std::array kDocumentPaths{Choice<DocumentPaths>{"full", DocumentPaths::full},
                                           Choice<DocumentPaths>{"hash", DocumentPaths::hash},
                                           Choice<DocumentPaths>{"omit", DocumentPaths::omit}};
inline constexpr std::array kEnforcements{Choice<Enforcement>{"enforce", Enforcement::enforce},
                                          Choice<Enforcement>{"audit", Enforcement::audit}};

// SPIFFE trust domain name: lowercase [a-z0-9._-], non-empty (SPEC §3).
std::optional<std::string> check_trust_domain(std::string_view text);
// A workload SPIFFE ID per SPEC §3: spiffe://TRUST_DOMAIN/PATH with a
// non-empty path of [A-Za-z0-9._-] segments, none "." or "..", at most 2048
// bytes. On success `trust_domain` is set.
std::optional<std::string> check_spiffe_id(std::string_view text, std::string& trust_domain);
// "/"-separated non-empty segments; a segment is a literal of the SPIFFE path
// charset or exactly {namespace} / {service_account}, each at most once.
std::optional<std::string> check_path_template(std::string_view text);
// A Google Cloud project id; legacy domain-scoped ids ("example.com:p") allowed.
std::optional<std::string> check_project_id(std::string_view text);
// "(default)" or a Firestore database id.
std::optional<std::string> check_database_id(std::string_view text);
// An OAuth scope: non-empty, no whitespace or control characters.
std::optional<std::string> check_scope(std::string_view text);

// http:// or https:// with host[:port] and nothing else (a lone trailing '/'
// is tolerated).
std::optional<UpstreamEndpoint> parse_endpoint(std::string_view text, std::string& error);

}  // namespace firewarden::config::detail
