// X-Request-ID: which client values are valid, the UUID v4 fallback, and
// the choice among the request's headers.
#include "libcommon/request_id.hpp"

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using usersuite::choose_request_id;
using usersuite::is_valid_request_id;
using usersuite::new_request_id;

const std::regex kUuidV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

// A request's header list, built and freed the way evhttp does.
class Headers {
public:
    Headers() { TAILQ_INIT(&q_); }
    ~Headers() { evhttp_clear_headers(&q_); }
    Headers(const Headers&) = delete;
    Headers& operator=(const Headers&) = delete;
    Headers& add(const char* key, const char* value) {
        EXPECT_EQ(evhttp_add_header(&q_, key, value), 0) << key << ": " << value;
        return *this;
    }
    const evkeyvalq* get() const { return &q_; }

private:
    evkeyvalq q_;
};

TEST(IsValidRequestId, LengthBoundaries) {
    EXPECT_FALSE(is_valid_request_id(""));
    EXPECT_TRUE(is_valid_request_id("a"));
    EXPECT_TRUE(is_valid_request_id(std::string(128, 'x')));
    EXPECT_FALSE(is_valid_request_id(std::string(129, 'x')));
    EXPECT_FALSE(is_valid_request_id(std::string(1000, 'x')));
}

TEST(IsValidRequestId, LettersDigitsAndEachAllowedPunctuation) {
    EXPECT_TRUE(is_valid_request_id("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"));
    for (const char* p : {".", "_", "-", ":", "@", "/"}) {
        EXPECT_TRUE(is_valid_request_id(p)) << p;
        EXPECT_TRUE(is_valid_request_id(std::string("a") + p + "b")) << p;
    }
    EXPECT_TRUE(is_valid_request_id("Req.1_a-b:c@d/e"));
    EXPECT_TRUE(is_valid_request_id("123e4567-e89b-42d3-a456-426614174000"));
}

TEST(IsValidRequestId, RejectsSpacesControlsNonAsciiAndOtherPunctuation) {
    for (const char* bad : {"has space", " lead", "trail ", "tab\there", "ctl\x01char", "nl\nx", "cr\rx", "del\x7f",
                            "h\xc3\xa9llo", "\xff", ";", ",", "\"", "'", "+", "=", "#", "%", "~", "?", "&", "*",
                            "(", ")", "[", "]", "{", "}", "<", ">", "\\", "|", "!", "$", "^", "`"})
        EXPECT_FALSE(is_valid_request_id(bad)) << "[" << bad << "]";
    EXPECT_FALSE(is_valid_request_id(std::string("nul\0x", 5)));
}

TEST(NewRequestId, IsAUuidV4) {
    for (int i = 0; i < 1000; ++i) {
        std::string id = new_request_id();
        ASSERT_TRUE(std::regex_match(id, kUuidV4)) << id;
        ASSERT_TRUE(is_valid_request_id(id)) << id;
    }
}

TEST(NewRequestId, UniqueOverManyCallsAcrossRefills) {
    // 4096-byte random buffer = 256 ids per refill; cross many refills.
    std::set<std::string> seen;
    for (int i = 0; i < 20000; ++i) ASSERT_TRUE(seen.insert(new_request_id()).second) << "duplicate at " << i;
}

TEST(NewRequestId, VersionAndVariantBitsAreTheOnlyFixedOnes) {
    // Every other hex digit must take more than one value over many ids.
    std::vector<std::set<char>> digits(36);
    for (int i = 0; i < 2000; ++i) {
        std::string id = new_request_id();
        for (std::size_t k = 0; k < id.size(); ++k) digits[k].insert(id[k]);
    }
    for (std::size_t k = 0; k < 36; ++k) {
        if (k == 8 || k == 13 || k == 18 || k == 23) {
            EXPECT_EQ(digits[k], std::set<char>{'-'}) << k;
        } else if (k == 14) {
            EXPECT_EQ(digits[k], std::set<char>{'4'});
        } else if (k == 19) {
            EXPECT_EQ(digits[k], (std::set<char>{'8', '9', 'a', 'b'}));
        } else {
            EXPECT_GT(digits[k].size(), 8u) << "position " << k;
        }
    }
}

