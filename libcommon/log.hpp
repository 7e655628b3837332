// Logging as architecture.md fixes it:
//   2026-02-10 10:30:45,123 - users-api.routes - INFO - [RequestID: ...] - message
// to stderr and LOG_DIR/app.log (all levels), LOG_DIR/error.log (ERROR), one
// write() per line so several processes can append to the same files.
#pragma once

#include <string>
#include <string_view>

namespace usersuite {

enum class LogLevel { debug = 10, info = 20, warning = 30, error = 40 };

bool parse_log_level(std::string_view name, LogLevel* out);

// Opens the log files (creating LOG_DIR); an empty dir writes no files.
// Throws std::runtime_error naming the file when it cannot be opened.
void log_open(const std::string& process, const std::string& dir, LogLevel level, bool to_stderr = true);
// Reopens the files after logrotate moved them (SIGHUP); on failure keeps
// the old descriptors and logs why.
void log_reopen();

// The text of one line, without the newline. Control bytes in the message
// are escaped so that no input can forge a line.
std::string format_log_line(std::string_view logger, LogLevel level, std::string_view request_id,
                            std::string_view message);

class Logger {
public:
    explicit Logger(std::string component) : component_(std::move(component)) {}

    void debug(std::string_view request_id, std::string_view message) const;
    void info(std::string_view request_id, std::string_view message) const;
    void warning(std::string_view request_id, std::string_view message) const;
    void error(std::string_view request_id, std::string_view message) const;
    void write(LogLevel level, std::string_view request_id, std::string_view message) const;

private:
    std::string component_;
};

// The request id of log lines that belong to no request.
inline constexpr std::string_view kNoRequest = "-";

}  // namespace usersuite
