// Passwords (libcommon/password.hpp): bcrypt $2b$ through libxcrypt. Cost 4
// everywhere (about a millisecond a hash) except where the cost itself is
// the subject.
#include "libcommon/password.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "libcommon/password_service.hpp"
#include "libcommon/worker_pool.hpp"
#include "tests/unit/test_support.hpp"

namespace {

using usersuite::bcrypt_cost_of;
using usersuite::hash_password;
using usersuite::unmatchable_hash;
using usersuite::verify_password;

constexpr int kCost = 4;

bool is_bcrypt_2b(const std::string& h, int cost) {
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "$2b$%02d$", cost);
    static const std::regex shape(R"(^\$2b\$[0-9]{2}\$[./A-Za-z0-9]{53}$)");
    return h.size() == 60 && h.compare(0, 7, prefix) == 0 && std::regex_match(h, shape);
}

// What libxcrypt itself computes for a setting, bypassing verify_password's
// checks: the test uses it to build stored values that crypt would "match".
std::string raw_crypt(const std::string& password, const std::string& setting) {
    crypt_data data;
    std::memset(&data, 0, sizeof data);
    const char* out = crypt_rn(password.c_str(), setting.c_str(), &data, sizeof data);
    return out == nullptr ? std::string() : std::string(out);
}

TEST(HashPassword, IsTwoBAtTheGivenCostAndSixtyCharacters) {
    std::string h = hash_password("correct horse", kCost);
    EXPECT_TRUE(is_bcrypt_2b(h, kCost)) << h;
    EXPECT_EQ(h.size(), 60u);
    std::string h5 = hash_password("correct horse", 5);
    EXPECT_TRUE(is_bcrypt_2b(h5, 5)) << h5;
}

TEST(HashPassword, SaltsDifferSoTheSamePasswordHashesDifferently) {
    std::set<std::string> seen;
    for (int i = 0; i < 5; ++i) seen.insert(hash_password("same password", kCost));
    EXPECT_EQ(seen.size(), 5u);
}

TEST(HashPassword, HashDoesNotContainThePassword) {
    std::string pw = "PlainTextSecret1";
    std::string h = hash_password(pw, kCost);
    EXPECT_EQ(h.find(pw), std::string::npos);
}

TEST(HashPassword, CostOutsideBcryptsRangeThrows) {
    EXPECT_THROW(hash_password("password1", 3), std::runtime_error);
    EXPECT_THROW(hash_password("password1", 32), std::runtime_error);
}

TEST(HashPassword, CostTwelveIsRecordedAndVerifies) {
    // The production default, once: it is slow (about 0.3 s), but it is the
    // cost that matters.
    std::string h = hash_password("production cost", 12);
    EXPECT_TRUE(is_bcrypt_2b(h, 12)) << h;
    EXPECT_EQ(bcrypt_cost_of(h), 12);
    EXPECT_TRUE(verify_password("production cost", h));
}

TEST(VerifyPassword, RightPasswordVerifiesWrongOnesDoNot) {
    std::string h = hash_password("s3cret-pass", kCost);
    EXPECT_TRUE(verify_password("s3cret-pass", h));
    EXPECT_FALSE(verify_password("s3cret-pasS", h));
    EXPECT_FALSE(verify_password("s3cret-pas", h));
    EXPECT_FALSE(verify_password("s3cret-pass ", h));
    EXPECT_FALSE(verify_password("", h));
}

TEST(VerifyPassword, MultibytePasswordsVerify) {
    std::string pw;
    for (int i = 0; i < 24; ++i) pw += "한";  // 72 bytes
    ASSERT_EQ(pw.size(), 72u);
    std::string h = hash_password(pw, kCost);
    EXPECT_TRUE(verify_password(pw, h));
    EXPECT_FALSE(verify_password(pw.substr(0, 69), h));
}

