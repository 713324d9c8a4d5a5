#include "firewarden/telemetry/line_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "firewarden/telemetry/metrics.hpp"

namespace firewarden::telemetry {

// Batching: the writer thread sleeps while nothing is queued; the first
// line wakes it, and it then waits up to its batch delay (or until
// batch_bytes are queued, or a flush) before writing everything queued with
// one write(2). For the access log that is, under load, one wake-up and one
// system call per batch instead of a futex wake, a context switch and a
// write(2) per request (bench: mix (a), one core shared by the proxy and
// this thread).
constexpr std::size_t kBatchBytes = 64 * 1024;

struct BackgroundWriter::State {
  int fd = -1;
  std::size_t max_queued_bytes = 0;
  // A batch this large is written at once, without waiting for kBatchDelay:
  // at most half the queue, so a burst is drained before the bound drops it.
  std::size_t batch_bytes = kBatchBytes;
  std::chrono::milliseconds batch_delay{0};
  std::mutex mutex;
  std::condition_variable wake;     // lines queued, a batch is full, flushing, or stopping
  std::condition_variable drained;  // queue empty and nothing being written
  std::string queue;                // whole lines, each ending in '\n'
  bool writing = false;
  bool stopping = false;
  unsigned flushing = 0;  // flush() calls waiting: write now, do not wait for a batch
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

  // Writes a batch of whole lines; EINTR and short writes retried. On an
  // error the lines not completely written are dropped: the count returned.
  std::uint64_t write_batch(const std::string& batch) const {
    std::size_t done = 0;
    while (done < batch.size()) {
      const ssize_t n = ::write(fd, batch.data() + done, batch.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    if (done == batch.size()) return 0;
    // Lines that started before `done` but end after it were cut; they and
    // all later ones count as dropped.
    const std::size_t last_whole = done == 0 ? std::string::npos : batch.rfind('\n', done - 1);
    const std::size_t from = last_whole == std::string::npos ? 0 : last_whole + 1;
    return static_cast<std::uint64_t>(
        std::count(batch.begin() + static_cast<std::ptrdiff_t>(from), batch.end(), '\n'));
  }

  static void run(const std::shared_ptr<State>& state) {
    std::string batch;
    std::unique_lock lock(state->mutex);
    for (;;) {
      state->wake.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
      if (state->queue.empty()) return;  // stopping, nothing left
      state->wake.wait_for(lock, state->batch_delay, [&] {
        return state->stopping || state->flushing > 0 || state->queue.size() >= state->batch_bytes;
      });
      batch.clear();
      batch.swap(state->queue);
      state->writing = true;
      lock.unlock();
      const std::uint64_t failed = state->write_batch(batch);
      if (batch.capacity() > 4 * kBatchBytes) std::string().swap(batch);  // after a burst
      lock.lock();
      state->writing = false;
      if (failed > 0) state->count_dropped(failed);
      if (state->queue.empty()) state->drained.notify_all();
    }
  }
};

BackgroundWriter::BackgroundWriter(int fd, std::size_t max_queued_bytes,
                                   std::chrono::milliseconds batch_delay)
    : state_(std::make_shared<State>()) {
  state_->fd = fd;
  state_->batch_delay = batch_delay;
  state_->max_queued_bytes = max_queued_bytes;
  state_->batch_bytes = std::min(kBatchBytes, max_queued_bytes / 2);
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

void BackgroundWriter::write(std::string_view line) {
  std::lock_guard lock(state_->mutex);
  if (state_->stopping || state_->queue.size() + line.size() > state_->max_queued_bytes) {
    state_->count_dropped(1);
    return;
  }
  const bool was_empty = state_->queue.empty();
  state_->queue.append(line);
  // The writer sleeps until the first line; after that it wakes by itself
  // (batch_delay) unless a batch fills up first.
  const bool batch_full = state_->queue.size() >= state_->batch_bytes &&
                          state_->queue.size() - line.size() < state_->batch_bytes;
  if (was_empty || batch_full) state_->wake.notify_one();
}

bool BackgroundWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  ++state_->flushing;
  state_->wake.notify_one();
  const bool done = state_->drained.wait_for(
      lock, timeout, [&] { return state_->queue.empty() && !state_->writing; });
  --state_->flushing;
  return done;
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
// Access lines may wait this long to be written in a batch; diagnostics are
// rare and written at once (tests and operators read them right away).
constexpr auto kAccessLogBatchDelay = std::chrono::milliseconds(20);
}  // namespace

// Deliberately never destroyed: alive for every thread until the process ends
// (the daemon flushes them before returning).
BackgroundWriter& stdout_writer() {
  static auto* writer = new BackgroundWriter(STDOUT_FILENO, kMaxQueuedBytes, kAccessLogBatchDelay);
  return *writer;
}

BackgroundWriter& stderr_writer() {
  static auto* writer = new BackgroundWriter(STDERR_FILENO, kMaxQueuedBytes);
  return *writer;
}

}  // namespace firewarden::telemetry
