// ChildProcess with real commands on a real EventLoop: the input on stdin,
// stdout and stderr captured (4 KiB at most), the wait status, the extra
// environment, a command that cannot start, and a destructor that kills a
// command still running. The loop runs on the test thread; every test arms
// a guard timer that stops it, so no test can hang.
#include "services/job-worker/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "tests/unit/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using usersuite::ChildProcess;
using usersuite::describe_exit;
using usersuite::EventLoop;
using usersuite::split_command;
using usersuite::Timer;

constexpr auto kDeadline = 5s;
using LoopRunner = testing_support::LoopRunner;


struct Result {
    int status = -1;
    std::string output;
    int calls = 0;
};

// Runs one command to its end; nullopt (and a test failure) if its done
// callback did not come before the deadline.
std::optional<Result> run(const std::vector<std::string>& argv, const std::string& input = "",
                          const std::vector<std::string>& environment = {}) {
    EventLoop loop;
    LoopRunner runner(loop);
    Result r;
    ChildProcess child(loop, argv, environment, input, [&](int status, const std::string& output) {
        r.status = status;
        r.output = output;
        ++r.calls;
        loop.stop();
    });
    if (!runner.run(kDeadline)) {
        ADD_FAILURE() << argv[0] << " did not finish in time";
        return std::nullopt;
    }
    EXPECT_EQ(r.calls, 1);
    return r;
}

std::vector<std::string> sh(const std::string& script) { return {"/bin/sh", "-c", script}; }

// ---- input and output

TEST(ChildProcess, InputReachesStdin) {
    auto r = run({"/bin/cat"}, "hello\nworld\n");
    ASSERT_TRUE(r);
    ASSERT_TRUE(WIFEXITED(r->status));
    EXPECT_EQ(WEXITSTATUS(r->status), 0);
    EXPECT_EQ(r->output, "hello\nworld");  // trailing line ends are trimmed
}

TEST(ChildProcess, EmptyInputIsAnEmptyStdin) {
    auto r = run(sh("wc -c"), "");
    ASSERT_TRUE(r);
    EXPECT_EQ(WEXITSTATUS(r->status), 0);
    EXPECT_EQ(r->output.find_first_not_of(' '), r->output.size() - 1) << r->output;
    EXPECT_EQ(r->output.back(), '0') << r->output;
}

TEST(ChildProcess, LargeInputIsReadInFull) {
    // More than a pipe holds: the input must not depend on anyone reading it.
    std::string input(300000, 'i');
    auto r = run(sh("wc -c"), input);
    ASSERT_TRUE(r);
    EXPECT_EQ(WEXITSTATUS(r->status), 0);
    std::string count = r->output.substr(r->output.find_first_not_of(' '));
    EXPECT_EQ(count, "300000");
}

TEST(ChildProcess, ExitStatusZeroAndNonZero) {
    auto ok = run({"/bin/true"});
    ASSERT_TRUE(ok);
    ASSERT_TRUE(WIFEXITED(ok->status));
    EXPECT_EQ(WEXITSTATUS(ok->status), 0);
    EXPECT_EQ(ok->output, "");

    auto bad = run({"/bin/false"});
    ASSERT_TRUE(bad);
    ASSERT_TRUE(WIFEXITED(bad->status));
    EXPECT_EQ(WEXITSTATUS(bad->status), 1);

    auto three = run(sh("exit 3"));
    ASSERT_TRUE(three);
    ASSERT_TRUE(WIFEXITED(three->status));
    EXPECT_EQ(WEXITSTATUS(three->status), 3);

    auto big = run(sh("exit 200"));
    ASSERT_TRUE(big);
    ASSERT_TRUE(WIFEXITED(big->status));
    EXPECT_EQ(WEXITSTATUS(big->status), 200);
}

TEST(ChildProcess, KilledBySignalIsReportedAsSuch) {
    auto r = run(sh("kill -9 $$"));
    ASSERT_TRUE(r);
    ASSERT_TRUE(WIFSIGNALED(r->status));
    EXPECT_EQ(WTERMSIG(r->status), SIGKILL);
    EXPECT_EQ(describe_exit(r->status, r->output), "killed by signal 9");
}

