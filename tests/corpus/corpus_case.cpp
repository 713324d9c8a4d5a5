#include "corpus_case.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace firewarden::corpus {
namespace {

std::string trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return std::string(text);
}

std::chrono::milliseconds parse_duration(const std::string& text) {
  std::size_t used = 0;
  const long value = std::stol(text, &used);
  const std::string unit = text.substr(used);
  if (unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "s") return std::chrono::seconds(value);
  throw std::runtime_error("duration must end in ms or s: " + text);
}

bool parse_bool(const std::string& text) {
  if (text == "yes") return true;
  if (text == "no") return false;
  throw std::runtime_error("expected yes or no, not " + text);
}

// "403", "403x500" (500 times).
void parse_statuses(const std::string& text, CorpusCase& c) {
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    if (word == "none") {
      c.expect_none = true;
      continue;
    }
    if (word == "handshake-refused") {
      c.expect_handshake_refused = true;
      continue;
    }
    const std::size_t times = word.find('x');
    const int status = std::stoi(word.substr(0, times));
    const int count = times == std::string::npos ? 1 : std::stoi(word.substr(times + 1));
    for (int i = 0; i < count; ++i) c.expect.push_back(status);
  }
}

// The arguments of a placeholder: up to the `}` that closes it, with nested
// placeholders kept whole and `\}` / `\\` unescaped. `at` is just after the
// name's `:`; on return it is just after the closing `}`.
std::string placeholder_argument(std::string_view text, std::size_t& at) {
  std::string out;
  int depth = 0;
  while (at < text.size()) {
    const char c = text[at];
    if (c == '\\' && at + 1 < text.size() && (text[at + 1] == '}' || text[at + 1] == '\\')) {
      if (depth > 0) out += '\\';  // a nested placeholder unescapes it itself
      out += text[at + 1];
      at += 2;
      continue;
    }
    if (c == '$' && at + 1 < text.size() && text[at + 1] == '{') {
      ++depth;
      out += "${";
      at += 2;
      continue;
    }
    if (c == '}') {
      ++at;
      if (depth == 0) return out;
      --depth;
      out += '}';
      continue;
    }
    out += c;
    ++at;
  }
  throw std::runtime_error("unterminated placeholder");
}

void append_bytes(std::vector<Segment>& segments, std::string_view bytes) {
  if (segments.empty() || segments.back().pause.count() > 0 || segments.back().renegotiate)
    segments.push_back({});
  segments.back().bytes.append(bytes);
}

void append_segments(std::vector<Segment>& segments, const std::vector<Segment>& more) {
  for (const auto& segment : more) {
    append_bytes(segments, segment.bytes);
    segments.back().pause += segment.pause;
    segments.back().renegotiate = segment.renegotiate;
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw std::runtime_error(std::string("not a hex digit: ") + c);
}

}  // namespace

std::vector<Segment> expand(std::string_view text, const Expansion& expansion,
                            const std::string& body_length) {
  std::vector<Segment> segments;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t open = text.find("${", at);
    if (open == std::string_view::npos) {
      append_bytes(segments, text.substr(at));
      break;
    }
    append_bytes(segments, text.substr(at, open - at));
    std::size_t name_end = open + 2;
    while (name_end < text.size() && text[name_end] != '}' && text[name_end] != ':') ++name_end;
    if (name_end >= text.size()) throw std::runtime_error("unterminated placeholder");
    const std::string name(text.substr(open + 2, name_end - open - 2));
    at = name_end + 1;
    std::string argument;
    if (text[name_end] == ':') argument = placeholder_argument(text, at);

    const std::string database = "projects/" + expansion.project + "/databases/(default)";
    if (name == "P") {
      append_bytes(segments, expansion.project);
    } else if (name == "DB") {
      append_bytes(segments, database);
    } else if (name == "DOCS") {
      append_bytes(segments, database + "/documents");
    } else if (name == "CRLF") {
      append_bytes(segments, "\r\n");
    } else if (name == "LF") {
      append_bytes(segments, "\n");
    } else if (name == "CR") {
      append_bytes(segments, "\r");
    } else if (name == "TAB") {
      append_bytes(segments, "\t");
    } else if (name == "-") {
    } else if (name == "BODYLEN") {
      append_bytes(segments, body_length);
    } else if (name == "hex") {
      std::string bytes;
      if (argument.size() % 2 != 0) throw std::runtime_error("odd number of hex digits");
      for (std::size_t i = 0; i < argument.size(); i += 2) {
        bytes += static_cast<char>(hex_digit(argument[i]) * 16 + hex_digit(argument[i + 1]));
      }
      append_bytes(segments, bytes);
    } else if (name == "pause") {
      if (segments.empty()) segments.push_back({});
      segments.back().pause += std::chrono::milliseconds(std::stol(argument));
    } else if (name == "hexlen" || name == "chunk") {
      // The byte length of the expanded argument in hex (a chunk size);
      // ${chunk:TEXT} is the size line and the data, the line's end ends it.
      std::string bytes;
      for (const auto& segment : expand(argument, expansion, body_length)) bytes += segment.bytes;
      char size[32];
      std::snprintf(size, sizeof size, "%zx", bytes.size());
      append_bytes(segments, name == "chunk" ? std::string(size) + "\r\n" + bytes : size);
    } else if (name == "renegotiate") {
      if (segments.empty()) segments.push_back({});
      segments.back().renegotiate = true;
    } else if (name == "repeat") {
      const std::size_t colon = argument.find(':');
      if (colon == std::string::npos) throw std::runtime_error("${repeat:N:TEXT} needs N");
      const long times = std::stol(argument.substr(0, colon));
      const auto once =
          expand(std::string_view(argument).substr(colon + 1), expansion, body_length);
      for (long i = 0; i < times; ++i) append_segments(segments, once);
    } else {
      throw std::runtime_error("unknown placeholder ${" + name + "}");
    }
  }
  return segments;
}

