#pragma once
// Workers as the daemon runs them: N io_contexts, each run by exactly one
// thread of its own until the object is destroyed. For tests of what must
// stay on one worker.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace firewarden::testing {

class Workers {
 public:
  explicit Workers(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
      guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
    }
    for (auto& context : contexts_) threads_.emplace_back([&context] { context->run(); });
  }
  ~Workers() { stop(); }
  // Stops every worker and waits for its thread (before destroying what
  // their handlers use).
  void stop() {
    for (auto& context : contexts_) context->stop();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  boost::asio::io_context& context(std::size_t i) { return *contexts_.at(i); }
  std::thread::id thread(std::size_t i) const { return threads_.at(i).get_id(); }
  std::vector<boost::asio::any_io_executor> executors() {
    std::vector<boost::asio::any_io_executor> out;
    for (auto& context : contexts_) out.emplace_back(context->get_executor());
    return out;
  }
  // Runs `operation` (a coroutine) on worker i and waits for its result.
  template <typename T>
  T run_on(std::size_t i, boost::asio::awaitable<T> operation) {
    return boost::asio::co_spawn(context(i), std::move(operation), boost::asio::use_future).get();
  }

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace firewarden::testing
