// EventLoop, Timer and SignalEvent. The loop runs on the test thread; every
// test arms a guard timer that stops it, so no test can block for long.
#include "libcommon/event_loop.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>

namespace {

using std::chrono::milliseconds;
using usersuite::EventLoop;
using usersuite::Timer;

TEST(Timer, FiresOnceAndTheLoopReturnsWhenNothingIsLeft) {
    EventLoop loop;
    int fired = 0;
    Timer t(loop, [&] { ++fired; });
    EXPECT_FALSE(t.pending());
    t.arm(milliseconds(0));
    EXPECT_TRUE(t.pending());
    loop.run();  // returns: no event remains after the timer fired
    EXPECT_EQ(fired, 1);
    EXPECT_FALSE(t.pending());
}

TEST(Timer, ReArmingFromItsCallbackRepeats) {
    EventLoop loop;
    int fired = 0;
    std::unique_ptr<Timer> t;
    t = std::make_unique<Timer>(loop, [&] {
        if (++fired < 3) t->arm(milliseconds(1));
    });
    t->arm(milliseconds(0));
    loop.run();
    EXPECT_EQ(fired, 3);
}

TEST(Timer, CancelAndDestroyPreventFiring) {
    EventLoop loop;
    int cancelled = 0, destroyed = 0, kept = 0;
    Timer a(loop, [&] { ++cancelled; });
    a.arm(milliseconds(0));
    a.cancel();
    EXPECT_FALSE(a.pending());
    {
        Timer b(loop, [&] { ++destroyed; });
        b.arm(milliseconds(0));
    }
    Timer c(loop, [&] { ++kept; });
    c.arm(milliseconds(1));
    loop.run();
    EXPECT_EQ(cancelled, 0);
    EXPECT_EQ(destroyed, 0);
    EXPECT_EQ(kept, 1);
}

TEST(Timer, ArmingAgainMovesTheDeadline) {
    EventLoop loop;
    int fired = 0;
    bool fired_before_probe = true;
    Timer moved(loop, [&] { ++fired; });
    Timer probe(loop, [&] { fired_before_probe = fired > 0; });  // between the two deadlines
    moved.arm(milliseconds(0));
    moved.arm(milliseconds(200));
    probe.arm(milliseconds(50));
    loop.run();  // returns once both have fired
    EXPECT_FALSE(fired_before_probe) << "the timer fired at its first deadline";
    EXPECT_EQ(fired, 1);
}

TEST(EventLoop, StopReturnsFromRunWithEventsStillPending) {
    EventLoop loop;
    bool far_fired = false;
    Timer far(loop, [&] { far_fired = true; });
    far.arm(milliseconds(60000));
    Timer stopper(loop, [&] { loop.stop(); });
    stopper.arm(milliseconds(0));
    auto before = std::chrono::steady_clock::now();
    loop.run();
    EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
    EXPECT_FALSE(far_fired);
    EXPECT_TRUE(far.pending());
}

TEST(SignalEvent, DeliversTheSignalOnTheLoop) {
    EventLoop loop;
    int got = 0;
    usersuite::SignalEvent sig(loop, SIGUSR2, [&] {
        ++got;
        loop.stop();
    });
    Timer raiser(loop, [] { std::raise(SIGUSR2); });
    raiser.arm(milliseconds(0));
    Timer guard(loop, [&] { loop.stop(); });
    guard.arm(milliseconds(5000));
    loop.run();
    EXPECT_EQ(got, 1);
}

}  // namespace
