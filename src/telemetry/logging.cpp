#include "firewarden/telemetry/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "firewarden/telemetry/line_writer.hpp"
#include "firewarden/telemetry/time_format.hpp"

namespace firewarden::telemetry {
namespace {

// spdlog's name for a level as a std::string ("info", "warning", …); its own
// string_view type would serialize as an array of characters.
std::string level_name(spdlog::level::level_enum level) {
  const auto name = spdlog::level::to_string_view(level);
  return std::string(name.data(), name.size());
}

// One JSON object per line: {"time":…,"level":…,"msg":…}. The message is
// escaped by nlohmann::json, so client-controlled text cannot forge fields or
// lines; invalid UTF-8 is replaced, never thrown on.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const nlohmann::json line = {
        {"time", format_rfc3339_millis(msg.time)},
        {"level", level_name(msg.level)},
        {"msg", std::string_view(msg.payload.data(), msg.payload.size())},
    };
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// logging.format: gcp. {"time":…,"severity":…,"message":…}: the fields
// Cloud Logging reads from a JSON line (structured logging), escaped as above.
class GcpFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string text = gcp_diagnostic_line(
        msg.level, std::string_view(msg.payload.data(), msg.payload.size()), msg.time);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<GcpFormatter>();
  }
};

// Formats like any spdlog sink, then hands the line to the background writer.
class BackgroundSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    stderr_writer().write(std::string_view(formatted.data(), formatted.size()));
  }
  void flush_() override {}  // the writer writes each line as soon as it can
};

}  // namespace

std::string_view gcp_severity(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "DEBUG";
    case spdlog::level::info:
      return "INFO";
    case spdlog::level::warn:
      return "WARNING";
    case spdlog::level::err:
      return "ERROR";
    case spdlog::level::critical:
      return "CRITICAL";
    default:
      return "DEFAULT";
  }
}

std::string gcp_diagnostic_line(spdlog::level::level_enum level, std::string_view message,
                                std::chrono::system_clock::time_point when) {
  const nlohmann::json line = {
      {"time", format_rfc3339_millis(when)},
      {"severity", std::string(gcp_severity(level))},
      {"message", message},
  };
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  return std::nullopt;
}

void setup_logging(spdlog::level::level_enum level, LogFormat format, bool background) {
  spdlog::sink_ptr sink;
  if (background) {
    sink = std::make_shared<BackgroundSink>();
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  auto logger = std::make_shared<spdlog::logger>("firewarden", std::move(sink));
  if (format == LogFormat::json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else if (format == LogFormat::gcp) {
    logger->set_formatter(std::make_unique<GcpFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace firewarden::telemetry
