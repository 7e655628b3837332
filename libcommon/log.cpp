#include "libcommon/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace usersuite {

namespace {

struct LogState {
    std::mutex mutex;  // guards the descriptors against a reopen on another thread
    std::string process = "usersuite";
    std::string dir;
    LogLevel level = LogLevel::info;
    bool to_stderr = true;
    int app_fd = -1;
    int error_fd = -1;
};

LogState& state() {
    static LogState s;
    return s;
}

int open_append(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) throw std::runtime_error("cannot open log file " + path + ": " + std::strerror(errno));
    return fd;
}

void write_all(int fd, const std::string& line) {
    if (fd < 0) return;
    // O_APPEND with a single write keeps lines whole across processes.
    ssize_t r;
    do {
        r = ::write(fd, line.data(), line.size());
    } while (r < 0 && errno == EINTR);
}

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::debug: return "DEBUG";
        case LogLevel::info: return "INFO";
        case LogLevel::warning: return "WARNING";
        case LogLevel::error: return "ERROR";
    }
    return "INFO";
}

// True when one of the eight bytes of w is below 0x20 or is 0x7f (the
// classic "has a byte less than n" and "has a zero byte" tests).
bool has_control_byte(std::uint64_t w) {
    constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;
    std::uint64_t del = w ^ (ones * 0x7f);
    return (((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & highs;
}

// Control characters as \xNN, so that no text can forge a line.
void append_escaped(std::string& out, std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t clean_from = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        // Eight bytes at a time while they need no escape: a log line is
        // written for every request.
        std::uint64_t word;
        if (i + sizeof word <= text.size()) {
            std::memcpy(&word, text.data() + i, sizeof word);
            if (!has_control_byte(word)) {
                i += sizeof word;
                continue;
            }
        }
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != 0x7f) {
            ++i;
            continue;
        }
        out.append(text, clean_from, i - clean_from);
        const char escaped[4] = {'\\', 'x', hex[c >> 4], hex[c & 0x0f]};
        out.append(escaped, sizeof escaped);
        clean_from = ++i;
    }
    out.append(text, clean_from);
}

}  // namespace

bool parse_log_level(std::string_view name, LogLevel* out) {
    static constexpr std::pair<std::string_view, LogLevel> names[] = {
        {"DEBUG", LogLevel::debug}, {"INFO", LogLevel::info}, {"WARNING", LogLevel::warning}, {"ERROR", LogLevel::error}};
    for (const auto& [n, l] : names) {
        if (n == name) {
            *out = l;
            return true;
        }
    }
    return false;
}

void log_open(const std::string& process, const std::string& dir, LogLevel level, bool to_stderr) {
    LogState& s = state();
    int app = -1, err = -1;
    if (!dir.empty()) {
        for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
            std::string part = dir.substr(0, slash);
            if (::mkdir(part.c_str(), 0750) != 0 && errno != EEXIST)
                throw std::runtime_error("cannot create LOG_DIR " + part + ": " + std::strerror(errno));
            if (slash == std::string::npos) break;
        }
        app = open_append(dir + "/app.log");
        try {
            err = open_append(dir + "/error.log");
        } catch (...) {
            ::close(app);
            throw;
        }
    }
    std::lock_guard lock(s.mutex);
    if (s.app_fd >= 0) ::close(s.app_fd);
    if (s.error_fd >= 0) ::close(s.error_fd);
    s.process = process;
    s.dir = dir;
    s.level = level;
    s.to_stderr = to_stderr;
    s.app_fd = app;
    s.error_fd = err;
}

void log_reopen() {
    LogState& s = state();
    std::string dir;
    {
        std::lock_guard lock(s.mutex);
        dir = s.dir;
    }
    if (dir.empty()) return;
    int app = -1, err = -1;
    try {
        app = open_append(dir + "/app.log");
        err = open_append(dir + "/error.log");
    } catch (const std::exception& e) {
        if (app >= 0) ::close(app);
        Logger("log").error(kNoRequest, std::string("reopening log files failed, keeping the old ones: ") + e.what());
        return;
    }
    {
        std::lock_guard lock(s.mutex);
        std::swap(s.app_fd, app);
        std::swap(s.error_fd, err);
    }
    ::close(app);
    ::close(err);
    Logger("log").info(kNoRequest, "log files reopened");
}

namespace {

// "2026-02-10 10:30:45,123": strftime runs once a second, not once a line.
void append_timestamp(std::string& out) {
    struct Cache {
        time_t second = -1;
        char text[24] = {};
    };
    thread_local Cache cache;
    struct timeval tv;
    ::gettimeofday(&tv, nullptr);
    if (tv.tv_sec != cache.second) {
        struct tm tm;
        ::localtime_r(&tv.tv_sec, &tm);
        std::strftime(cache.text, sizeof cache.text, "%Y-%m-%d %H:%M:%S,", &tm);
        cache.second = tv.tv_sec;
    }
    out += cache.text;
    int ms = static_cast<int>(tv.tv_usec / 1000);
    out.push_back(static_cast<char>('0' + ms / 100));
    out.push_back(static_cast<char>('0' + ms / 10 % 10));
    out.push_back(static_cast<char>('0' + ms % 10));
}

void append_line(std::string& line, std::string_view process, std::string_view component, LogLevel level,
                 std::string_view request_id, std::string_view message) {
    append_timestamp(line);
    line += " - ";
    append_escaped(line, process);
    if (!component.empty()) {
        line.push_back('.');
        append_escaped(line, component);
    }
    line += " - ";
    line += level_name(level);
    line += " - [RequestID: ";
    append_escaped(line, request_id);
    line += "] - ";
    append_escaped(line, message);
}

}  // namespace

std::string format_log_line(std::string_view logger, LogLevel level, std::string_view request_id,
                            std::string_view message) {
    std::string line;
    append_line(line, logger, {}, level, request_id, message);
    return line;
}

void Logger::write(LogLevel level, std::string_view request_id, std::string_view message) const {
    LogState& s = state();
    thread_local std::string line;
    std::lock_guard lock(s.mutex);
    if (level < s.level) return;
    line.clear();
    append_line(line, s.process, component_, level, request_id, message);
    line.push_back('\n');
    if (s.to_stderr) write_all(STDERR_FILENO, line);
    write_all(s.app_fd, line);
    if (level == LogLevel::error) write_all(s.error_fd, line);
}

void Logger::debug(std::string_view rid, std::string_view m) const { write(LogLevel::debug, rid, m); }
void Logger::info(std::string_view rid, std::string_view m) const { write(LogLevel::info, rid, m); }
void Logger::warning(std::string_view rid, std::string_view m) const { write(LogLevel::warning, rid, m); }
void Logger::error(std::string_view rid, std::string_view m) const { write(LogLevel::error, rid, m); }

}  // namespace usersuite
