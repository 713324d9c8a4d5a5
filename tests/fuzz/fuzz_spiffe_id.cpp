// libFuzzer target: the SPIFFE ID parser and the path template.
//
// Input: "TEMPLATE\nID" when it holds a newline, otherwise an ID alone
// (matched against the Kubernetes template). Beyond "no crash, no UB", it
// checks the properties the rest of the proxy relies on: an accepted ID
// round-trips byte for byte, and everything extracted from it is valid.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "firewarden/identity/path_template.hpp"
#include "firewarden/identity/spiffe_id.hpp"

namespace {

using firewarden::identity::check_path_segment;
using firewarden::identity::check_trust_domain;
using firewarden::identity::Error;
using firewarden::identity::Identity;
using firewarden::identity::make_identity;
using firewarden::identity::max_spiffe_id_bytes;
using firewarden::identity::parse_presented_spiffe_id;
using firewarden::identity::parse_spiffe_id;
using firewarden::identity::PathCaptures;
using firewarden::identity::PathTemplate;
using firewarden::identity::Result;
using firewarden::identity::SpiffeId;

void require(bool condition) {
  if (!condition) std::abort();
}

bool valid_capture(const std::optional<std::string>& capture) {
  return !capture || !check_path_segment(*capture);
}

void check_id(std::string_view text, const PathTemplate& path_template) {
  const Result<SpiffeId> result = parse_spiffe_id(text);
  const bool accepted = std::holds_alternative<SpiffeId>(result);
  require(std::holds_alternative<SpiffeId>(parse_presented_spiffe_id(text)) == accepted);
  if (!accepted) {
    const Error& error = std::get<Error>(result);
    require(!error.reason.empty() && !error.detail.empty());
    return;
  }
  const SpiffeId& id = std::get<SpiffeId>(result);
  require(text.size() <= max_spiffe_id_bytes);
  require(id.to_string() == text);
  require(!check_trust_domain(id.trust_domain));
  for (const std::string_view segment : id.segments()) require(!check_path_segment(segment));

  const Identity identity = make_identity(id, path_template);
  require(identity.spiffe_id == text && identity.trust_domain == id.trust_domain);
  require(valid_capture(identity.namespace_name) && valid_capture(identity.service_account));
  // What the policy sees as a namespace or service account is a Kubernetes name.
  require(!identity.namespace_name ||
          firewarden::identity::is_kubernetes_namespace(*identity.namespace_name));
  require(!identity.service_account ||
          firewarden::identity::is_kubernetes_service_account(*identity.service_account));
  require(identity.fits_template == path_template.match(id.path).has_value());
  const std::optional<PathCaptures> captures = path_template.match(id.path);
  const PathCaptures extracted{identity.namespace_name, identity.service_account};
  require(extracted == captures.value_or(PathCaptures{}));
}

PathTemplate kubernetes_template() {
  return std::get<PathTemplate>(PathTemplate::compile("/ns/{namespace}/sa/{service_account}"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) {
    check_id(input, kubernetes_template());
    return 0;
  }
  const std::string_view template_text = input.substr(0, newline);
  const Result<PathTemplate> compiled = PathTemplate::compile(template_text);
  if (const Error* error = std::get_if<Error>(&compiled)) {
    require(!error->reason.empty());
    check_id(input.substr(newline + 1), PathTemplate{});
    return 0;
  }
  require(std::get<PathTemplate>(compiled).text() == template_text);
  check_id(input.substr(newline + 1), std::get<PathTemplate>(compiled));
  return 0;
}
