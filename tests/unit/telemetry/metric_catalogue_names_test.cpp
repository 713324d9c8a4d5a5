// The catalogue's family names: each written once in metric_catalogue.cpp,
// and exactly the families docs/operations.md's metrics table lists, so an
// operator's table and /metrics cannot drift apart.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "firewarden/telemetry/metric_catalogue.hpp"

using firewarden::telemetry::MetricCatalogue;
using firewarden::telemetry::Registry;

namespace {

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(FIREWARDEN_SOURCE_DIR) + "/" + relative);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Names declared in metric_catalogue.cpp: the first argument of each
// r.counter / r.gauge / r.histogram / r.sampled_counter call, with the
// number of times each is written.
std::map<std::string, int> declared_in_source() {
  const std::string source = read_source("src/telemetry/metric_catalogue.cpp");
  static const std::regex declaration(
      R"re(\br\.(counter|gauge|histogram|sampled_counter)\(\s*"([a-z_]+)")re");
  std::map<std::string, int> out;
  for (std::sregex_iterator it(source.begin(), source.end(), declaration), end; it != end; ++it) {
    ++out[(*it)[2].str()];
  }
  return out;
}

// Names the catalogue registers, from the "# TYPE name type" lines.
std::set<std::string> rendered(const Registry& registry) {
  std::set<std::string> out;
  std::istringstream in(registry.render());
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# TYPE ")) out.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return out;
}

// Names in the first column of the table under "## Metrics" in
// docs/operations.md (a cell may name several families: `a`, `b`).
std::set<std::string> documented() {
  std::istringstream in(read_source("docs/operations.md"));
  std::set<std::string> out;
  bool in_section = false;
  static const std::regex name("`([a-z_]+)`");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("## ")) in_section = line == "## Metrics";
    if (!in_section || !line.starts_with("| `")) continue;
    const std::string cell = line.substr(1, line.find('|', 1) - 1);
    for (std::sregex_iterator it(cell.begin(), cell.end(), name), end; it != end; ++it) {
      out.insert((*it)[1].str());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every family name is written once in the catalogue") {
  const auto declared = declared_in_source();
  REQUIRE(declared.size() > 20);
  for (const auto& [family, count] : declared) {
    CAPTURE(family);
    CHECK(count == 1);
  }
  // What the source declares is what the catalogue registers: the reading
  // above missed nothing.
  Registry registry;
  const MetricCatalogue metrics(registry);
  std::set<std::string> names;
  for (const auto& [family, count] : declared) names.insert(family);
  CHECK(names == rendered(registry));
}

TEST_CASE("the catalogue's families are those docs/operations.md lists") {
  Registry registry;
  const MetricCatalogue metrics(registry);
  const auto exported = rendered(registry);
  const auto listed = documented();
  REQUIRE(!listed.empty());
  for (const auto& family : exported) {
    CAPTURE(family);
    CHECK(listed.count(family) == 1);
  }
  for (const auto& family : listed) {
    CAPTURE(family);
    CHECK(exported.count(family) == 1);
  }
}