std::vector<Segment> expand_request(const CorpusCase& c, const Expansion& expansion) {
  std::string body_bytes;
  const auto body = expand(c.body, expansion, "0");
  for (const auto& segment : body) body_bytes += segment.bytes;
  auto segments = expand(c.request, expansion, std::to_string(body_bytes.size()));
  append_segments(segments, body);
  return segments;
}

CorpusCase load_case(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  CorpusCase c;
  c.file = path;
  enum class Section { header, request, body } section = Section::header;
  std::string line;
  int number = 0;
  std::vector<std::string> request_lines;
  std::vector<std::string> body_lines;
  bool expect_given = false;
  bool upstream_given = false;
  try {
    while (std::getline(in, line)) {
      ++number;
      if (line == "--- request") {
        section = Section::request;
        continue;
      }
      if (line == "--- body") {
        section = Section::body;
        continue;
      }
      if (section == Section::request) {
        request_lines.push_back(line);
        continue;
      }
      if (section == Section::body) {
        body_lines.push_back(line);
        continue;
      }
      const std::string text = trim(line);
      if (text.empty() || text.front() == '#') continue;
      const std::size_t colon = text.find(':');
      if (colon == std::string::npos) throw std::runtime_error("expected `key: value`");
      const std::string key = trim(text.substr(0, colon));
      const std::string value = trim(text.substr(colon + 1));
      if (key == "mode") {
        if (value != "fixed" && value != "mtls" && value != "xfcc")
          throw std::runtime_error("mode must be fixed, mtls or xfcc");
        c.mode = value;
      } else if (key == "identity") {
        c.identity = value;
      } else if (key == "client-cert") {
        c.client_cert = value;
      } else if (key == "client-chain") {
        c.client_chain = std::stoi(value);
      } else if (key == "renegotiation") {
        if (value != "refused" && value != "completed")
          throw std::runtime_error("renegotiation must be refused or completed");
        c.renegotiation_refused = value == "refused";
      } else if (key == "transport") {
        if (value != "plain") throw std::runtime_error("transport must be plain");
        c.transport = value;
      } else if (key == "h2") {
        if (value != "yes") throw std::runtime_error("h2 must be yes");
        c.h2 = true;
      } else if (key == "tls-version") {
        c.tls_version = value;
      } else if (key == "trusted-peers") {
        c.trusted_peers = value;
      } else if (key == "limits") {
        c.limits = value;
      } else if (key == "seed") {
        const std::size_t space = value.find(' ');
        if (space == std::string::npos) throw std::runtime_error("seed: PATH FIELDS_JSON");
        c.seeds.push_back({value.substr(0, space), trim(value.substr(space + 1))});
      } else if (key == "expect") {
        parse_statuses(value, c);
        expect_given = true;
      } else if (key == "closed") {
        c.closed = parse_bool(value);
      } else if (key == "closed-within") {
        c.closed = true;
        c.closed_within = parse_duration(value);
      } else if (key == "wait") {
        c.wait = parse_duration(value);
      } else if (key == "body-contains") {
        c.body_contains.push_back(value);
      } else if (key == "body-lacks") {
        c.body_lacks.push_back(value);
      } else if (key == "forwarded-lacks") {
        c.forwarded_lacks.push_back(value);
      } else if (key == "metric") {
        c.metrics.push_back(value);
      } else if (key == "upstream") {
        upstream_given = true;
        if (value == "untouched") {
          c.upstream = UpstreamCheck::untouched;
        } else if (value == "unreached") {
          c.upstream = UpstreamCheck::unreached;
        } else if (value == "changed") {
          c.upstream = UpstreamCheck::changed;
        } else if (value == "any") {
          c.upstream = UpstreamCheck::any;
        } else {
          throw std::runtime_error("upstream must be untouched, unreached, changed or any");
        }
      } else {
        throw std::runtime_error("unknown key " + key);
      }
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
  }
  if (!expect_given) throw std::runtime_error(path + ": no `expect:`");
  if (!upstream_given) throw std::runtime_error(path + ": no `upstream:`");
  if (request_lines.empty()) throw std::runtime_error(path + ": no `--- request` section");
  // Request lines end in CRLF unless they end in a line-end placeholder
  // (${LF}, ${CR}, ${CRLF}) or ${-} (no line end at all).
  for (const auto& request_line : request_lines) {
    c.request += request_line;
    const bool own_end = request_line.ends_with("${LF}") || request_line.ends_with("${CR}") ||
                         request_line.ends_with("${CRLF}") || request_line.ends_with("${-}");
    if (!own_end) c.request += "\r\n";
  }
  // The body is the section's lines joined with LF, without a final line end.
  for (std::size_t i = 0; i < body_lines.size(); ++i) {
    if (i > 0) c.body += '\n';
    c.body += body_lines[i];
  }
  return c;
}

}  // namespace firewarden::corpus
