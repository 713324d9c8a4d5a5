// The text/ leaf: ASCII, UTF-8, percent and form encoding, base64.
#include <catch2/catch.hpp>
#include <string>

#include "firewarden/text/ascii.hpp"
#include "firewarden/text/base64.hpp"
#include "firewarden/text/ids.hpp"
#include "firewarden/text/percent.hpp"
#include "firewarden/text/utf8.hpp"

using namespace firewarden::text;
using namespace std::string_literals;

TEST_CASE("iequals folds ASCII letters only") {
  CHECK(iequals("Content-Type", "content-type"));
  CHECK(iequals("", ""));
  CHECK_FALSE(iequals("Content-Type", "content-typ"));
  CHECK_FALSE(iequals("a", "b"));
  // Non-ASCII bytes compare as they are: no locale folding of U+00C4/U+00E4.
  CHECK_FALSE(iequals("\xC3\x84", "\xC3\xA4"));
  CHECK_FALSE(iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit but are not letters
}

TEST_CASE("trim removes SP and HTAB only") {
  CHECK(trim(" \tapplication/json\t ") == "application/json");
  CHECK(trim("   ") == "");
  CHECK(trim("a b") == "a b");
  CHECK(trim("\r\nx\r\n") == "\r\nx\r\n");
}

TEST_CASE("percent_decode decodes once and refuses malformed escapes") {
  CHECK(percent_decode("a%2Fb%252F") == "a/b%2F");
  CHECK(percent_decode("a+b") == "a+b");
  CHECK(percent_decode("%00") == "\0"s);
  CHECK_FALSE(percent_decode("%").has_value());
  CHECK_FALSE(percent_decode("%4").has_value());
  CHECK_FALSE(percent_decode("%zz").has_value());
  CHECK(contains_percent_escape("x%41"));
  CHECK_FALSE(contains_percent_escape("x%4"));
  CHECK(percent_encode("a b/~", "/") == "a%20b/~");
}

TEST_CASE("form decoding reads '+' as a space and refuses malformed escapes") {
  const auto fields = form_decode("a=1+2&&b=%2Fx&c");
  REQUIRE(fields.has_value());
  CHECK(*fields == FormFields{{"a", "1 2"}, {"b", "/x"}, {"c", ""}});
  CHECK_FALSE(form_decode("a=%2").has_value());
  CHECK_FALSE(form_decode("a%zz=1").has_value());
  CHECK(form_encode({{"grant type", "a+b"}, {"x", "~"}}) == "grant+type=a%2Bb&x=%7E");
}

TEST_CASE("base64 and base64url follow RFC 4648's test vectors") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("\xfb\xff") == "+/8=");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK(is_base64("Zm9vYg=="));
  CHECK(is_base64("-_8"));
  CHECK(is_base64(""));
  CHECK_FALSE(is_base64("Zm9vYg==="));
  CHECK_FALSE(is_base64("Zm9v Yg=="));
  CHECK_FALSE(is_base64("Zm=9v"));
}

TEST_CASE("UTF-8 sequences are checked as RFC 3629 defines them") {
  CHECK(utf8_sequence_length("a", 0) == 1);
  CHECK(utf8_sequence_length("\xC3\xA4", 0) == 2);
  CHECK(utf8_sequence_length("\xF0\x9F\x94\xA5", 0) == 4);
  CHECK(utf8_sequence_length("\xC0\x80", 0) == 0);          // overlong
  CHECK(utf8_sequence_length("\xED\xA0\x80", 0) == 0);      // surrogate
  CHECK(utf8_sequence_length("\xF4\x90\x80\x80", 0) == 0);  // above U+10FFFF
  CHECK(utf8_sequence_length("\xE2\x82", 0) == 0);          // cut short
  CHECK(is_valid_utf8("caf\xC3\xA9"));
  CHECK_FALSE(is_valid_utf8("caf\xC3"));
  CHECK(has_control_character("a\x7F"));
  CHECK(has_control_character("a\xC2\x85"));
  CHECK_FALSE(has_control_character("caf\xC3\xA9"));
}

TEST_CASE("quote_input escapes controls and cuts long input") {
  CHECK(quote_input("a\"b\\c") == R"("a\"b\\c")");
  CHECK(quote_input("a\nb\xFF") == R"("a\x0Ab\xFF")");
  const std::string long_input(kMaxQuotedBytes + 1, 'x');
  CHECK(quote_input(long_input) == "\"" + std::string(kMaxQuotedBytes, 'x') + "\"…");
}

TEST_CASE("ids: the lowercase shape and Firestore database ids") {
  CHECK(is_database_id("(default)"));
  CHECK(is_database_id("orders-eu"));
  CHECK_FALSE(is_database_id("abc"));                 // 4 at least
  CHECK_FALSE(is_database_id(std::string(64, 'a')));  // 63 at most
  CHECK_FALSE(is_database_id("Orders"));
  CHECK_FALSE(is_database_id("1orders"));
  CHECK_FALSE(is_database_id("orders-"));
  CHECK(is_lowercase_id("my-project-1", 6, 30));
  CHECK_FALSE(is_lowercase_id("my-pr", 6, 30));
  CHECK_FALSE(is_lowercase_id("", 0, 30));
  CHECK_FALSE(is_lowercase_id("my_project", 6, 30));
}

TEST_CASE("quoted_prefix quotes a value and shortens only what is over the limit") {
  CHECK(quoted_prefix("orders", 80) == "\"orders\"");
  CHECK(quoted_prefix("", 80) == "\"\"");
  CHECK(quoted_prefix(std::string(80, 'a'), 80) == "\"" + std::string(80, 'a') + "\"");
  CHECK(quoted_prefix(std::string(81, 'a'), 80) == "\"" + std::string(80, 'a') + "…\"");
  CHECK(quoted_prefix("abcdef", 3) == "\"abc…\"");
}
