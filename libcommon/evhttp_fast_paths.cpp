// Two libevent functions that evhttp calls for every request, replaced by
// definitions in the program that keep their contracts exactly and cost a
// fraction (users-api answering a hello: 32.4k instructions a request, of
// which these two were 8.0k and 2.3k; README, Benchmarks). libevent calls both
// through its PLT, as it does evhttp_send_error (http_server.cpp), so the
// dynamic linker binds its calls to these. The program must link this
// object: HttpServer's constructor calls evhttp_fast_paths_linked().

#include "libcommon/evhttp_fast_paths.hpp"

#include <event2/buffer.h>
#include <event2/util.h>

#include <array>
#include <charconv>
#include <cstdarg>
#include <cstring>
#include <system_error>
#include <utility>

namespace usersuite {

namespace {

// Appends the pieces to buf as one evbuffer_add_printf would: in one
// piece, so the buffer's callbacks run once. Returns the bytes added, or -1.
int add_pieces(evbuffer* buf, std::initializer_list<std::pair<const char*, std::size_t>> pieces) {
    std::size_t total = 0;
    for (const auto& [data, size] : pieces) total += size;
    // A header line fits here; evbuffer_add costs less than reserving and
    // committing space in the buffer, which longer lines do.
    std::array<char, 512> line;
    evbuffer_iovec space{line.data(), line.size()};
    bool reserved = total > line.size();
    if (reserved && (evbuffer_reserve_space(buf, static_cast<ev_ssize_t>(total), &space, 1) != 1 ||
                     space.iov_len < total))
        return -1;
    char* p = static_cast<char*>(space.iov_base);
    for (const auto& [data, size] : pieces) p = static_cast<char*>(std::memcpy(p, data, size)) + size;
    space.iov_len = total;
    int failed = reserved ? evbuffer_commit_space(buf, &space, 1) : evbuffer_add(buf, line.data(), total);
    return failed != 0 ? -1 : static_cast<int>(total);
}

// What printf writes for a %s: evhttp's reason phrase is null when its copy
// failed for want of memory.
std::pair<const char*, std::size_t> printf_string(const char* s) {
    if (s == nullptr) s = "(null)";
    return {s, std::strlen(s)};
}

// The status line, "HTTP/%d.%d %d %s\r\n".
int add_status_line(evbuffer* buf, va_list ap) {
    int major = va_arg(ap, int);
    int minor = va_arg(ap, int);
    int code = va_arg(ap, int);
    const char* reason = va_arg(ap, const char*);
    std::array<char, 40> numbers;
    char* p = numbers.data();
    for (auto [value, separator] : {std::pair{major, '.'}, std::pair{minor, ' '}, std::pair{code, ' '}}) {
        auto [next, error] = std::to_chars(p, numbers.data() + numbers.size() - 1, value);
        if (error != std::errc{}) return -1;
        *next = separator;
        p = next + 1;
    }
    return add_pieces(buf, {{"HTTP/", 5},
                            {numbers.data(), static_cast<std::size_t>(p - numbers.data())},
                            printf_string(reason),
                            {"\r\n", 2}});
}

// A header line, "%s: %s\r\n".
int add_header_line(evbuffer* buf, va_list ap) {
    const char* key = va_arg(ap, const char*);
    const char* value = va_arg(ap, const char*);
    return add_pieces(buf, {printf_string(key), {": ", 2}, printf_string(value), {"\r\n", 2}});
}

constexpr std::array<unsigned char, 256> kAsciiLower = [] {
    std::array<unsigned char, 256> table{};
    for (int c = 0; c < 256; ++c) table[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    return table;
}();

}  // namespace

void evhttp_fast_paths_linked() {}

}  // namespace usersuite

// evhttp's formats are matched by their text; every other format goes to
// libevent's own evbuffer_add_vprintf.
extern "C" int evbuffer_add_printf(evbuffer* buf, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int added;
    if (std::strcmp(fmt, "%s: %s\r\n") == 0)
        added = usersuite::add_header_line(buf, ap);
    else if (std::strcmp(fmt, "HTTP/%d.%d %d %s\r\n") == 0)
        added = usersuite::add_status_line(buf, ap);
    else
        added = evbuffer_add_vprintf(buf, fmt, ap);
    va_end(ap);
    return added;
}

// libevent's lowers each character with a call to EVUTIL_TOLOWER_; the
// result is the same: ASCII letters folded, the rest compared as char.
extern "C" int evutil_ascii_strcasecmp(const char* s1, const char* s2) {
    for (;; ++s1, ++s2) {
        auto c1 = static_cast<char>(usersuite::kAsciiLower[static_cast<unsigned char>(*s1)]);
        auto c2 = static_cast<char>(usersuite::kAsciiLower[static_cast<unsigned char>(*s2)]);
        if (c1 != c2) return c1 < c2 ? -1 : 1;
        if (c1 == 0) return 0;
    }
}
