// Shared helpers of the unit tests: temporary files and directories, and a
// tiny blocking HTTP/1.1 client over TCP or a Unix socket that reads exactly
// one response at a time, with a deadline on every read.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "libcommon/event_loop.hpp"

namespace testing_support {

// Runs the loop until stop() is called or the deadline passes; true if it
// was stopped in time, so that no test can hang on a loop.
class LoopRunner {
public:
    explicit LoopRunner(usersuite::EventLoop& loop) : loop_(loop), guard_(loop, [this] {
        timed_out_ = true;
        loop_.stop();
    }) {}
    bool run(std::chrono::milliseconds deadline) {
        timed_out_ = false;
        guard_.arm(deadline);
        loop_.run();
        guard_.cancel();
        return !timed_out_;
    }

private:
    usersuite::EventLoop& loop_;
    usersuite::Timer guard_;
    bool timed_out_ = false;
};

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/usersuite-unit-XXXXXX";
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = buf.data();
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

    std::string write(const std::string& name, const std::string& content) const {
        std::string p = file(name);
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out) throw std::runtime_error("cannot write " + p);
        return p;
    }

private:
    std::string path_;
};

// Polls `done` until it holds or the deadline passes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

struct HttpResponse {
    std::string status_line;
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // The value of the first header of that name (any case), or nullopt.
    std::optional<std::string> header(std::string_view name) const {
        for (const auto& [k, v] : headers)
            if (iequals(k, name)) return v;
        return std::nullopt;
    }
    std::size_t header_count(std::string_view name) const {
        std::size_t n = 0;
        for (const auto& [k, v] : headers) n += iequals(k, name) ? 1 : 0;
        return n;
    }
    bool has_header_prefix(std::string_view prefix) const {
        for (const auto& [k, v] : headers)
            if (k.size() >= prefix.size() && iequals(std::string_view(k).substr(0, prefix.size()), prefix)) return true;
        return false;
    }
};

// A port that was free a moment ago on 127.0.0.1 (the kernel's choice).
inline int free_tcp_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    socklen_t len = sizeof sa;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(sa.sin_port);
}

// One client connection. Every blocking step is bounded by `timeout`.
class RawClient {
public:
    explicit RawClient(std::chrono::milliseconds timeout = std::chrono::seconds(10)) : timeout_(timeout) {}
    ~RawClient() { close(); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    // false (with errno kept) when the connection is refused or fails.
    bool connect_tcp(int port) {
        if (!open_tcp()) return false;
        return connect_opened_tcp(port);
    }

    // The socket now, the connection later (connect_opened_tcp): descriptor
    // numbers freed in between then go to the server's accept, not to us.
    bool open_tcp() {
        close();
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return false;
        set_timeouts();
        return true;
    }

    bool connect_opened_tcp(int port) {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons(static_cast<uint16_t>(port));
        return finish_connect(::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
    }

    bool connect_unix(const std::string& path) {
        close();
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return false;
        set_timeouts();
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
        return finish_connect(::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        buffer_.clear();
    }

    // Ends the client's side of the stream (the server reads its end) and keeps reading.
    void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

    // Sends everything it can; false when the peer stopped reading (a server
    // may answer and close before a large body is through).
    bool send_all(std::string_view data) {
        auto deadline = std::chrono::steady_clock::now() + timeout_;
        while (!data.empty()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Reads one response. Its body ends by Content-Length, or at EOF without
    // one; a response to HEAD (head_request) has none. nullopt when the
    // connection closed or timed out before the response was complete.
    std::optional<HttpResponse> read_response(bool head_request = false) {
        auto deadline = std::chrono::steady_clock::now() + timeout_;
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!fill(deadline)) return std::nullopt;
        HttpResponse r;
        std::string head = buffer_.substr(0, end);
        buffer_.erase(0, end + 4);
        std::size_t line_end = head.find("\r\n");
        r.status_line = head.substr(0, line_end);
        // Any "HTTP/x.y NNN" is parsed, so that a test can check the version.
        if (r.status_line.rfind("HTTP/", 0) != 0 || r.status_line.size() < 12) return std::nullopt;
        r.status = std::atoi(r.status_line.c_str() + 9);
        std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
            std::size_t next = head.find("\r\n", pos);
            if (next == std::string::npos) next = head.size();
            std::string line = head.substr(pos, next - pos);
            std::size_t colon = line.find(':');
            if (colon != std::string::npos) {
                std::string value = line.substr(colon + 1);
                while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
                while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
                r.headers.emplace_back(line.substr(0, colon), value);
            }
            pos = next + 2;
        }
        if (head_request || r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200)) return r;
        if (auto cl = r.header("Content-Length")) {
            std::size_t want = std::stoul(*cl);
            while (buffer_.size() < want)
                if (!fill(deadline)) return std::nullopt;
            r.body = buffer_.substr(0, want);
            buffer_.erase(0, want);
            return r;
        }
        if (r.header("Transfer-Encoding")) return std::nullopt;  // never sent by these servers
        while (fill(deadline)) {
        }
        if (!eof_) return std::nullopt;
        r.body = std::move(buffer_);
        buffer_.clear();
        return r;
    }

    // One request, one response.
    std::optional<HttpResponse> exchange(std::string_view request, bool head_request = false) {
        if (!send_all(request)) return std::nullopt;
        return read_response(head_request);
    }

    // True when the server closes the connection before the deadline with
    // nothing more to read.
    bool wait_for_eof() {
        auto deadline = std::chrono::steady_clock::now() + timeout_;
        while (fill(deadline)) {
        }
        return eof_ && buffer_.empty();
    }

    const std::string& unread() const { return buffer_; }

private:
    void set_timeouts() {
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }

    bool finish_connect(int rc) {
        if (rc == 0) return true;
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        errno = err;
        return false;
    }

    // Appends what arrives before the deadline; false at EOF, error or timeout.
    bool fill(std::chrono::steady_clock::time_point deadline) {
        eof_ = false;
        if (fd_ < 0) return false;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready <= 0) return false;
        char chunk[65536];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            eof_ = true;
            return false;
        }
        if (n < 0) return errno == EINTR;
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    std::chrono::milliseconds timeout_;
    int fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
};

}  // namespace testing_support
