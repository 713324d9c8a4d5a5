#pragma once
// Log output that never blocks a request (docs/faults.md): lines are queued
// in memory and written to a file descriptor by one background thread. When
// the destination does not keep up (a pipe nobody reads, a full disk) the
// queue fills up to its bound and further lines are dropped and counted, the
// way Envoy's access log and journald's rate limiting trade log completeness
// for availability. A write error (ENOSPC, EPIPE) drops the line it was
// writing and counts it too.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace firewarden::telemetry {

class Counter;

class BackgroundWriter {
 public:
  // Lines are written in batches: at the latest `batch_delay` after the
  // first of a batch was queued (0: as soon as the writer thread runs).
  BackgroundWriter(int fd, std::size_t max_queued_bytes,
                   std::chrono::milliseconds batch_delay = std::chrono::milliseconds(0));
  // Waits (bounded) for the queue to drain; a writer stuck on a blocked
  // descriptor is detached rather than joined, so exit never hangs on it.
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  // Queues one line (with its newline); never waits for the descriptor.
  void write(std::string_view line);
  // Waits until everything queued so far was written (or dropped), at most
  // `timeout`; true when drained.
  bool flush(std::chrono::milliseconds timeout);

  std::uint64_t dropped() const;
  // Drops are also added to `counter` (a metric); drops counted before it was
  // attached are added at once. nullptr detaches.
  void attach_counter(Counter* counter);

 private:
  struct State;  // shared with the writer thread, which may outlive this object
  std::shared_ptr<State> state_;
};

// The process's stdout (access log, batched up to 20 ms) and stderr
// (diagnostics, unbatched) writers,
// created on first use and alive until exit. Only the daemon uses them; the
// CLI commands write synchronously.
BackgroundWriter& stdout_writer();
BackgroundWriter& stderr_writer();

}  // namespace firewarden::telemetry
