// The program's evbuffer_add_printf and evutil_ascii_strcasecmp: the ones
// libevent binds to, and the same bytes and results as libevent's own.
#include "libcommon/evhttp_fast_paths.hpp"

#include <dlfcn.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <gtest/gtest.h>

#include <cstdarg>
#include <string>

// libevent's own lowering, exported by the library but declared only in its
// internal headers.
extern "C" char EVUTIL_TOLOWER_(char c);

namespace {

// An evbuffer and its text.
class Buffer {
public:
    Buffer() : buf_(evbuffer_new()) {}
    ~Buffer() { evbuffer_free(buf_); }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    evbuffer* get() { return buf_; }
    std::string text() {
        std::string s(evbuffer_get_length(buf_), '\0');
        evbuffer_copyout(buf_, s.data(), s.size());
        return s;
    }

private:
    evbuffer* buf_;
};

// What libevent's own evbuffer_add_printf does: its vprintf.
int libevent_printf(evbuffer* buf, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = evbuffer_add_vprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

// libevent's evutil_ascii_strcasecmp as written in its evutil.c.
int libevent_strcasecmp(const char* s1, const char* s2) {
    for (;;) {
        char c1 = EVUTIL_TOLOWER_(*s1++);
        char c2 = EVUTIL_TOLOWER_(*s2++);
        if (c1 < c2) return -1;
        if (c1 > c2) return 1;
        if (c1 == 0) return 0;
    }
}

TEST(EvhttpFastPathsTest, AreTheDefinitionsTheDynamicLinkerBindsLibeventTo) {
    usersuite::evhttp_fast_paths_linked();
    EXPECT_EQ(dlsym(RTLD_DEFAULT, "evbuffer_add_printf"), reinterpret_cast<void*>(&evbuffer_add_printf));
    EXPECT_EQ(dlsym(RTLD_DEFAULT, "evutil_ascii_strcasecmp"), reinterpret_cast<void*>(&evutil_ascii_strcasecmp));
    void* libevent = dlopen("libevent-2.1.so.7", RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(libevent, nullptr);
    EXPECT_NE(dlsym(libevent, "evbuffer_add_printf"), reinterpret_cast<void*>(&evbuffer_add_printf));
    dlclose(libevent);
}

TEST(EvhttpFastPathsTest, WritesHeaderLinesAsPrintfDoes) {
    const std::string long_value(20000, 'v');
    const char* cases[][2] = {{"Content-Type", "application/json"}, {"X-Empty", ""}, {"", "no name"},
                              {"X-Long", long_value.c_str()}, {"X-Utf8", "\xed\x95\x9c\xea\xb8\x80"}};
    for (const auto& [key, value] : cases) {
        Buffer ours, theirs;
        ASSERT_EQ(evbuffer_add_printf(ours.get(), "%s: %s\r\n", key, value),
                  libevent_printf(theirs.get(), "%s: %s\r\n", key, value));
        EXPECT_EQ(ours.text(), theirs.text());
    }
}

TEST(EvhttpFastPathsTest, WritesStatusLinesAsPrintfDoes) {
    struct Case {
        int major, minor, code;
        const char* reason;
    };
    // A null reason: evhttp's copy of it failed.
    const Case cases[] = {{1, 1, 200, "OK"}, {1, 0, 404, "Not Found"}, {1, 1, 422, "Unprocessable Content"},
                          {0, 9, 0, ""}, {-1, 2147483647, -2147483647 - 1, "extremes"}, {1, 1, 500, nullptr}};
    for (const Case& c : cases) {
        Buffer ours, theirs;
        // Appended after text already there, as evhttp does for a pipelined reply.
        evbuffer_add(ours.get(), "before", 6);
        evbuffer_add(theirs.get(), "before", 6);
        ASSERT_EQ(evbuffer_add_printf(ours.get(), "HTTP/%d.%d %d %s\r\n", c.major, c.minor, c.code, c.reason),
                  libevent_printf(theirs.get(), "HTTP/%d.%d %d %s\r\n", c.major, c.minor, c.code, c.reason));
        EXPECT_EQ(ours.text(), theirs.text());
    }
}

TEST(EvhttpFastPathsTest, HandsEveryOtherFormatToLibeventsPrintf) {
    Buffer ours;
    EXPECT_EQ(evbuffer_add_printf(ours.get(), "%x\r\n", 255u), 4);
    EXPECT_EQ(evbuffer_add_printf(ours.get(), "%s %s HTTP/%d.%d\r\n", "GET", "/", 1, 1), 16);
    EXPECT_EQ(evbuffer_add_printf(ours.get(), "%s:%s\r\n", "a", "b"), 5);
    EXPECT_EQ(ours.text(), "ff\r\nGET / HTTP/1.1\r\na:b\r\n");
}

TEST(EvhttpFastPathsTest, ComparesAsLibeventsStrcasecmpDoes) {
    const char* words[] = {"", "a", "A", "b", "B", "Content-Type", "content-type", "CONTENT-TYPE", "Content-Length",
                           "content-typ", "[", "`", "@", "{", "\x7f", "\x80", "\xc3\x89", "\xc3\xa9", "Z", "z"};
    for (const char* a : words)
        for (const char* b : words)
            EXPECT_EQ(evutil_ascii_strcasecmp(a, b), libevent_strcasecmp(a, b)) << '"' << a << "\" vs \"" << b << '"';
}

TEST(EvhttpFastPathsTest, HeaderLookupsIgnoreCase) {
    evkeyvalq headers;
    TAILQ_INIT(&headers);
    evhttp_add_header(&headers, "X-Request-ID", "abc");
    evhttp_add_header(&headers, "Content-Type", "application/json");
    EXPECT_STREQ(evhttp_find_header(&headers, "content-type"), "application/json");
    EXPECT_STREQ(evhttp_find_header(&headers, "X-REQUEST-ID"), "abc");
    EXPECT_EQ(evhttp_find_header(&headers, "Content-Typ"), nullptr);
    evhttp_clear_headers(&headers);
}

}  // namespace