TEST(NewRequestId, ThreadsDoNotShareRandomness) {
    std::vector<std::string> a, b;
    std::thread t1([&] { for (int i = 0; i < 2000; ++i) a.push_back(new_request_id()); });
    std::thread t2([&] { for (int i = 0; i < 2000; ++i) b.push_back(new_request_id()); });
    t1.join();
    t2.join();
    std::set<std::string> all(a.begin(), a.end());
    all.insert(b.begin(), b.end());
    EXPECT_EQ(all.size(), 4000u);
}

TEST(ChooseRequestId, OneValidHeaderIsKept) {
    Headers h;
    h.add("Host", "x").add("X-Request-ID", "client-id.1").add("Accept", "*/*");
    EXPECT_EQ(choose_request_id(h.get()), "client-id.1");
}

TEST(ChooseRequestId, HeaderNameIsCaseInsensitive) {
    Headers h;
    h.add("x-request-id", "lower");
    EXPECT_EQ(choose_request_id(h.get()), "lower");
    Headers h2;
    h2.add("X-REQUEST-ID", "upper");
    EXPECT_EQ(choose_request_id(h2.get()), "upper");
}

TEST(ChooseRequestId, BoundaryLengthsThroughHeaders) {
    std::string ok(128, 'a');
    Headers h;
    h.add("X-Request-ID", ok.c_str());
    EXPECT_EQ(choose_request_id(h.get()), ok);
    std::string too_long(129, 'b');
    Headers h2;
    h2.add("X-Request-ID", too_long.c_str());
    std::string chosen = choose_request_id(h2.get());
    EXPECT_TRUE(std::regex_match(chosen, kUuidV4)) << chosen;
}

TEST(ChooseRequestId, InvalidValueIsReplaced) {
    for (const char* bad : {"has space", "ctl\x01", "h\xc3\xa9llo", "semi;colon", ""}) {
        Headers h;
        h.add("X-Request-ID", bad);
        std::string chosen = choose_request_id(h.get());
        EXPECT_TRUE(std::regex_match(chosen, kUuidV4)) << "[" << bad << "] -> " << chosen;
        EXPECT_NE(chosen, bad);
    }
}

TEST(ChooseRequestId, TwoHeadersAreReplacedEvenIfBothValid) {
    Headers h;
    h.add("X-Request-ID", "one").add("X-Request-ID", "two");
    std::string chosen = choose_request_id(h.get());
    EXPECT_TRUE(std::regex_match(chosen, kUuidV4)) << chosen;

    Headers same;
    same.add("X-Request-ID", "dup").add("x-request-id", "dup");
    chosen = choose_request_id(same.get());
    EXPECT_TRUE(std::regex_match(chosen, kUuidV4)) << chosen;

    Headers one_bad;
    one_bad.add("X-Request-ID", "good").add("X-Request-ID", "bad value");
    chosen = choose_request_id(one_bad.get());
    EXPECT_TRUE(std::regex_match(chosen, kUuidV4)) << chosen;
}

TEST(ChooseRequestId, AbsentHeaderGivesANewIdEachTime) {
    Headers h;
    h.add("Host", "x").add("X-Request-IDs", "similar-name").add("Request-ID", "other");
    std::string a = choose_request_id(h.get());
    std::string b = choose_request_id(h.get());
    EXPECT_TRUE(std::regex_match(a, kUuidV4)) << a;
    EXPECT_TRUE(std::regex_match(b, kUuidV4)) << b;
    EXPECT_NE(a, b);
    Headers empty;
    EXPECT_TRUE(std::regex_match(choose_request_id(empty.get()), kUuidV4));
    EXPECT_TRUE(std::regex_match(choose_request_id(nullptr), kUuidV4));
}

}  // namespace