TEST(VerifyPassword, SeventyTwoBytesCountAndDifferFromSeventyOne) {
    std::string p72(72, 'a'), p71(71, 'a');
    std::string h72 = hash_password(p72, kCost);
    std::string h71 = hash_password(p71, kCost);
    EXPECT_TRUE(verify_password(p72, h72));
    EXPECT_TRUE(verify_password(p71, h71));
    EXPECT_FALSE(verify_password(p71, h72)) << "the 72nd byte must count";
    EXPECT_FALSE(verify_password(p72, h71));
    // The last byte of 72 matters, not only the length.
    std::string p72b = p71 + "b";
    EXPECT_FALSE(verify_password(p72b, h72));
}

TEST(VerifyPassword, LongerThanSeventyTwoBytesNeverMatches) {
    // bcrypt reads 72 bytes; a longer password was never stored, so it must
    // not match the 72 bytes it starts with.
    std::string p72(72, 'a');
    std::string h72 = hash_password(p72, kCost);
    EXPECT_TRUE(verify_password(p72, h72));
    EXPECT_FALSE(verify_password(p72 + "b", h72));
    EXPECT_FALSE(verify_password(p72 + std::string(28, 'z'), h72));
}

TEST(VerifyPassword, PasswordWithNulNeverVerifies) {
    std::string h = hash_password("abc", kCost);
    EXPECT_TRUE(verify_password("abc", h));
    // The C API stops at the NUL: "abc\0def" would compute as "abc".
    EXPECT_FALSE(verify_password(std::string("abc\0def", 7), h));
    EXPECT_FALSE(verify_password(std::string("abc\0", 4), h));
}

TEST(VerifyPassword, StoredValuesThatAreNotBcryptTwoBNeverVerify) {
    const std::string pw = "password123";
    for (const std::string& stored : {std::string(), std::string("*"), std::string("*0"), std::string("*1"),
                                      std::string("!"), std::string("!locked"), std::string("ab"),
                                      std::string("$2b$"), std::string("$2b$04$")}) {
        EXPECT_FALSE(verify_password(pw, stored)) << "[" << stored << "]";
        EXPECT_FALSE(verify_password("", stored)) << "[" << stored << "]";
    }
}

TEST(VerifyPassword, DesHashOfTheRightPasswordDoesNotVerify) {
    // A two-character setting makes libxcrypt compute DES: the resulting
    // string "matches" the password as far as crypt is concerned.
    const std::string pw = "password123";
    std::string des = raw_crypt(pw, "ab");
    ASSERT_FALSE(des.empty());
    ASSERT_EQ(raw_crypt(pw, des), des) << "sanity: crypt itself matches the DES hash";
    EXPECT_FALSE(verify_password(pw, des));
}

TEST(VerifyPassword, TwoAAndTwoYVariantsOfTheRightHashDoNotVerify) {
    const std::string pw = "password123";
    std::string h = hash_password(pw, kCost);
    for (const char* variant : {"$2a$", "$2y$", "$2x$"}) {
        std::string other = variant + h.substr(4);
        // libxcrypt would compute the same digest for $2a$/$2y$.
        std::string crypt_says = raw_crypt(pw, other);
        if (std::string(variant) != "$2x$") {
            ASSERT_EQ(crypt_says, other) << "sanity for " << variant;
        }
        EXPECT_FALSE(verify_password(pw, other)) << variant;
    }
}

TEST(VerifyPassword, TruncatedOrExtendedHashesNeverVerify) {
    const std::string pw = "password123";
    std::string h = hash_password(pw, kCost);
    EXPECT_FALSE(verify_password(pw, h.substr(0, 59)));
    EXPECT_FALSE(verify_password(pw, h.substr(0, 29)));  // the setting alone: crypt would produce the full hash
    EXPECT_FALSE(verify_password(pw, h.substr(0, 7)));
    EXPECT_FALSE(verify_password(pw, h + "x"));
    EXPECT_FALSE(verify_password(pw, " " + h.substr(1)));
}