TEST(ChildProcess, StdoutAndStderrAreBothCaptured) {
    auto r = run(sh("echo out; echo err >&2; echo out2"));
    ASSERT_TRUE(r);
    EXPECT_EQ(WEXITSTATUS(r->status), 0);
    EXPECT_EQ(r->output, "out\nerr\nout2");

    auto only_err = run(sh("echo 'sendmail: bad address' >&2; exit 67"));
    ASSERT_TRUE(only_err);
    EXPECT_EQ(WEXITSTATUS(only_err->status), 67);
    EXPECT_EQ(only_err->output, "sendmail: bad address");
}

TEST(ChildProcess, OutputIsTruncatedToFourKiB) {
    auto out = run(sh("i=0; while [ $i -lt 1000 ]; do echo 0123456789abcdef; i=$((i+1)); done"));
    ASSERT_TRUE(out);
    EXPECT_EQ(WEXITSTATUS(out->status), 0);
    ASSERT_EQ(out->output.size(), 4096u);
    std::string expected;
    while (expected.size() < 4096) expected += "0123456789abcdef\n";
    EXPECT_EQ(out->output, expected.substr(0, 4096));

    auto err = run(sh("head -c 10000 /dev/zero | tr '\\000' x >&2; exit 5"));
    ASSERT_TRUE(err);
    EXPECT_EQ(WEXITSTATUS(err->status), 5);
    EXPECT_EQ(err->output, std::string(4096, 'x'));

    // Input echoed back is cut the same way.
    auto cat = run({"/bin/cat"}, std::string(10000, 'c'));
    ASSERT_TRUE(cat);
    EXPECT_EQ(cat->output, std::string(4096, 'c'));
}

TEST(ChildProcess, CommandIsSearchedInPath) {
    auto r = run({"sh", "-c", "echo found"});
    ASSERT_TRUE(r);
    EXPECT_EQ(WEXITSTATUS(r->status), 0);
    EXPECT_EQ(r->output, "found");
}

// ---- environment

TEST(ChildProcess, ExtraEnvironmentIsPassed) {
    auto r = run(sh("echo \"$FOO|$USERSUITE_SECOND\""), "", {"FOO=bar baz", "USERSUITE_SECOND=2"});
    ASSERT_TRUE(r);
    EXPECT_EQ(WEXITSTATUS(r->status), 0);
    EXPECT_EQ(r->output, "bar baz|2");
}

TEST(ChildProcess, OurEnvironmentIsPassedToo) {
    ASSERT_EQ(::setenv("USERSUITE_CHILD_TEST_INHERITED", "from-parent", 1), 0);
    auto r = run(sh("echo \"$USERSUITE_CHILD_TEST_INHERITED|$FOO\""), "", {"FOO=extra"});
    ::unsetenv("USERSUITE_CHILD_TEST_INHERITED");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->output, "from-parent|extra");
}

TEST(ChildProcess, ExtraEnvironmentOverridesOurs) {
    // A variable both in our environment and in `environment` must reach
    // the command once, with the given value: getenv() (in sendmail, say)
    // returns the first entry of environ; printenv prints every entry.
    ASSERT_EQ(::setenv("USERSUITE_CHILD_TEST_OVERRIDE", "old", 1), 0);
    auto printenv = run({"printenv", "USERSUITE_CHILD_TEST_OVERRIDE"}, "", {"USERSUITE_CHILD_TEST_OVERRIDE=new"});
    // grep's own environment, read from /proc: the entries as passed.
    auto entries = run({"grep", "-a", "-z", "^USERSUITE_CHILD_TEST_OVERRIDE=", "/proc/self/environ"}, "",
                       {"USERSUITE_CHILD_TEST_OVERRIDE=new"});
    ::unsetenv("USERSUITE_CHILD_TEST_OVERRIDE");
    ASSERT_TRUE(printenv);
    EXPECT_EQ(printenv->output, "new");
    ASSERT_TRUE(entries);
    EXPECT_EQ(WEXITSTATUS(entries->status), 0);
    EXPECT_EQ(entries->output, std::string("USERSUITE_CHILD_TEST_OVERRIDE=new") + '\0');
}

