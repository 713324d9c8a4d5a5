#include "firewarden/telemetry/line_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "firewarden/telemetry/metrics.hpp"

using firewarden::telemetry::BackgroundWriter;
using firewarden::telemetry::Counter;
using namespace std::chrono_literals;

namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    ::close(read_end);
    ::close(write_end);
  }
  std::string drain() const {
    std::string out;
    char buffer[65536];
    ::fcntl(read_end, F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = ::read(read_end, buffer, sizeof buffer)) > 0;) {
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("line writer: lines arrive whole and in order") {
  Pipe pipe;
  BackgroundWriter writer(pipe.write_end, 1024 * 1024);
  for (int i = 0; i < 100; ++i) writer.write("line " + std::to_string(i) + "\n");
  REQUIRE(writer.flush(5s));
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "line " + std::to_string(i) + "\n";
  CHECK(pipe.drain() == expected);
  CHECK(writer.dropped() == 0);
}

TEST_CASE("line writer: a destination nobody reads never blocks, lines beyond the bound drop") {
  Pipe pipe;  // 64 KiB of pipe buffer, never read until the end
  const std::string line(1000, 'x');
  // Filled up before the writer starts, so that it is stuck from its first
  // write however the threads are scheduled (writes under PIPE_BUF are
  // atomic: whole lines or EAGAIN).
  ::fcntl(pipe.write_end, F_SETFL, O_NONBLOCK);
  int prefilled = 0;
  while (::write(pipe.write_end, (line + "\n").data(), line.size() + 1) > 0) ++prefilled;
  ::fcntl(pipe.write_end, F_SETFL, 0);
  Counter dropped;
  BackgroundWriter writer(pipe.write_end, 64 * 1024);
  writer.attach_counter(&dropped);
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) writer.write(line + "\n");  // 1 MB
  CHECK(std::chrono::steady_clock::now() - begin < 2s);
  // The queue takes ~65 lines; the rest are dropped.
  CHECK(writer.dropped() >= 800);
  CHECK(writer.dropped() < 1000);
  CHECK(dropped.value() == writer.dropped());
  CHECK_FALSE(writer.flush(100ms));  // still stuck
  // Once read, what was queued arrives, whole lines only.
  std::string got;
  for (int i = 0; i < 100 && !writer.flush(10ms); ++i) got += pipe.drain();
  got += pipe.drain();
  CHECK(got.size() % (line.size() + 1) == 0);
  CHECK(got.size() / (line.size() + 1) - static_cast<std::size_t>(prefilled) + writer.dropped() ==
        1000);
  writer.attach_counter(nullptr);
}

TEST_CASE("line writer: write errors drop and count the line (full disk)") {
  const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  REQUIRE(full >= 0);
  BackgroundWriter writer(full, 1024 * 1024);
  for (int i = 0; i < 10; ++i) writer.write("lost\n");
  REQUIRE(writer.flush(5s));
  CHECK(writer.dropped() == 10);
  // Drops counted before a counter is attached are added when it is.
  Counter dropped;
  writer.attach_counter(&dropped);
  CHECK(dropped.value() == 10);
  writer.attach_counter(nullptr);
  ::close(full);
}

TEST_CASE("line writer: batched lines wait for the batch delay, flush writes them at once") {
  Pipe pipe;
  BackgroundWriter writer(pipe.write_end, 1024 * 1024, 2s);
  writer.write("one\n");
  writer.write("two\n");
  CHECK(pipe.drain().empty());  // held for the batch (2 s)
  const auto begin = std::chrono::steady_clock::now();
  REQUIRE(writer.flush(5s));
  CHECK(std::chrono::steady_clock::now() - begin < 1s);  // flush does not wait for the delay
  CHECK(pipe.drain() == "one\ntwo\n");
  // Without a flush a line is written once the delay has passed.
  writer.write("three\n");
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    got = pipe.drain();
  }
  CHECK(got == "three\n");
}