TEST(VerifyPassword, FlippedDigestOrSaltCharacterDoesNotVerify) {
    const std::string pw = "password123";
    std::string h = hash_password(pw, kCost);
    std::string digest = h;
    digest[59] = digest[59] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(verify_password(pw, digest));
    std::string salt = h;
    salt[10] = salt[10] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(verify_password(pw, salt));
    std::string cost = h;
    cost[5] = '5';  // $2b$05$: the same digest at another cost
    EXPECT_FALSE(verify_password(pw, cost));
}

TEST(VerifyPassword, MalformedTwoBOfTheRightLengthNeverVerifies) {
    const std::string pw = "password123";
    std::string h = hash_password(pw, kCost);
    std::string bad_cost = "$2b$03$" + h.substr(7);   // cost below bcrypt's minimum
    std::string bad_chars = h.substr(0, 7) + std::string(53, '!');
    std::string no_sep = h.substr(0, 6) + "x" + h.substr(7);
    for (const std::string& stored : {bad_cost, bad_chars, no_sep}) {
        ASSERT_EQ(stored.size(), 60u);
        EXPECT_FALSE(verify_password(pw, stored)) << stored;
    }
}

TEST(UnmatchableHash, IsAWellFormedHashAtTheCost) {
    std::string h = unmatchable_hash(kCost);
    EXPECT_TRUE(is_bcrypt_2b(h, kCost)) << h;
    EXPECT_EQ(bcrypt_cost_of(h), kCost);
    std::string h6 = unmatchable_hash(6);
    EXPECT_TRUE(is_bcrypt_2b(h6, 6)) << h6;
    EXPECT_NE(unmatchable_hash(kCost), h);
}

TEST(UnmatchableHash, NeverVerifiesAnythingTried) {
    std::string h = unmatchable_hash(kCost);
    std::string p72(72, '!');
    for (const std::string& tried :
         {std::string(), std::string("password"), std::string("password123"), std::string("!!!!!!!!"), p72,
          std::string(32, '!'), std::string(32, 'z'), std::string("\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"), h,
          std::string(600, 'a')}) {
        EXPECT_FALSE(verify_password(tried, h)) << "[" << tried << "]";
    }
}

TEST(BcryptCostOf, ReadsTheCostOfTwoBHashes) {
    EXPECT_EQ(bcrypt_cost_of(hash_password("x", 4)), 4);
    EXPECT_EQ(bcrypt_cost_of(hash_password("x", 7)), 7);
    EXPECT_EQ(bcrypt_cost_of("$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"), 12);
    EXPECT_EQ(bcrypt_cost_of("$2b$31$"), 31);
}

TEST(BcryptCostOf, ZeroForWhatIsNotTwoB) {
    EXPECT_EQ(bcrypt_cost_of(""), 0);
    EXPECT_EQ(bcrypt_cost_of("*"), 0);
    EXPECT_EQ(bcrypt_cost_of("ab"), 0);
    EXPECT_EQ(bcrypt_cost_of("$2b$1"), 0);
    EXPECT_EQ(bcrypt_cost_of("$2a$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"), 0);
    EXPECT_EQ(bcrypt_cost_of("$2y$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"), 0);
}

TEST(BcryptCostOf, ZeroWhenTheCostFieldIsNotTwoDigits) {
    // "The cost recorded in a $2b$ hash, or 0": a cost field that is not two
    // decimal digits records no cost.
    EXPECT_EQ(bcrypt_cost_of("$2b$ab$abcdefghijklmnopqrstuu"), 0);
    EXPECT_EQ(bcrypt_cost_of("$2b$4$abcdefghijklmnopqrstuuv"), 0);
    EXPECT_EQ(bcrypt_cost_of("$2b$1x$abcdefghijklmnopqrstuu"), 0);
    EXPECT_EQ(bcrypt_cost_of("$2b$-1$abcdefghijklmnopqrstuu"), 0);
}