// ---- cannot start

TEST(ChildProcess, ACommandThatDoesNotExistThrowsAtConstruction) {
    EventLoop loop;
    bool called = false;
    auto done = [&](int, const std::string&) { called = true; };
    EXPECT_THROW(ChildProcess(loop, {"/nonexistent/usersuite-no-such-command"}, {}, "x", done), std::runtime_error);
    EXPECT_THROW(ChildProcess(loop, {"usersuite-no-such-command-in-path"}, {}, "x", done), std::runtime_error);
    EXPECT_THROW(ChildProcess(loop, {}, {}, "x", done), std::runtime_error);
    // Not executable.
    testing_support::TempDir dir;
    std::string script = dir.write("not-executable.sh", "#!/bin/sh\necho hi\n");
    EXPECT_THROW(ChildProcess(loop, {script}, {}, "", done), std::runtime_error);
    try {
        ChildProcess(loop, {"/nonexistent/usersuite-no-such-command"}, {}, "", done);
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/usersuite-no-such-command"), std::string::npos)
            << e.what();
    }
    // The loop has nothing left to do and no callback ever comes.
    LoopRunner runner(loop);
    Timer stop(loop, [&] { loop.stop(); });
    stop.arm(50ms);
    EXPECT_TRUE(runner.run(kDeadline));
    EXPECT_FALSE(called);
}

// ---- destruction

// Waits for a file the command writes its pid to; -1 after the deadline.
pid_t wait_for_pid(const std::string& path) {
    auto until = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < until) {
        std::string text = testing_support::read_file(path);
        if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
        std::this_thread::sleep_for(5ms);
    }
    return -1;
}

TEST(ChildProcess, DestroyingItWhileTheCommandRunsKillsItPromptly) {
    testing_support::TempDir dir;
    std::string pid_file = dir.file("pid");
    EventLoop loop;
    bool called = false;
    auto child = std::make_unique<ChildProcess>(
        loop, sh("echo $$ > " + pid_file + ".tmp && mv " + pid_file + ".tmp " + pid_file + " && exec sleep 30"),
        std::vector<std::string>{}, "", [&](int, const std::string&) { called = true; });
    pid_t pid = wait_for_pid(pid_file);
    ASSERT_GT(pid, 0) << "the command never started";
    ASSERT_EQ(::kill(pid, 0), 0) << "the command is not running";

    auto before = std::chrono::steady_clock::now();
    child.reset();
    auto took = std::chrono::steady_clock::now() - before;
    EXPECT_LT(took, 500ms) << "the destructor waited for the command";

    errno = 0;
    EXPECT_EQ(::kill(pid, 0), -1) << "pid " << pid << " is still there";
    EXPECT_EQ(errno, ESRCH);
    errno = 0;
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1) << "not reaped";
    EXPECT_EQ(errno, ECHILD);

    // The loop runs on; the callback of the destroyed child never comes.
    LoopRunner runner(loop);
    Timer stop(loop, [&] { loop.stop(); });
    stop.arm(100ms);
    EXPECT_TRUE(runner.run(kDeadline));
    EXPECT_FALSE(called);
}

TEST(ChildProcess, DestroyingItBeforeTheLoopEverRanIsClean) {
    EventLoop loop;
    bool called = false;
    {
        ChildProcess child(loop, {"/bin/true"}, {}, "", [&](int, const std::string&) { called = true; });
        std::this_thread::sleep_for(50ms);  // it has most likely exited: reaped by the destructor
    }
    LoopRunner runner(loop);
    Timer stop(loop, [&] { loop.stop(); });
    stop.arm(50ms);
    EXPECT_TRUE(runner.run(kDeadline));
    EXPECT_FALSE(called);
}

