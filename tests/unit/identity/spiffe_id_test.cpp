// SPIFFE ID parsing: one table row per rule of SPIFFE-ID §2 and SPEC §3.
#include "firewarden/identity/spiffe_id.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "identity_test_support.hpp"

namespace firewarden::identity {
namespace {

using test::reason_of;

// Builds a string with embedded NUL bytes, which a literal would cut short.
std::string with_nul(const std::string& before, const std::string& after) {
  return before + std::string(1, '\0') + after;
}

std::string id_of_length(std::size_t length) {
  const std::string prefix = "spiffe://td/";
  return prefix + std::string(length - prefix.size(), 'a');
}

std::string trust_domain_of_length(std::size_t length) {
  return "spiffe://" + std::string(length, 'a') + "/x";
}

struct GoodRow {
  std::string name;
  std::string input;
  std::string trust_domain;
  std::string path;
};

TEST_CASE("valid SPIFFE IDs parse into trust domain and path") {
  const std::vector<GoodRow> rows = {
      {"kubernetes style", "spiffe://cluster.local/ns/orders/sa/default", "cluster.local",
       "/ns/orders/sa/default"},
      {"trust domain ID (no path)", "spiffe://cluster.local", "cluster.local", ""},
      {"one segment", "spiffe://td/a", "td", "/a"},
      {"path is case-sensitive, uppercase allowed", "spiffe://td/Payments/Web-FE", "td",
       "/Payments/Web-FE"},
      {"every trust domain character", "spiffe://a-b_c.d0/x", "a-b_c.d0", "/x"},
      {"every path character", "spiffe://td/aZ09._-", "td", "/aZ09._-"},
      {"IPv4-looking trust domain", "spiffe://10.0.0.1/x", "10.0.0.1", "/x"},
      {"dots inside a segment", "spiffe://td/.hidden/v1.2/...", "td", "/.hidden/v1.2/..."},
      {"uuid path", "spiffe://example.com/9eebccd2-12bf-40a6-b262-65fe0487d453", "example.com",
       "/9eebccd2-12bf-40a6-b262-65fe0487d453"},
      {"2048 bytes exactly", id_of_length(2048), "td", id_of_length(2048).substr(11)},
      {"trust domain of 255 bytes", trust_domain_of_length(255), std::string(255, 'a'), "/x"},
  };
  for (const GoodRow& row : rows) {
    INFO(row.name);
    const Result<SpiffeId> result = parse_spiffe_id(row.input);
    REQUIRE(reason_of(result).empty());
    const auto& id = std::get<SpiffeId>(result);
    CHECK(id.trust_domain == row.trust_domain);
    CHECK(id.path == row.path);
    CHECK(id.to_string() == row.input);  // canonical: round-trips byte for byte
  }
}

struct BadRow {
  std::string name;
  std::string input;
  std::string reason;
};

TEST_CASE("malformed SPIFFE IDs are refused with a precise reason") {
  const std::vector<BadRow> rows = {
      {"empty", "", "empty"},
      {"2049 bytes", id_of_length(2049), "too_long"},
      {"uppercase scheme", "SPIFFE://td/x", "bad_scheme"},
      {"mixed-case scheme", "Spiffe://td/x", "bad_scheme"},
      {"other scheme", "https://td/x", "bad_scheme"},
      {"single slash after scheme", "spiffe:/td/x", "bad_scheme"},
      {"no slashes after scheme", "spiffe:td/x", "bad_scheme"},
      {"missing colon", "spiffe//td/x", "bad_scheme"},
      {"leading space", " spiffe://td/x", "bad_scheme"},
      {"scheme only", "spiffe", "bad_scheme"},
      {"query", "spiffe://td/x?q", "has_query"},
      {"query right after trust domain", "spiffe://td?q=1", "has_query"},
      {"empty query", "spiffe://td/x?", "has_query"},
      {"fragment", "spiffe://td/x#f", "has_fragment"},
      {"percent-encoded slash in path", "spiffe://td/a%2Fb", "percent_encoded"},
      {"percent-encoded trust domain", "spiffe://t%64/x", "percent_encoded"},
      {"nothing after scheme", "spiffe://", "missing_trust_domain"},
      {"empty trust domain with path", "spiffe:///x", "missing_trust_domain"},
      {"userinfo", "spiffe://user@td/x", "has_userinfo"},
      {"userinfo with password", "spiffe://user:pw@td/x", "has_userinfo"},
      {"port", "spiffe://td:443/x", "has_port"},
      {"empty port", "spiffe://td:/x", "has_port"},
      {"IPv6 literal", "spiffe://[::1]/x", "has_port"},
      {"trust domain of 256 bytes", trust_domain_of_length(256), "trust_domain_too_long"},
      {"uppercase trust domain", "spiffe://TD/x", "bad_trust_domain"},
      {"partly uppercase trust domain", "spiffe://Cluster.local/x", "bad_trust_domain"},
      {"space in trust domain", "spiffe://t d/x", "bad_trust_domain"},
      {"backslash in trust domain", "spiffe://td\\x", "bad_trust_domain"},
      {"non-ASCII trust domain", "spiffe://t\xc3\xa9/x", "bad_trust_domain"},
      {"NUL in trust domain", with_nul("spiffe://td", "/x"), "bad_trust_domain"},
      {"bare trailing slash", "spiffe://td/", "trailing_slash"},
      {"trailing slash", "spiffe://td/a/", "trailing_slash"},
      {"double slash at the end", "spiffe://td//", "trailing_slash"},
      {"empty segment", "spiffe://td/a//b", "empty_segment"},
      {"leading empty segment", "spiffe://td//a", "empty_segment"},
      {"dot segment", "spiffe://td/./a", "dot_segment"},
      {"dot-dot segment", "spiffe://td/a/../b", "dot_segment"},
      {"final dot-dot segment", "spiffe://td/a/..", "dot_segment"},
      {"only a dot segment", "spiffe://td/.", "dot_segment"},
      {"space in path", "spiffe://td/a b", "bad_path_character"},
      {"tilde in path (URI-legal, not SPIFFE)", "spiffe://td/a~b", "bad_path_character"},
      {"colon in path", "spiffe://td/a:b", "bad_path_character"},
      {"at sign in path", "spiffe://td/a@b", "bad_path_character"},
      {"plus in path", "spiffe://td/a+b", "bad_path_character"},
      {"asterisk in path", "spiffe://td/ns/*", "bad_path_character"},
      {"backslash in path", "spiffe://td/a\\b", "bad_path_character"},
      {"newline in path", "spiffe://td/a\nb", "bad_path_character"},
      {"non-ASCII path", "spiffe://td/caf\xc3\xa9", "bad_path_character"},
      {"NUL in path", with_nul("spiffe://td/a", "b"), "bad_path_character"},
      {"NUL at the end", with_nul("spiffe://td/a", ""), "bad_path_character"},
  };
  for (const BadRow& row : rows) {
    INFO(row.name);
    CHECK(reason_of(parse_spiffe_id(row.input)) == row.reason);
  }
}

TEST_CASE("a refusal carries a human-readable detail") {
  const Result<SpiffeId> result = parse_spiffe_id("spiffe://td:443/x");
  REQUIRE(std::holds_alternative<Error>(result));
  CHECK_FALSE(std::get<Error>(result).detail.empty());
}

TEST_CASE("parse_presented_spiffe_id reports every failure as invalid_spiffe_id") {
  const Result<SpiffeId> refused = parse_presented_spiffe_id("spiffe://td:443/x");
  CHECK(reason_of(refused) == "invalid_spiffe_id");
  CHECK(test::detail_of(refused).starts_with("has_port: "));
  CHECK(reason_of(parse_presented_spiffe_id("spiffe://td/x")).empty());
}

TEST_CASE("segments and trust domain IDs") {
  const auto workload = std::get<SpiffeId>(parse_spiffe_id("spiffe://td/ns/a/sa/b"));
  CHECK(workload.segments() == std::vector<std::string_view>{"ns", "a", "sa", "b"});
  CHECK_FALSE(workload.is_trust_domain_id());

  const auto domain = std::get<SpiffeId>(parse_spiffe_id("spiffe://td"));
  CHECK(domain.segments().empty());
  CHECK(domain.is_trust_domain_id());
}

TEST_CASE("split_path splits without validating") {
  CHECK(split_path("").empty());
  CHECK(split_path("/a") == std::vector<std::string_view>{"a"});
  CHECK(split_path("/a//b/") == std::vector<std::string_view>{"a", "", "b", ""});
}

TEST_CASE("check_trust_domain validates config entries") {
  CHECK_FALSE(check_trust_domain("cluster.local"));
  CHECK(check_trust_domain("")->reason == "missing_trust_domain");
  CHECK(check_trust_domain("Cluster.local")->reason == "bad_trust_domain");
  CHECK(check_trust_domain("spiffe://cluster.local")->reason == "has_port");
  CHECK(check_trust_domain("cluster.local/x")->reason == "bad_trust_domain");
  CHECK(check_trust_domain(std::string(256, 'a'))->reason == "trust_domain_too_long");
}

TEST_CASE("check_path_segment validates one segment") {
  CHECK_FALSE(check_path_segment("orders"));
  CHECK(check_path_segment("")->reason == "empty_segment");
  CHECK(check_path_segment("..")->reason == "dot_segment");
  CHECK(check_path_segment("a/b")->reason == "bad_path_character");
}

}  // namespace
}  // namespace firewarden::identity