// ---- PasswordService: the same on the pool, results on the loop

class PasswordServiceTest : public ::testing::Test {
protected:
    usersuite::EventLoop loop;
    usersuite::WorkerPool pool{loop, 1, 4};

    // Runs the loop until done() stops it; false past the deadline.
    bool run_loop() {
        bool timed_out = false;
        usersuite::Timer guard(loop, [&] {
            timed_out = true;
            loop.stop();
        });
        guard.arm(std::chrono::seconds(10));
        loop.run();
        return !timed_out;
    }
    std::string hash(usersuite::PasswordService& s, const std::string& pw) {
        std::string out;
        EXPECT_TRUE(s.hash(pw, [&](const std::string& h) {
            out = h;
            loop.stop();
        }));
        EXPECT_TRUE(run_loop());
        return out;
    }
    std::optional<bool> verify(usersuite::PasswordService& s, const std::string& pw,
                               std::optional<std::string> stored) {
        std::optional<bool> out;
        EXPECT_TRUE(s.verify(pw, std::move(stored), [&](bool ok) {
            out = ok;
            loop.stop();
        }));
        EXPECT_TRUE(run_loop());
        return out;
    }
};

TEST_F(PasswordServiceTest, HashesAtItsCostAndVerifies) {
    usersuite::PasswordService s(pool, 5);
    EXPECT_EQ(s.cost(), 5);
    std::string h = hash(s, "service password");
    EXPECT_TRUE(is_bcrypt_2b(h, 5)) << h;
    EXPECT_EQ(verify(s, "service password", h), true);
    EXPECT_EQ(verify(s, "service passwore", h), false);
    EXPECT_EQ(verify(s, "service password", std::string("*")), false);
}

TEST_F(PasswordServiceTest, UnknownUserIsFalse) {
    usersuite::PasswordService s(pool, kCost);
    EXPECT_EQ(verify(s, "anything at all", std::nullopt), false);
    EXPECT_EQ(verify(s, "", std::nullopt), false);
    EXPECT_EQ(verify(s, std::string(600, 'x'), std::nullopt), false);
}

TEST_F(PasswordServiceTest, UnknownUserTakesAsLongAsAWrongPassword) {
    // Cost 9: about 40 ms a bcrypt here, far above the noise of the loop.
    usersuite::PasswordService s(pool, 9);
    std::string stored = hash_password("the real password", 9);
    auto median_ms = [&](const std::optional<std::string>& st) {
        std::vector<double> ms;
        for (int i = 0; i < 5; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            EXPECT_EQ(verify(s, "a wrong password", st), false);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        return ms[2];
    };
    double wrong = median_ms(stored);
    double unknown = median_ms(std::nullopt);
    EXPECT_GT(unknown, wrong * 0.6) << "unknown " << unknown << " ms, wrong password " << wrong << " ms";
    EXPECT_LT(unknown, wrong * 1.6) << "unknown " << unknown << " ms, wrong password " << wrong << " ms";
}

TEST_F(PasswordServiceTest, RefusesAtOnceWhenThePoolIsFull) {
    usersuite::EventLoop other_loop;
    usersuite::WorkerPool tiny(other_loop, 1, 1);
    usersuite::PasswordService s(tiny, 12);  // slow enough to stay busy
    auto hash = [&s] { return s.hash("password123", [](const std::string&) {}); };
    ASSERT_TRUE(hash());
    // Once the thread has taken the first job (it runs for a quarter of a
    // second and more), one more may wait and the next is refused.
    ASSERT_TRUE(testing_support::eventually([&] { return tiny.waiting() == 0; }));
    EXPECT_TRUE(hash());
    EXPECT_FALSE(hash());
    EXPECT_FALSE(s.verify("password123", std::nullopt, [](bool) {}));
}

}  // namespace
