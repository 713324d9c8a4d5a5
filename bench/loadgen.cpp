// bench/loadgen: an HTTP/1.1 load generator for the side-by-side proxy
// benchmark (issue 8). wrk cannot present client certificates; this one can.
//
//   loadgen --target 127.0.0.1:8443 --mix mix.txt [--tls --cert C --key K --ca CA]
//           [--connections 16] [--threads 1] [--duration 10] [--warmup 1]
//           [--rate R] [--new-connection] [--requests N] [--json FILE] [--label NAME]
//           [--header 'Name: value']...
//
// Closed loop by default: each connection sends its next request when the
// previous response is complete. With --rate R (requests/s over all
// connections) it is open loop: every request has an intended send time on a
// fixed schedule, and latency is measured from that intended time, so a
// stalled server is charged for the requests it delayed (no coordinated
// omission; the wrk2 method). --new-connection opens (and for TLS fully
// handshakes) a fresh connection for every request and closes it after the
// response. --requests N stops after N requests (for callgrind runs).
//
// Mix file: one request per line, `METHOD PATH [BODY_FILE]`; a body file is
// relative to the mix file and sent as application/json. Lines are used in
// turn, so repeating a line weights it. `#` starts a comment.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "firewarden/net/asio.hpp"

namespace {

using namespace firewarden;  // NOLINT(google-build-using-namespace): aliases only
using Clock = std::chrono::steady_clock;
using net::as_tuple;
using net::use_awaitable;
using tcp = net::ip::tcp;

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string mix_file;
  bool tls = false;
  std::string cert_file, key_file, ca_file;
  int connections = 16;
  int threads = 1;
  double duration = 10;
  double warmup = 1;
  double rate = 0;  // 0: closed loop
  bool new_connection = false;
  long long requests = 0;  // 0: unlimited (duration decides)
  std::chrono::milliseconds timeout{5000};
  std::string json_file;
  std::string label = "loadgen";
  // Sent on every request, e.g. the x-forwarded-client-cert an Istio
  // sidecar would add in front of firewarden's xfcc mode.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct MixEntry {
  std::string wire;  // the serialized request, sent as is
};

struct Stats {
  std::vector<std::uint32_t> latency_us;
  std::uint64_t ok = 0, non_2xx = 0, errors = 0, connects = 0, bytes_in = 0;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "loadgen: " << problem
            << "\nusage: loadgen --target HOST:PORT --mix FILE [--tls --cert C --key K [--ca CA]]\n"
               "  [--connections N] [--threads N] [--duration S] [--warmup S] [--rate R]\n"
               "  [--new-connection] [--requests N] [--timeout MS] [--json FILE] [--label NAME]\n"
               "  [--header 'Name: value']...\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--target") {
      const std::string target = value();
      const auto colon = target.rfind(':');
      if (colon == std::string::npos) usage("--target must be HOST:PORT");
      o.host = target.substr(0, colon);
      o.port = target.substr(colon + 1);
    } else if (arg == "--mix") {
      o.mix_file = value();
    } else if (arg == "--tls") {
      o.tls = true;
    } else if (arg == "--cert") {
      o.cert_file = value();
    } else if (arg == "--key") {
      o.key_file = value();
    } else if (arg == "--ca") {
      o.ca_file = value();
    } else if (arg == "--connections") {
      o.connections = std::stoi(value());
    } else if (arg == "--threads") {
      o.threads = std::stoi(value());
    } else if (arg == "--duration") {
      o.duration = std::stod(value());
    } else if (arg == "--warmup") {
      o.warmup = std::stod(value());
    } else if (arg == "--rate") {
      o.rate = std::stod(value());
    } else if (arg == "--new-connection") {
      o.new_connection = true;
    } else if (arg == "--requests") {
      o.requests = std::stoll(value());
    } else if (arg == "--timeout") {
      o.timeout = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--json") {
      o.json_file = value();
    } else if (arg == "--label") {
      o.label = value();
    } else if (arg == "--header") {
      const std::string header = value();
      const auto colon = header.find(':');
      if (colon == std::string::npos || colon == 0) usage("--header must be 'Name: value'");
      const auto start = header.find_first_not_of(' ', colon + 1);
      o.headers.emplace_back(header.substr(0, colon),
                             start == std::string::npos ? std::string() : header.substr(start));
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (o.mix_file.empty()) usage("--mix is required");
  if (o.connections < 1 || o.threads < 1) usage("--connections and --threads must be >= 1");
  o.threads = std::min(o.threads, o.connections);
  return o;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<MixEntry> load_mix(const Options& o) {
  const std::string dir = o.mix_file.find('/') == std::string::npos
                              ? std::string(".")
                              : o.mix_file.substr(0, o.mix_file.rfind('/'));
  std::istringstream lines(read_file(o.mix_file));
  std::vector<MixEntry> mix;
  std::string line;
  while (std::getline(lines, line)) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string method, path, body_file;
    if (!(words >> method >> path)) continue;
    words >> body_file;
    http::request<http::string_body> request{http::string_to_verb(method), path, 11};
    if (request.method() == http::verb::unknown) request.method_string(method);
    request.set(http::field::host, o.host + ":" + o.port);
    request.set(http::field::user_agent, "firewarden-loadgen");
    for (const auto& [name, value] : o.headers) request.set(name, value);
    if (!body_file.empty()) {
      request.body() = read_file(body_file.front() == '/' ? body_file : dir + "/" + body_file);
      request.set(http::field::content_type, "application/json");
    }
    request.keep_alive(!o.new_connection);
    request.prepare_payload();
    std::ostringstream wire;
    wire << request;
    mix.push_back({wire.str()});
  }
  if (mix.empty()) throw std::runtime_error(o.mix_file + ": no requests");
  return mix;
}

