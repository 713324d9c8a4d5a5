#pragma once
// Config values given outside the file, and the effective config printed
// back (`firewarden check --print-config`).
//
// `--set KEY=VALUE` names a key by its path in the file ("firestore.project");
// the environment variable of a key is FIREWARDEN_ and the path in upper case
// with each '.' as '_' (FIREWARDEN_FIRESTORE_PROJECT,
// FIREWARDEN_LISTENER_TLS_CERT_FILE). A value is read as YAML, so lists and
// mappings are written inline ("[a, b]", "{a.example: a.pem}") and replace
// the file's whole value; an empty value unsets the key (its default applies).
// Precedence: --set over environment over file.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "firewarden/config/config.hpp"

namespace firewarden::config {

// Every key the file accepts, by path; lists and identity.trust_bundles are
// one key each (set as a whole).
const std::vector<std::string_view>& config_keys();

// "firestore.project" -> "FIREWARDEN_FIRESTORE_PROJECT".
std::string environment_name(std::string_view key);

// "KEY=VALUE" from --set; a Diagnostic (origin "--set") without '=' or with
// an empty key.
std::variant<Override, Diagnostic> parse_set_option(std::string_view text);

// The config keys among `entries` ("NAME=VALUE", as in environ), sorted by
// name. A FIREWARDEN_ name that starts like a key (FIREWARDEN_FIRESTORE_…,
// FIREWARDEN_LIMITS_…) but names none is an unknown key, refused as in the
// file; other FIREWARDEN_ names (FIREWARDEN_CONFIG, …) are not config keys
// and are left alone.
std::variant<Overrides, Diagnostics> environment_overrides(const std::vector<std::string>& entries);

// The config as YAML in the file's layout, every key with its effective
// value (defaults included, file paths resolved). credentials.token, the one
// secret a config holds, is printed as "<redacted>" when set.
std::string print_config(const Config& config);

}  // namespace firewarden::config
