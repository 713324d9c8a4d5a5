// x-forwarded-client-cert parsing: Envoy's format, strictly, and the
// identity of the last element.
#include "firewarden/identity/xfcc.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "identity_test_support.hpp"

namespace firewarden::identity {
namespace {

using test::detail_of;
using test::reason_of;

constexpr std::string_view gateway_id = "spiffe://cluster.local/ns/istio-system/sa/gateway";
constexpr std::string_view workload_id = "spiffe://cluster.local/ns/orders/sa/default";

// The element an Istio sidecar appends for a SPIFFE client certificate.
std::string sidecar_element(std::string_view uri) {
  return "By=" + std::string(gateway_id) +
         ";Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;Subject=\"\";"
         "URI=" +
         std::string(uri);
}

// A header of exactly `size` bytes whose last element names workload_id.
std::string header_of_size(std::size_t size) {
  const std::string tail = "\";URI=" + std::string(workload_id);
  const std::string head = "Cert=\"";
  return head + std::string(size - head.size() - tail.size(), 'x') + tail;
}

struct GoodRow {
  std::string name;
  std::string header;
  std::string uri;  // the identity expected
};

TEST_CASE("well-formed XFCC headers yield the last element's URI") {
  const std::string workload(workload_id);
  const std::vector<GoodRow> rows = {
      {"Istio sidecar element", sidecar_element(workload_id), workload},
      {"URI only", "URI=" + workload, workload},
      {"keys are case-insensitive", "uri=" + workload, workload},
      {"mixed-case key", "Uri=" + workload, workload},
      {"quoted URI", "URI=\"" + workload + "\"", workload},
      {"Envoy documentation shape",
       "By=http://frontend.lyft.com;Hash=468ed33b;Subject=\"/C=US/ST=CA/L=San "
       "Francisco/OU=Lyft/CN=Test Client\";URI=" +
           workload + ";DNS=lyft.com;DNS=www.lyft.com",
       workload},
      {"URL-encoded Cert and Chain",
       "Hash=ab;Cert=\"-----BEGIN%20CERTIFICATE-----%0AMIIB%2B%3D%0A-----END%20CERTIFICATE-----"
       "%0A\";Chain=\"-----BEGIN%20CERTIFICATE-----%0A\";URI=" +
           workload,
       workload},
      {"by repeats (proxy with several URI SANs)",
       "By=spiffe://a/x;By=spiffe://a/y;URI=" + workload, workload},
      {"the last element wins",
       sidecar_element("spiffe://cluster.local/ns/admin/sa/root") + "," +
           sidecar_element(workload_id),
       workload},
      {"earlier element without URI", "By=spiffe://edge/x;Hash=aa," + sidecar_element(workload_id),
       workload},
      {"earlier element with empty URI", "URI=," + sidecar_element(workload_id), workload},
      {"quoted , ; = in an earlier element",
       "Subject=\"CN=a,O=b;c=d\";URI=spiffe://x/y," + sidecar_element(workload_id), workload},
      {"escaped quote in subject", R"(Subject="CN=\"quoted\"";URI=)" + workload, workload},
      {"RFC 2253 escapes in subject", R"(Subject="O=Acme\, Inc.,CN=x";URI=)" + workload, workload},
      {"'=' inside an unquoted value", "By=https://gw/?a=b;URI=" + workload, workload},
      {"empty values", "Hash=;Subject=\"\";URI=" + workload, workload},
      {"exactly 64 KiB", header_of_size(max_xfcc_bytes), workload},
  };
  for (const GoodRow& row : rows) {
    INFO(row.name);
    const Result<SpiffeId> result = spiffe_id_from_xfcc(row.header);
    INFO(detail_of(result));
    REQUIRE(reason_of(result).empty());
    CHECK(std::get<SpiffeId>(result).to_string() == row.uri);
  }
}

struct BadRow {
  std::string name;
  std::string header;
  std::string reason;
};

TEST_CASE("malformed or ambiguous XFCC headers are refused") {
  const std::string uri = "URI=" + std::string(workload_id);
  const std::vector<BadRow> rows = {
      {"empty header", "", "empty_header"},
      {"over 64 KiB", header_of_size(max_xfcc_bytes + 1), "header_too_large"},
      {"CR LF (header injection)", uri + "\r\nX-Evil: 1", "bad_character"},
      {"tab", "Hash=a\tb;" + uri, "bad_character"},
      {"NUL byte", uri + std::string(1, '\0'), "bad_character"},
      {"DEL byte", "Hash=\x7f;" + uri, "bad_character"},
      {"non-ASCII byte", "Subject=\"caf\xc3\xa9\";" + uri, "bad_character"},
      {"leading comma", "," + uri, "empty_element"},
      {"trailing comma", uri + ",", "empty_element"},
      {"doubled comma", "Hash=a,," + uri, "empty_element"},
      {"comma only", ",", "empty_element"},
      {"leading semicolon", ";" + uri, "empty_pair"},
      {"trailing semicolon", uri + ";", "empty_pair"},
      {"doubled semicolon", "Hash=a;;" + uri, "empty_pair"},
      {"key without value", "URI", "missing_equals"},
      {"pair without '='", "Hash;" + uri, "missing_equals"},
      {"unknown key", "Foo=bar;" + uri, "unknown_key"},
      {"legacy SAN key", "SAN=" + std::string(workload_id), "unknown_key"},
      {"empty key", "=x;" + uri, "unknown_key"},
      {"space before key", "Hash=a; " + uri, "unknown_key"},
      {"space before '='", "URI =" + std::string(workload_id), "unknown_key"},
      {"Hash twice", "Hash=a;Hash=b;" + uri, "duplicate_key"},
      {"Cert twice", "Cert=a;Cert=b;" + uri, "duplicate_key"},
      {"Chain twice", "Chain=a;Chain=b;" + uri, "duplicate_key"},
      {"Subject twice", R"(Subject="a";Subject="b";)" + uri, "duplicate_key"},
      {"URI twice", uri + ";URI=spiffe://cluster.local/ns/admin/sa/root", "multiple_uris"},
      {"URI twice, different case", uri + ";uri=" + std::string(workload_id), "multiple_uris"},
      {"URI twice in an earlier element", uri + ";" + uri + "," + uri, "multiple_uris"},
      {"unterminated quote", "Subject=\"abc;" + uri, "unterminated_quote"},
      {"lone quote", "Subject=\"", "unterminated_quote"},
      {"escaped closing quote", R"(Subject="abc\")", "unterminated_quote"},
      {"backslash at the end", "Subject=\"abc\\", "bad_escape"},
      {"backslash outside quotes", "URI=spiffe://cluster.local/a\\b", "bad_escape"},
      {"quote inside an unquoted value", "Subject=a\"b\";" + uri, "bad_quote"},
      {"text after a closing quote", "Subject=\"a\"b;" + uri, "bad_quote"},
      {"last element without URI", uri + ",By=" + std::string(gateway_id), "missing_uri"},
      {"last element with empty URI (Envoy, no URI SAN)", "By=x;Hash=a;URI=", "missing_uri"},
      {"empty quoted URI", "URI=\"\"", "missing_uri"},
      {"URI not SPIFFE", "URI=https://cluster.local/ns/a/sa/b", "invalid_spiffe_id"},
      {"URI with uppercase trust domain", "URI=spiffe://Cluster.local/ns/a/sa/b",
       "invalid_spiffe_id"},
      {"URI with port", "URI=spiffe://cluster.local:8443/ns/a/sa/b", "invalid_spiffe_id"},
      {"URI with escaped backslash", R"(URI="spiffe://cluster.local/a\\b")", "invalid_spiffe_id"},
      {"URI with escaped quote", R"(URI="spiffe://cluster.local/a\"b")", "invalid_spiffe_id"},
      {"URI with an unknown escape kept verbatim", R"(URI="spiffe://cluster.local/a\b")",
       "invalid_spiffe_id"},
  };
  for (const BadRow& row : rows) {
    INFO(row.name);
    CHECK(reason_of(spiffe_id_from_xfcc(row.header)) == row.reason);
  }
}

// A client behind an APPEND_FORWARD sidecar controls everything before the
// sidecar's own element. Whatever that prefix is, the header is either
// refused or read as the sidecar's URI, never as one the client wrote.
struct PrefixRow {
  std::string name;
  std::string prefix;
  bool refused;
};

TEST_CASE("a client-written prefix cannot move the trusted element") {
  const std::string evil = "spiffe://cluster.local/ns/admin/sa/root";
  const std::string workload(workload_id);
  const std::vector<std::string> trusted_elements = {
      sidecar_element(workload_id),                          // has Subject=""
      "By=" + std::string(gateway_id) + ";URI=" + workload,  // no quotes at all
      "By=" + std::string(gateway_id) + R"(;Subject="O=Acme\, Inc.";URI=)" + workload,
      "By=" + std::string(gateway_id) + R"(;Subject="CN=\"x\"";URI=)" + workload,
  };
  const std::vector<PrefixRow> rows = {
      {"plain earlier element", "URI=" + evil, false},
      {"unbalanced quote swallows the comma", "By=\"x", true},
      {"escaped comma inside an open quote", "By=\"x\\", true},
      {"open quote after a fake URI", "URI=" + evil + ";By=\"", true},
      {"fake element inside a quoted value", "By=\"a,URI=" + evil + "\"", false},
      {"trailing backslash outside quotes", "By=x\\", true},
      {"dangling key", "URI=" + evil + ";By", true},
      {"trailing semicolon", "URI=" + evil + ";", true},
  };
  for (const std::string& trusted : trusted_elements) {
    for (const PrefixRow& row : rows) {
      INFO(row.name << " + " << trusted);
      const Result<SpiffeId> result = spiffe_id_from_xfcc(row.prefix + "," + trusted);
      if (row.refused) {
        CHECK_FALSE(reason_of(result).empty());
      } else {
        REQUIRE(reason_of(result).empty());
        CHECK(std::get<SpiffeId>(result).to_string() == workload);
      }
    }
  }
}

TEST_CASE("parse_xfcc returns every element with unescaped values") {
  const Result<std::vector<XfccElement>> result =
      parse_xfcc(R"(By=spiffe://edge/a;By=spiffe://edge/b;Hash=h1;Subject="CN=\"q\",O=x\, y\\z";)"
                 "URI=spiffe://td/a;DNS=a.example;DNS=b.example,"
                 R"(Hash=h2;Cert="c";Chain="c,d";uri=spiffe://td/b)");
  REQUIRE(reason_of(result).empty());
  const auto& elements = std::get<std::vector<XfccElement>>(result);
  REQUIRE(elements.size() == 2);

  XfccElement first;
  first.by = {"spiffe://edge/a", "spiffe://edge/b"};
  first.hash = "h1";
  first.subject = R"(CN="q",O=x\, y\z)";
  first.uri = "spiffe://td/a";
  first.dns = {"a.example", "b.example"};
  CHECK(elements[0] == first);

  XfccElement second;
  second.hash = "h2";
  second.cert = "c";
  second.chain = "c,d";
  second.uri = "spiffe://td/b";
  CHECK(elements[1] == second);
}

TEST_CASE("a refusal names the byte position, never the header text") {
  const Result<std::vector<XfccElement>> result = parse_xfcc("Hash=a;Secret=topsecret");
  CHECK(reason_of(result) == "unknown_key");
  CHECK(detail_of(result).find("byte 7") != std::string::npos);
  CHECK(detail_of(result).find("topsecret") == std::string::npos);
}

TEST_CASE("identity_from_xfcc applies trust domains and the path template") {
  const IdentityRules rules = test::kubernetes_rules();

  const Result<Identity> good = identity_from_xfcc(sidecar_element(workload_id), rules);
  REQUIRE(reason_of(good).empty());
  CHECK(std::get<Identity>(good) ==
        Identity{std::string(workload_id), "cluster.local", "orders", "default"});

  CHECK(reason_of(identity_from_xfcc(sidecar_element("spiffe://evil.example/ns/a/sa/b"), rules)) ==
        "untrusted_trust_domain");
  CHECK(reason_of(identity_from_xfcc(sidecar_element("spiffe://cluster.local"), rules)) ==
        "missing_path");
  CHECK(reason_of(identity_from_xfcc("Hash=a", rules)) == "missing_uri");
}

}  // namespace
}  // namespace firewarden::identity
