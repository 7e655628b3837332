// Logging: the line format, escaping of control bytes, levels, and the
// app.log/error.log files with reopening after rotation.
#include "libcommon/log.hpp"

#include <gtest/gtest.h>
#include <sys/time.h>

#include <cstdio>
#include <ctime>
#include <regex>
#include <string>

#include "tests/unit/test_support.hpp"

namespace {

using usersuite::format_log_line;
using usersuite::LogLevel;
using testing_support::TempDir;

const std::regex kLine(
    R"(^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3}) - ([^\n]*) - (DEBUG|INFO|WARNING|ERROR) - \[RequestID: ([^\]\n]*)\] - ([^\n]*)$)");

// Back to the quiet state the other test files expect: no files, no stderr.
void quiet_logs() { usersuite::log_open("unit-tests", "", LogLevel::error, false); }

TEST(FormatLogLine, HasTheFixedLayout) {
    std::string line = format_log_line("users-api.routes", LogLevel::info, "abc-123", "GET /api/v1/hello 200");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kLine)) << line;
    EXPECT_EQ(m[3], "users-api.routes");
    EXPECT_EQ(m[4], "INFO");
    EXPECT_EQ(m[5], "abc-123");
    EXPECT_EQ(m[6], "GET /api/v1/hello 200");
    EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(FormatLogLine, TimestampIsLocalTimeNow) {
    time_t before = std::time(nullptr);
    std::string line = format_log_line("x", LogLevel::info, "-", "m");
    time_t after = std::time(nullptr);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kLine)) << line;
    std::string stamp = m[1];
    bool found = false;
    for (time_t t = before; t <= after && !found; ++t) {
        struct tm tm;
        ::localtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        found = stamp == buf;
    }
    EXPECT_TRUE(found) << stamp;
    int ms = std::stoi(m[2]);
    EXPECT_GE(ms, 0);
    EXPECT_LE(ms, 999);
}

TEST(FormatLogLine, LevelNames) {
    std::smatch m;
    std::string d = format_log_line("l", LogLevel::debug, "r", "m");
    ASSERT_TRUE(std::regex_match(d, m, kLine));
    EXPECT_EQ(m[4], "DEBUG");
    std::string w = format_log_line("l", LogLevel::warning, "r", "m");
    ASSERT_TRUE(std::regex_match(w, m, kLine));
    EXPECT_EQ(m[4], "WARNING");
    std::string e = format_log_line("l", LogLevel::error, "r", "m");
    ASSERT_TRUE(std::regex_match(e, m, kLine));
    EXPECT_EQ(m[4], "ERROR");
}

std::string message_of(const std::string& line) {
    std::string marker = "] - ";
    std::size_t at = line.find(marker);
    return at == std::string::npos ? "<no marker>" : line.substr(at + marker.size());
}