std::shared_ptr<ssl::context> client_context(const Options& o) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (!o.cert_file.empty()) context->use_certificate_chain_file(o.cert_file);
  if (!o.key_file.empty()) context->use_private_key_file(o.key_file, ssl::context::pem);
  if (!o.ca_file.empty()) {
    context->load_verify_file(o.ca_file);
    context->set_verify_mode(ssl::verify_peer);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  // Every new connection is a full handshake (no client-side session reuse),
  // the same for every proxy measured.
  SSL_CTX_set_session_cache_mode(context->native_handle(), SSL_SESS_CACHE_OFF);
  return context;
}

struct Shared {
  const Options& options;
  const std::vector<MixEntry>& mix;
  tcp::resolver::results_type endpoints;
  std::shared_ptr<ssl::context> tls;
  Clock::time_point start, measure_from, end;
  std::atomic<long long> issued{0};
  std::atomic<std::uint64_t> failures_logged{0};
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <typename Stream>
net::awaitable<boost::system::error_code> open(Stream& stream, Shared& shared) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(shared.options.timeout);
  auto [error, endpoint] =
      co_await tcp_layer.async_connect(shared.endpoints, as_tuple(use_awaitable));
  if (error) co_return error;
  tcp_layer.socket().set_option(tcp::no_delay(true));
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    auto [handshake_error] =
        co_await stream.async_handshake(ssl::stream_base::client, as_tuple(use_awaitable));
    co_return handshake_error;
  }
  co_return boost::system::error_code{};
}

// One request/response exchange; the body is read and discarded in chunks.
template <typename Stream>
net::awaitable<boost::system::error_code> exchange(Stream& stream, beast::flat_buffer& buffer,
                                                   const MixEntry& entry, unsigned& status,
                                                   std::uint64_t& bytes, bool& keep_alive,
                                                   const Options& options) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(options.timeout);
  auto [write_error, written] =
      co_await net::async_write(stream, net::buffer(entry.wire), as_tuple(use_awaitable));
  if (write_error) co_return write_error;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  auto [header_error, header_bytes] =
      co_await http::async_read_header(stream, buffer, parser, as_tuple(use_awaitable));
  if (header_error) co_return header_error;
  static thread_local std::array<char, 64 * 1024> sink;
  while (!parser.is_done()) {
    parser.get().body().data = sink.data();
    parser.get().body().size = sink.size();
    auto [read_error, read_bytes] =
        co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    if (read_error && read_error != http::error::need_buffer) co_return read_error;
    bytes += sink.size() - parser.get().body().size;
  }
  status = parser.get().result_int();
  keep_alive = parser.get().keep_alive();
  co_return boost::system::error_code{};
}

