// text::Expected, the project's result type: which side it holds, and that
// each side comes out as it went in (moved, not copied, when asked to).
#include "firewarden/text/expected.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace {

using firewarden::text::Expected;

struct Problem {
  std::string why;
};

Expected<int, Problem> half_of(int n) {
  if (n % 2 != 0) return Problem{std::to_string(n) + " is odd"};
  return n / 2;
}

}  // namespace

TEST_CASE("Expected holds the value or the error it was made from") {
  const auto even = half_of(10);
  REQUIRE(even.ok());
  CHECK(even.value() == 5);

  const auto odd = half_of(7);
  REQUIRE_FALSE(odd.ok());
  CHECK(odd.error().why == "7 is odd");
}

TEST_CASE("Expected asked for the wrong side throws instead of inventing one") {
  CHECK_THROWS(half_of(7).value());
  CHECK_THROWS(half_of(10).error());
}

TEST_CASE("Expected moves a value or an error out of an rvalue") {
  Expected<std::unique_ptr<int>, std::string> held = std::make_unique<int>(42);
  REQUIRE(held.ok());
  const std::unique_ptr<int> taken = std::move(held).value();
  REQUIRE(taken != nullptr);
  CHECK(*taken == 42);

  Expected<std::unique_ptr<int>, std::string> refused = std::string("no");
  REQUIRE_FALSE(refused.ok());
  const std::string why = std::move(refused).error();
  CHECK(why == "no");
}