TEST(FormatLogLine, ControlBytesInTheMessageAreEscaped) {
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", "a\nb")), "a\\x0ab");
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", "a\r\nforged - ERROR - x")),
              "a\\x0d\\x0aforged - ERROR - x");
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", "tab\there")), "tab\\x09here");
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", "del\x7f")), "del\\x7f");
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", "esc\x1b[31m")), "esc\\x1b[31m");
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", std::string("nul\0end", 7))), "nul\\x00end");
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", "\x1f")), "\\x1f");
}

// The escaper looks at eight bytes at a time: every byte value, at every
// place in and around those words, against a byte-by-byte reference.
TEST(FormatLogLine, EveryByteIsEscapedOrKeptWhereverItStands) {
    auto reference = [](const std::string& text) {
        std::string out;
        for (unsigned char c : text) {
            if (c >= 0x20 && c != 0x7f) {
                out.push_back(static_cast<char>(c));
            } else {
                char hex[5];
                std::snprintf(hex, sizeof hex, "\\x%02x", c);
                out += hex;
            }
        }
        return out;
    };
    for (int byte = 0; byte < 256; ++byte) {
        for (std::size_t at = 0; at < 19; ++at) {
            std::string text = "J\xc3\xbcrgen-0123456789~";
            text[at] = static_cast<char>(byte);
            ASSERT_EQ(message_of(format_log_line("l", LogLevel::info, "r", text)), reference(text))
                << "byte " << byte << " at " << at;
        }
    }
}

TEST(FormatLogLine, PrintableAndUtf8TextIsKept) {
    std::string text = "J\xc3\xbcrgen said \"hi\" \\ {json} 100% ~";
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", text)), text);
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", " ")), " ");
    EXPECT_EQ(message_of(format_log_line("l", LogLevel::info, "r", "")), "");
}

TEST(FormatLogLine, LoggerAndRequestIdAreEscapedToo) {
    std::string line = format_log_line("bad\nlogger", LogLevel::info, "rid\r\n", "m");
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    EXPECT_NE(line.find(" - bad\\x0alogger - "), std::string::npos) << line;
    EXPECT_NE(line.find("[RequestID: rid\\x0d\\x0a]"), std::string::npos) << line;
}

TEST(ParseLogLevel, KnowsTheFourNames) {
    LogLevel l = LogLevel::error;
    ASSERT_TRUE(usersuite::parse_log_level("DEBUG", &l));
    EXPECT_EQ(l, LogLevel::debug);
    ASSERT_TRUE(usersuite::parse_log_level("INFO", &l));
    EXPECT_EQ(l, LogLevel::info);
    ASSERT_TRUE(usersuite::parse_log_level("WARNING", &l));
    EXPECT_EQ(l, LogLevel::warning);
    ASSERT_TRUE(usersuite::parse_log_level("ERROR", &l));
    EXPECT_EQ(l, LogLevel::error);
    for (const char* bad : {"", "info", "WARN", "CRITICAL", "ERROR "}) {
        LogLevel keep = LogLevel::warning;
        EXPECT_FALSE(usersuite::parse_log_level(bad, &keep)) << bad;
        EXPECT_EQ(keep, LogLevel::warning);
    }
}

class LogFilesTest : public ::testing::Test {
protected:
    void TearDown() override { quiet_logs(); }
    TempDir dir;
};

TEST_F(LogFilesTest, LevelsGoToTheRightFiles) {
    std::string logs = dir.file("logs");  // created by log_open
    usersuite::log_open("users-api", logs, LogLevel::info, false);
    usersuite::Logger log("routes");
    log.debug("r0", "hidden debug");
    log.info("r1", "an info line");
    log.warning("r2", "a warning line");
    log.error("r3", "an error\nline");
    std::string app = testing_support::read_file(logs + "/app.log");
    std::string err = testing_support::read_file(logs + "/error.log");
    EXPECT_EQ(app.find("hidden debug"), std::string::npos);
    EXPECT_NE(app.find("users-api.routes - INFO - [RequestID: r1] - an info line\n"), std::string::npos) << app;
    EXPECT_NE(app.find("users-api.routes - WARNING - [RequestID: r2] - a warning line\n"), std::string::npos);
    EXPECT_NE(app.find("users-api.routes - ERROR - [RequestID: r3] - an error\\x0aline\n"), std::string::npos);
    EXPECT_EQ(err.find("an info line"), std::string::npos);
    EXPECT_EQ(err.find("a warning line"), std::string::npos);
    EXPECT_NE(err.find("users-api.routes - ERROR - [RequestID: r3] - an error\\x0aline\n"), std::string::npos) << err;
    // Every line of app.log is one well-formed line.
    std::size_t lines = 0, start = 0;
    for (std::size_t nl; (nl = app.find('\n', start)) != std::string::npos; start = nl + 1, ++lines)
        EXPECT_TRUE(std::regex_match(app.substr(start, nl - start), kLine)) << app.substr(start, nl - start);
    EXPECT_EQ(lines, 3u);
    EXPECT_EQ(start, app.size());
}

TEST_F(LogFilesTest, NestedLogDirIsCreated) {
    std::string nested = dir.file("a/b/c");
    usersuite::log_open("p", nested, LogLevel::info, false);
    usersuite::Logger("c").warning("r", "deep");
    EXPECT_NE(testing_support::read_file(nested + "/app.log").find("p.c - WARNING - [RequestID: r] - deep"),
              std::string::npos);
}

TEST_F(LogFilesTest, DebugLevelLogsEverything) {
    usersuite::log_open("p", dir.path(), LogLevel::debug, false);
    usersuite::Logger("c").debug(usersuite::kNoRequest, "now visible");
    EXPECT_NE(testing_support::read_file(dir.file("app.log")).find("p.c - DEBUG - [RequestID: -] - now visible"),
              std::string::npos);
}

TEST_F(LogFilesTest, ReopenStartsNewFilesAfterRotation) {
    usersuite::log_open("p", dir.path(), LogLevel::info, false);
    usersuite::Logger log("c");
    log.error("r", "before rotation");
    ASSERT_EQ(std::rename(dir.file("app.log").c_str(), dir.file("app.log.1").c_str()), 0);
    ASSERT_EQ(std::rename(dir.file("error.log").c_str(), dir.file("error.log.1").c_str()), 0);
    usersuite::log_reopen();
    log.error("r", "after rotation");
    std::string old_app = testing_support::read_file(dir.file("app.log.1"));
    std::string new_app = testing_support::read_file(dir.file("app.log"));
    std::string new_err = testing_support::read_file(dir.file("error.log"));
    EXPECT_NE(old_app.find("before rotation"), std::string::npos);
    EXPECT_EQ(old_app.find("after rotation"), std::string::npos);
    EXPECT_NE(new_app.find("after rotation"), std::string::npos);
    EXPECT_EQ(new_app.find("before rotation"), std::string::npos);
    EXPECT_NE(new_err.find("after rotation"), std::string::npos);
}

TEST_F(LogFilesTest, UnwritableDirectoryThrowsNamingIt) {
    std::string file = dir.write("not-a-dir", "x");
    try {
        usersuite::log_open("p", file + "/sub", LogLevel::info, false);
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
}

}  // namespace