template <typename Stream>
std::unique_ptr<Stream> make_stream(net::io_context& io, Shared& shared) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    return std::make_unique<Stream>(io, *shared.tls);
  } else {
    return std::make_unique<Stream>(io);
  }
}

template <typename Stream>
net::awaitable<void> connection_loop(net::io_context& io, Shared& shared, Stats& stats, int index) {
  const Options& o = shared.options;
  const auto interval = o.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(o.connections / o.rate))
                                   : Clock::duration::zero();
  auto intended = shared.start + (o.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(index / o.rate))
                                             : Clock::duration::zero());
  net::steady_timer timer(io);
  std::unique_ptr<Stream> stream;
  beast::flat_buffer buffer;
  std::size_t next = static_cast<std::size_t>(index) % shared.mix.size();
  for (;;) {
    if (o.rate > 0) {
      if (intended >= shared.end) break;
      if (intended > Clock::now()) {
        timer.expires_at(intended);
        co_await timer.async_wait(as_tuple(use_awaitable));
      }
    } else if (Clock::now() >= shared.end) {
      break;
    }
    if (o.requests > 0 && shared.issued.fetch_add(1) >= o.requests) break;
    const auto sent = Clock::now();
    const auto measured_from = o.rate > 0 ? intended : sent;
    intended += interval;

    boost::system::error_code error;
    if (!stream) {
      stream = make_stream<Stream>(io, shared);
      buffer.clear();
      error = co_await open(*stream, shared);
      ++stats.connects;
    }
    unsigned status = 0;
    bool keep_alive = false;
    std::uint64_t bytes = 0;
    if (!error) {
      error = co_await exchange(*stream, buffer, shared.mix[next], status, bytes, keep_alive, o);
    }
    next = (next + 1) % shared.mix.size();
    const auto done = Clock::now();
    if (done >= shared.measure_from && measured_from <= shared.end) {
      if (error) {
        ++stats.errors;
        if (shared.failures_logged.fetch_add(1) < 5) {
          std::cerr << "loadgen: request failed: " << error.message() << "\n";
        }
      } else {
        if (status >= 200 && status < 300) {
          ++stats.ok;
        } else {
          ++stats.non_2xx;
          if (shared.failures_logged.fetch_add(1) < 5) {
            std::cerr << "loadgen: HTTP status " << status << "\n";
          }
        }
        stats.bytes_in += bytes;
        const auto micros =
            std::chrono::duration_cast<std::chrono::microseconds>(done - measured_from).count();
        stats.latency_us.push_back(static_cast<std::uint32_t>(std::max<long long>(micros, 0)));
      }
    }
    if (error || !keep_alive || o.new_connection) {
      boost::system::error_code ignored;
      beast::get_lowest_layer(*stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(*stream).socket().close(ignored);
      stream.reset();
      if (error && o.rate == 0) {  // do not spin on a refusing server
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(as_tuple(use_awaitable));
      }
    }
  }
  // Open loop: a connection whose next turn falls after the end stays open (idle)
  // until the end, so a run with a low rate holds every connection at once; the
  // idle-connection memory step samples the proxy then.
  if (stream && o.rate > 0 && Clock::now() < shared.end) {
    timer.expires_at(shared.end);
    co_await timer.async_wait(as_tuple(use_awaitable));
  }
  if (stream) {
    boost::system::error_code ignored;
    beast::get_lowest_layer(*stream).socket().close(ignored);
  }
}

double percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse(argc, argv);
    const auto mix = load_mix(o);
    net::io_context resolve_io;
    tcp::resolver resolver(resolve_io);
    Shared shared{
        o, mix, resolver.resolve(o.host, o.port), o.tls ? client_context(o) : nullptr, {}, {}, {}};

    const auto warmup = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(o.requests > 0 ? 0 : o.warmup));
    const auto duration = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(o.requests > 0 ? 1e7 : o.duration));
    shared.start = Clock::now() + std::chrono::milliseconds(20);
    shared.measure_from = shared.start + warmup;
    shared.end = shared.measure_from + duration;

    std::vector<std::unique_ptr<net::io_context>> contexts;
    std::vector<Stats> stats(static_cast<std::size_t>(o.threads));
    for (int t = 0; t < o.threads; ++t) contexts.push_back(std::make_unique<net::io_context>(1));
    for (int c = 0; c < o.connections; ++c) {
      const auto t = static_cast<std::size_t>(c % o.threads);
      auto& io = *contexts[t];
      auto rethrow = [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
      };
      if (o.tls) {
        net::co_spawn(io, connection_loop<TlsStream>(io, shared, stats[t], c), rethrow);
      } else {
        net::co_spawn(io, connection_loop<PlainStream>(io, shared, stats[t], c), rethrow);
      }
    }
    std::vector<std::thread> workers;
    for (int t = 1; t < o.threads; ++t)
      workers.emplace_back([&, t] { contexts[static_cast<std::size_t>(t)]->run(); });
    contexts[0]->run();
    for (auto& w : workers) w.join();
    const auto finished = Clock::now();

    Stats total;
    for (auto& s : stats) {
      total.latency_us.insert(total.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
      total.ok += s.ok;
      total.non_2xx += s.non_2xx;
      total.errors += s.errors;
      total.connects += s.connects;
      total.bytes_in += s.bytes_in;
    }
    std::sort(total.latency_us.begin(), total.latency_us.end());
    const double seconds =
        std::chrono::duration<double>(std::min(finished, shared.end) - shared.measure_from).count();
    const double completed = static_cast<double>(total.ok + total.non_2xx);
    const double rps = seconds > 0 ? completed / seconds : 0;
    double mean = 0;
    for (auto v : total.latency_us) mean += v;
    if (!total.latency_us.empty()) mean /= static_cast<double>(total.latency_us.size());
    const double p50 = percentile(total.latency_us, 50), p90 = percentile(total.latency_us, 90),
                 p99 = percentile(total.latency_us, 99), p999 = percentile(total.latency_us, 99.9);
    const double max = total.latency_us.empty() ? 0 : total.latency_us.back();

    std::printf(
        "%s: %.0f req/s over %.1f s, %d connections%s%s\n"
        "  latency us: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f  mean %.0f\n"
        "  ok %llu  non-2xx %llu  errors %llu  connects %llu  bytes in %llu\n",
        o.label.c_str(), rps, seconds, o.connections, o.tls ? ", TLS" : "",
        o.rate > 0 ? (", open loop at " + std::to_string(static_cast<long>(o.rate)) + "/s").c_str()
                   : ", closed loop",
        p50, p90, p99, p999, max, mean, static_cast<unsigned long long>(total.ok),
        static_cast<unsigned long long>(total.non_2xx),
        static_cast<unsigned long long>(total.errors),
        static_cast<unsigned long long>(total.connects),
        static_cast<unsigned long long>(total.bytes_in));
    if (!o.json_file.empty()) {
      std::FILE* out = std::fopen(o.json_file.c_str(), "w");
      if (out == nullptr) throw std::runtime_error("cannot write " + o.json_file);
      std::fprintf(out,
                   "{\"label\":\"%s\",\"connections\":%d,\"threads\":%d,\"tls\":%s,"
                   "\"new_connection\":%s,\"rate\":%.0f,\"seconds\":%.3f,\"requests\":%.0f,"
                   "\"rps\":%.1f,\"ok\":%llu,\"non_2xx\":%llu,\"errors\":%llu,\"connects\":%llu,"
                   "\"bytes_in\":%llu,\"latency_us\":{\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,"
                   "\"p99_9\":%.0f,\"max\":%.0f,\"mean\":%.1f}}\n",
                   o.label.c_str(), o.connections, o.threads, o.tls ? "true" : "false",
                   o.new_connection ? "true" : "false", o.rate, seconds, completed, rps,
                   static_cast<unsigned long long>(total.ok),
                   static_cast<unsigned long long>(total.non_2xx),
                   static_cast<unsigned long long>(total.errors),
                   static_cast<unsigned long long>(total.connects),
                   static_cast<unsigned long long>(total.bytes_in), p50, p90, p99, p999, max, mean);
      std::fclose(out);
    }
    return total.errors + total.non_2xx == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "loadgen: " << e.what() << "\n";
    return 2;
  }
}
