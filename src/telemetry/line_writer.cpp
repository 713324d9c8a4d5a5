#include "firewarden/telemetry/line_writer.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "firewarden/telemetry/metrics.hpp"

namespace firewarden::telemetry {

struct BackgroundWriter::State {
  int fd = -1;
  std::size_t max_queued_bytes = 0;
  std::mutex mutex;
  std::condition_variable wake;     // lines queued, or stopping
  std::condition_variable drained;  // queue empty and nothing being written
  std::deque<std::string> queue;
  std::size_t queued_bytes = 0;
  bool writing = false;
  bool stopping = false;
  std::atomic<std::uint64_t> dropped{0};
  std::uint64_t reported = 0;  // drops already added to counter (under mutex)
  Counter* counter = nullptr;  // under mutex

  // Under mutex.
  void count_dropped(std::uint64_t lines) {
    dropped.fetch_add(lines, std::memory_order_relaxed);
    if (counter != nullptr) {
      counter->increment(lines);
      reported += lines;
    }
  }

  // Whole line or nothing counted as written; EINTR and short writes retried.
  bool write_line(const std::string& line) const {
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  static void run(const std::shared_ptr<State>& state) {
    std::unique_lock lock(state->mutex);
    for (;;) {
      state->wake.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
      if (state->queue.empty()) return;  // stopping, nothing left
      std::deque<std::string> batch;
      batch.swap(state->queue);
      state->queued_bytes = 0;
      state->writing = true;
      lock.unlock();
      std::uint64_t failed = 0;
      for (const auto& line : batch) {
        if (!state->write_line(line)) ++failed;
      }
      lock.lock();
      state->writing = false;
      if (failed > 0) state->count_dropped(failed);
      if (state->queue.empty()) state->drained.notify_all();
    }
  }
};

BackgroundWriter::BackgroundWriter(int fd, std::size_t max_queued_bytes)
    : state_(std::make_shared<State>()) {
  state_->fd = fd;
  state_->max_queued_bytes = max_queued_bytes;
  std::thread([state = state_] { State::run(state); }).detach();
}

BackgroundWriter::~BackgroundWriter() {
  flush(std::chrono::seconds(2));
  std::lock_guard lock(state_->mutex);
  state_->stopping = true;
  state_->counter = nullptr;
  state_->wake.notify_all();
  // The thread holds its own reference to the state: if it is stuck on a
  // blocked descriptor it stays so, harmlessly, until the process exits.
}

void BackgroundWriter::write(std::string line) {
  std::lock_guard lock(state_->mutex);
  if (state_->stopping || state_->queued_bytes + line.size() > state_->max_queued_bytes) {
    state_->count_dropped(1);
    return;
  }
  state_->queued_bytes += line.size();
  state_->queue.push_back(std::move(line));
  state_->wake.notify_one();
}

bool BackgroundWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  return state_->drained.wait_for(lock, timeout,
                                  [&] { return state_->queue.empty() && !state_->writing; });
}

std::uint64_t BackgroundWriter::dropped() const {
  return state_->dropped.load(std::memory_order_relaxed);
}

void BackgroundWriter::attach_counter(Counter* counter) {
  std::lock_guard lock(state_->mutex);
  state_->counter = counter;
  if (counter == nullptr) return;
  const auto total = state_->dropped.load(std::memory_order_relaxed);
  if (total > state_->reported) counter->increment(total - state_->reported);
  state_->reported = total;
}

namespace {
// 1 MiB per stream: about 2,000 access lines, enough to ride out a slow
// collector's hiccup, small next to what a connection flood costs.
constexpr std::size_t kMaxQueuedBytes = 1024 * 1024;
}  // namespace

// Deliberately never destroyed: alive for every thread until the process ends
// (the daemon flushes them before returning).
BackgroundWriter& stdout_writer() {
  static auto* writer = new BackgroundWriter(STDOUT_FILENO, kMaxQueuedBytes);
  return *writer;
}

BackgroundWriter& stderr_writer() {
  static auto* writer = new BackgroundWriter(STDERR_FILENO, kMaxQueuedBytes);
  return *writer;
}

}  // namespace firewarden::telemetry