TEST(ChildProcess, TheDoneCallbackMayDestroyTheChildProcess) {
    // As send_email does: the run owning the child ends in its callback.
    EventLoop loop;
    LoopRunner runner(loop);
    std::unique_ptr<ChildProcess> child;
    int status = -1;
    std::string output;
    child = std::make_unique<ChildProcess>(loop, sh("echo bye; exit 4"), std::vector<std::string>{}, "",
                                           [&](int s, const std::string& o) {
                                               status = s;
                                               output = o;
                                               child.reset();
                                               loop.stop();
                                           });
    ASSERT_TRUE(runner.run(kDeadline)) << "no done callback";
    EXPECT_EQ(child, nullptr);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 4);
    EXPECT_EQ(output, "bye");
}

TEST(ChildProcess, SeveralAtOnceEachGetTheirOwnResult) {
    EventLoop loop;
    LoopRunner runner(loop);
    constexpr int kChildren = 8;
    std::vector<Result> results(kChildren);
    std::vector<std::unique_ptr<ChildProcess>> children;
    int done = 0;
    for (int i = 0; i < kChildren; ++i) {
        // The later ones finish first.
        std::string script = "sleep 0.0" + std::to_string(kChildren - i) + "; cat; exit " + std::to_string(i);
        children.push_back(std::make_unique<ChildProcess>(
            loop, sh(script), std::vector<std::string>{}, "child " + std::to_string(i) + "\n",
            [&, i](int status, const std::string& output) {
                results[i].status = status;
                results[i].output = output;
                ++results[i].calls;
                if (++done == kChildren) loop.stop();
            }));
    }
    ASSERT_TRUE(runner.run(kDeadline)) << done << " of " << kChildren << " finished";
    for (int i = 0; i < kChildren; ++i) {
        EXPECT_EQ(results[i].calls, 1) << i;
        ASSERT_TRUE(WIFEXITED(results[i].status)) << i;
        EXPECT_EQ(WEXITSTATUS(results[i].status), i);
        EXPECT_EQ(results[i].output, "child " + std::to_string(i));
    }
}

// ---- describe_exit

TEST(ChildProcessDescribeExit, Texts) {
    EXPECT_EQ(describe_exit(3 << 8, "out"), "exited with status 3: out");
    EXPECT_EQ(describe_exit(3 << 8, ""), "exited with status 3");
    EXPECT_EQ(describe_exit(0, ""), "exited with status 0");
    EXPECT_EQ(describe_exit(255 << 8, "x"), "exited with status 255: x");
    EXPECT_EQ(describe_exit(SIGKILL, ""), "killed by signal 9");
    EXPECT_EQ(describe_exit(SIGTERM, "partial"), "killed by signal 15: partial");
}

TEST(ChildProcessDescribeExit, OfARealExit) {
    auto r = run(sh("echo out; exit 3"));
    ASSERT_TRUE(r);
    EXPECT_EQ(describe_exit(r->status, r->output), "exited with status 3: out");
}

// ---- split_command

TEST(ChildProcessSplitCommand, SplitsOnRunsOfSpacesAndTabs) {
    using V = std::vector<std::string>;
    EXPECT_EQ(split_command("a b  c"), (V{"a", "b", "c"}));
    EXPECT_EQ(split_command("/usr/sbin/sendmail -t -i"), (V{"/usr/sbin/sendmail", "-t", "-i"}));
    EXPECT_EQ(split_command("  \tsendmail\t-t \t  -oi  "), (V{"sendmail", "-t", "-oi"}));
    EXPECT_EQ(split_command("one"), (V{"one"}));
    EXPECT_EQ(split_command(""), V{});
    EXPECT_EQ(split_command(" \t  "), V{});
    // No shell: quotes are kept as they are.
    EXPECT_EQ(split_command("sh -c 'a b'"), (V{"sh", "-c", "'a", "b'"}));
}

}  // namespace
