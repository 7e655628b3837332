// The parts of the job queue that need no Redis: the retry backoff, the job
// type and queue name rules, the worker ids and their hosts, and the fetch
// tokens.
#include "libcommon/job_queue.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace {

using std::chrono::milliseconds;
using usersuite::is_job_queue_name;
using usersuite::is_job_type;
using usersuite::job_queue_names;
using usersuite::job_retry_delay;
using usersuite::JobQueue;

// ---- job_retry_delay

TEST(JobQueueRetryDelay, DoublesPerAttemptWholeAtJitterOne) {
    // jitter just under 1 (the top of [0, 1)) gives (almost) the whole delay.
    const double top = 0.999999;
    EXPECT_EQ(job_retry_delay(1, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(1000));
    EXPECT_EQ(job_retry_delay(2, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(2000));
    EXPECT_EQ(job_retry_delay(3, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(4000));
    EXPECT_EQ(job_retry_delay(4, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(8000));
    EXPECT_EQ(job_retry_delay(9, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(256000));
    for (int attempt = 1; attempt <= 8; ++attempt) {
        auto whole = milliseconds(1000LL << (attempt - 1));
        auto d = job_retry_delay(attempt, milliseconds(1000), milliseconds(300000), top);
        EXPECT_LE(d, whole) << "attempt " << attempt;
        EXPECT_GE(d, whole - milliseconds(1)) << "attempt " << attempt;
    }
}

TEST(JobQueueRetryDelay, JitterZeroGivesHalf) {
    EXPECT_EQ(job_retry_delay(1, milliseconds(1000), milliseconds(300000), 0.0), milliseconds(500));
    EXPECT_EQ(job_retry_delay(2, milliseconds(1000), milliseconds(300000), 0.0), milliseconds(1000));
    EXPECT_EQ(job_retry_delay(5, milliseconds(1000), milliseconds(300000), 0.0), milliseconds(8000));
}

TEST(JobQueueRetryDelay, JitterDrawsBetweenHalfAndWhole) {
    EXPECT_EQ(job_retry_delay(1, milliseconds(1000), milliseconds(300000), 0.5), milliseconds(750));
    EXPECT_EQ(job_retry_delay(3, milliseconds(1000), milliseconds(300000), 0.25), milliseconds(2500));
    // Monotonic in jitter, always within [half, whole].
    milliseconds previous(0);
    for (int i = 0; i < 100; ++i) {
        double jitter = i / 100.0;
        auto d = job_retry_delay(4, milliseconds(1000), milliseconds(300000), jitter);
        EXPECT_GE(d, milliseconds(4000)) << jitter;
        EXPECT_LE(d, milliseconds(8000)) << jitter;
        EXPECT_GE(d, previous) << jitter;
        previous = d;
    }
}

TEST(JobQueueRetryDelay, CappedAtMaxDelay) {
    // 1000 * 2^9 = 512000 > 300000.
    EXPECT_EQ(job_retry_delay(10, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(300000));
    EXPECT_EQ(job_retry_delay(10, milliseconds(1000), milliseconds(300000), 0.0), milliseconds(150000));
    EXPECT_EQ(job_retry_delay(30, milliseconds(1000), milliseconds(300000), 0.5), milliseconds(225000));
    // The cap applies before the jitter, also when the base alone is over it.
    EXPECT_EQ(job_retry_delay(1, milliseconds(5000), milliseconds(2000), 1.0), milliseconds(2000));
    EXPECT_EQ(job_retry_delay(1, milliseconds(5000), milliseconds(2000), 0.0), milliseconds(1000));
    // Exactly at the cap.
    EXPECT_EQ(job_retry_delay(3, milliseconds(1000), milliseconds(4000), 1.0), milliseconds(4000));
}

TEST(JobQueueRetryDelay, JitterOutsideZeroToOneIsClamped) {
    EXPECT_EQ(job_retry_delay(1, milliseconds(1000), milliseconds(300000), -0.5), milliseconds(500));
    EXPECT_EQ(job_retry_delay(1, milliseconds(1000), milliseconds(300000), -1e300), milliseconds(500));
    EXPECT_EQ(job_retry_delay(1, milliseconds(1000), milliseconds(300000), 1.5), milliseconds(1000));
    EXPECT_EQ(job_retry_delay(1, milliseconds(1000), milliseconds(300000), 1e300), milliseconds(1000));
}

TEST(JobQueueRetryDelay, AttemptsBelowOneAreTheFirst) {
    EXPECT_EQ(job_retry_delay(0, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(1000));
    EXPECT_EQ(job_retry_delay(-5, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(1000));
    EXPECT_EQ(job_retry_delay(-5, milliseconds(1000), milliseconds(300000), 0.0), milliseconds(500));
}

TEST(JobQueueRetryDelay, TheMostNegativeAttemptIsTheFirstToo) {
    // attempt - 1 must not overflow (and wrap to a huge attempt).
    EXPECT_EQ(job_retry_delay(INT_MIN, milliseconds(1000), milliseconds(300000), 0.0), milliseconds(500));
    EXPECT_EQ(job_retry_delay(INT_MIN + 1, milliseconds(1000), milliseconds(300000), 0.0), milliseconds(500));
}

TEST(JobQueueRetryDelay, HugeAttemptNumbersDoNotOverflow) {
    for (int attempt : {62, 63, 64, 65, 100, 1000, 1 << 20, INT_MAX - 1, INT_MAX}) {
        EXPECT_EQ(job_retry_delay(attempt, milliseconds(1000), milliseconds(300000), 1.0), milliseconds(300000))
            << "attempt " << attempt;
        EXPECT_EQ(job_retry_delay(attempt, milliseconds(1000), milliseconds(300000), 0.0), milliseconds(150000))
            << "attempt " << attempt;
        // The largest values the configuration allows (86400000 each).
        EXPECT_EQ(job_retry_delay(attempt, milliseconds(86400000), milliseconds(86400000), 1.0),
                  milliseconds(86400000))
            << "attempt " << attempt;
    }
}

TEST(JobQueueRetryDelay, BaseZeroGivesZero) {
    for (int attempt : {1, 2, 10, 100, INT_MAX})
        for (double jitter : {0.0, 0.5, 0.999})
            EXPECT_EQ(job_retry_delay(attempt, milliseconds(0), milliseconds(300000), jitter), milliseconds(0))
                << "attempt " << attempt << " jitter " << jitter;
    // And a cap of zero, too.
    EXPECT_EQ(job_retry_delay(3, milliseconds(1000), milliseconds(0), 0.7), milliseconds(0));
}

// ---- is_job_type

TEST(JobQueueJobType, AcceptsLowerCaseDigitsAndUnderscoreUpTo64) {
    EXPECT_TRUE(is_job_type("noop"));
    EXPECT_TRUE(is_job_type("send_email"));
    EXPECT_TRUE(is_job_type("a"));
    EXPECT_TRUE(is_job_type("_"));
    EXPECT_TRUE(is_job_type("job2"));
    EXPECT_TRUE(is_job_type("0123456789"));
    EXPECT_TRUE(is_job_type("abcdefghijklmnopqrstuvwxyz_0123456789"));
    EXPECT_TRUE(is_job_type(std::string(64, 'a')));
    EXPECT_TRUE(is_job_type(std::string(63, 'b') + "9"));
}

TEST(JobQueueJobType, RejectsEmptyTooLongAndOtherCharacters) {
    EXPECT_FALSE(is_job_type(""));
    EXPECT_FALSE(is_job_type(std::string(65, 'a')));
    EXPECT_FALSE(is_job_type(std::string(1000, 'a')));
    EXPECT_FALSE(is_job_type("Noop"));
    EXPECT_FALSE(is_job_type("SEND_EMAIL"));
    EXPECT_FALSE(is_job_type("send-email"));
    EXPECT_FALSE(is_job_type("send email"));
    EXPECT_FALSE(is_job_type(" noop"));
    EXPECT_FALSE(is_job_type("noop "));
    EXPECT_FALSE(is_job_type("noop\n"));
    EXPECT_FALSE(is_job_type("no\top"));
    EXPECT_FALSE(is_job_type("send.email"));
    EXPECT_FALSE(is_job_type("send:email"));
    EXPECT_FALSE(is_job_type("caf\xc3\xa9"));  // café
    EXPECT_FALSE(is_job_type("\xff"));
    EXPECT_FALSE(is_job_type(std::string("no\0op", 5)));
}

// ---- queue names

TEST(JobQueueNames, HighDefaultLowInThatOrder) {
    EXPECT_EQ(job_queue_names(), (std::vector<std::string>{"high", "default", "low"}));
    EXPECT_EQ(&job_queue_names(), &job_queue_names()) << "one shared list";
}

TEST(JobQueueNames, IsJobQueueNameAcceptsExactlyTheThree) {
    EXPECT_TRUE(is_job_queue_name("high"));
    EXPECT_TRUE(is_job_queue_name("default"));
    EXPECT_TRUE(is_job_queue_name("low"));
    EXPECT_FALSE(is_job_queue_name(""));
    EXPECT_FALSE(is_job_queue_name("High"));
    EXPECT_FALSE(is_job_queue_name("DEFAULT"));
    EXPECT_FALSE(is_job_queue_name("medium"));
    EXPECT_FALSE(is_job_queue_name("scheduled"));
    EXPECT_FALSE(is_job_queue_name("failed"));
    EXPECT_FALSE(is_job_queue_name(" low"));
    EXPECT_FALSE(is_job_queue_name("low "));
    EXPECT_FALSE(is_job_queue_name("hig"));
}

// ---- worker ids

bool is_lower_hex(const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(JobQueueWorkerId, IsHostPidAndEightHexDigits) {
    char host[256] = {};
    ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
    std::string id = JobQueue::new_worker_id();
    std::string prefix = std::string(host) + ":" + std::to_string(::getpid()) + ":";
    ASSERT_EQ(id.rfind(prefix, 0), 0u) << id << " does not start with " << prefix;
    std::string tail = id.substr(prefix.size());
    EXPECT_EQ(tail.size(), 8u) << id;
    EXPECT_TRUE(is_lower_hex(tail)) << id;
    // host:pid:hex, split at the last two colons.
    std::size_t last = id.rfind(':');
    std::size_t middle = id.rfind(':', last - 1);
    ASSERT_NE(middle, std::string::npos);
    EXPECT_EQ(id.substr(0, middle), host);
    EXPECT_EQ(id.substr(middle + 1, last - middle - 1), std::to_string(::getpid()));
}

TEST(JobQueueWorkerId, EveryCallGivesANewOne) {
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        std::string id = JobQueue::new_worker_id();
        EXPECT_EQ(id.size(), JobQueue::new_worker_id().size());
        ids.insert(id);
    }
    // 32 random bits each: a collision among 1000 is about 1 in 10^4.
    EXPECT_GE(ids.size(), 999u);
}

TEST(JobQueueWorkerId, IsOnTheHostItRunsOn) {
    char host[256] = {};
    ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
    EXPECT_TRUE(JobQueue::is_worker_on_host(JobQueue::new_worker_id(), host));
}

TEST(JobQueueWorkerId, IsOnHostMatchesTheWholeHostNameOnly) {
    EXPECT_TRUE(JobQueue::is_worker_on_host("web-1:17:3f2a9c1e", "web-1"));
    EXPECT_FALSE(JobQueue::is_worker_on_host("web-1:17:3f2a9c1e", "web"));
    EXPECT_FALSE(JobQueue::is_worker_on_host("web-12:17:3f2a9c1e", "web-1"));
    EXPECT_FALSE(JobQueue::is_worker_on_host("web-1", "web-1"));
    EXPECT_FALSE(JobQueue::is_worker_on_host("db:17:3f2a9c1e", "web-1"));
}

// ---- fetch tokens

TEST(JobQueueFetchToken, IsTheFetchNumberADashAndARandomUuid) {
    // The heartbeat's script reads the number back with the Lua pattern
    // ^(%d+)%- to leave alone the fetches sent after the ones it knows.
    for (std::uint64_t n : {1ULL, 42ULL, 9007199254740992ULL}) {
        std::string token = JobQueue::fetch_token(n);
        std::string prefix = std::to_string(n) + "-";
        ASSERT_EQ(token.rfind(prefix, 0), 0u) << token;
        std::string uuid = token.substr(prefix.size());
        EXPECT_EQ(uuid.size(), 36u) << token;
        EXPECT_EQ(uuid[14], '4') << token;
    }
}

TEST(JobQueueFetchToken, EveryCallGivesANewOne) {
    // Tokens are owner tokens too: a number alone would repeat across workers.
    EXPECT_NE(JobQueue::fetch_token(1), JobQueue::fetch_token(1));
}

}  // namespace
