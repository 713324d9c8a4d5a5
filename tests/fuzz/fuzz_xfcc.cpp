// libFuzzer target: the x-forwarded-client-cert parser.
//
// Beyond "no crash, no UB", it checks:
//  - an accepted header re-serialized (every value quoted) parses back to
//    the same elements, so quoting and unescaping agree;
//  - the identity is the last element's URI;
//  - the input used as a client-written prefix in front of a trusted
//    sidecar element never yields any identity but the sidecar's (the
//    APPEND_FORWARD spoofing property).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "firewarden/identity/xfcc.hpp"

namespace {

using firewarden::identity::Error;
using firewarden::identity::max_xfcc_bytes;
using firewarden::identity::parse_xfcc;
using firewarden::identity::Result;
using firewarden::identity::spiffe_id_from_xfcc;
using firewarden::identity::SpiffeId;
using firewarden::identity::XfccElement;

constexpr std::string_view trusted_id = "spiffe://cluster.local/ns/orders/sa/default";

void require(bool condition) {
  if (!condition) std::abort();
}

std::string quoted(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

void append_pair(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty() && out.back() != ',') out += ';';
  out.append(key).append("=").append(quoted(value));
}

std::string serialize(const std::vector<XfccElement>& elements) {
  std::string out;
  for (const XfccElement& element : elements) {
    if (!out.empty()) out += ',';
    for (const std::string& by : element.by) append_pair(out, "By", by);
    if (element.hash) append_pair(out, "Hash", *element.hash);
    if (element.cert) append_pair(out, "Cert", *element.cert);
    if (element.chain) append_pair(out, "Chain", *element.chain);
    if (element.subject) append_pair(out, "Subject", *element.subject);
    if (element.uri) append_pair(out, "URI", *element.uri);
    for (const std::string& dns : element.dns) append_pair(out, "DNS", dns);
  }
  return out;
}

bool has_any_pair(const XfccElement& element) {
  return !element.by.empty() || element.hash || element.cert || element.chain || element.subject ||
         element.uri || !element.dns.empty();
}

void check_round_trip(std::string_view header) {
  const Result<std::vector<XfccElement>> result = parse_xfcc(header);
  if (const Error* error = std::get_if<Error>(&result)) {
    require(!error->reason.empty());
    return;
  }
  const auto& elements = std::get<std::vector<XfccElement>>(result);
  require(header.size() <= max_xfcc_bytes && !elements.empty());
  for (const XfccElement& element : elements) require(has_any_pair(element));

  const std::string again = serialize(elements);
  if (again.size() <= max_xfcc_bytes) {
    const Result<std::vector<XfccElement>> reparsed = parse_xfcc(again);
    require(std::holds_alternative<std::vector<XfccElement>>(reparsed));
    require(std::get<std::vector<XfccElement>>(reparsed) == elements);
  }

  const Result<SpiffeId> id = spiffe_id_from_xfcc(header);
  if (const auto* parsed = std::get_if<SpiffeId>(&id)) {
    require(elements.back().uri && *elements.back().uri == parsed->to_string());
  }
}

void check_prefix_cannot_spoof(std::string_view prefix) {
  const std::string gateway = "By=spiffe://cluster.local/ns/istio-system/sa/gateway";
  const std::vector<std::string> trusted_elements = {
      gateway + ";URI=" + std::string(trusted_id),
      gateway + ";Hash=00;Subject=\"\";URI=" + std::string(trusted_id),
      gateway + R"(;Subject="CN=\"a\",O=b\, c";URI=)" + std::string(trusted_id),
  };
  for (const std::string& trusted : trusted_elements) {
    const std::string header = std::string(prefix) + "," + trusted;
    const Result<SpiffeId> id = spiffe_id_from_xfcc(header);
    if (const auto* parsed = std::get_if<SpiffeId>(&id)) {
      require(parsed->to_string() == trusted_id);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_round_trip(input);
  check_prefix_cannot_spoof(input);
  return 0;
}
