// WorkerPool: work on the pool's threads, done on the loop's, a bounded
// queue that refuses at once, and a destructor that does not wait for the
// queue. The loop runs on the test thread; every test arms a deadline timer
// that stops it, and workers are held with promises/futures, never sleeps.
#include "libcommon/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "libcommon/event_loop.hpp"
#include "tests/unit/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using usersuite::EventLoop;
using usersuite::Timer;
using usersuite::WorkerPool;

constexpr auto kDeadline = 10s;
using LoopRunner = testing_support::LoopRunner;


// A gate a worker waits at until the test opens it (bounded, so a broken
// test cannot hang the run).
class Gate {
public:
    void open() { promise_.set_value(); }
    bool wait() { return future_.wait_for(kDeadline) == std::future_status::ready; }

private:
    std::promise<void> promise_;
    std::shared_future<void> future_ = promise_.get_future().share();
};

TEST(WorkerPool, WorkRunsOnAWorkerAndDoneOnTheLoopThread) {
    EventLoop loop;
    LoopRunner runner(loop);
    WorkerPool pool(loop, 2, 16);
    EXPECT_EQ(pool.threads(), 2u);
    const auto loop_thread = std::this_thread::get_id();
    std::thread::id work_thread, done_thread;
    int result = 0;
    ASSERT_TRUE(pool.submit([&] { work_thread = std::this_thread::get_id(); result = 42; },
                            [&] {
                                done_thread = std::this_thread::get_id();
                                EXPECT_EQ(result, 42) << "done sees what work left";
                                loop.stop();
                            }));
    ASSERT_TRUE(runner.run(kDeadline)) << "done never came back";
    EXPECT_NE(work_thread, std::thread::id());
    EXPECT_NE(work_thread, loop_thread) << "work ran on the loop thread";
    EXPECT_EQ(done_thread, loop_thread) << "done ran off the loop thread";
}

TEST(WorkerPool, ZeroThreadsMeansOnePerCore) {
    EventLoop loop;
    WorkerPool pool(loop, 0, 4);
    EXPECT_EQ(pool.threads(), std::max(1u, std::thread::hardware_concurrency()));
}

TEST(WorkerPool, DoneCallbacksRunWhileTheLoopRunsNotInsideSubmit) {
    EventLoop loop;
    LoopRunner runner(loop);
    WorkerPool pool(loop, 1, 4);
    Gate gate;
    std::atomic<bool> worked{false};
    bool done = false;
    ASSERT_TRUE(pool.submit(
        [&] {
            gate.wait();
            worked = true;
        },
        [&] {
            done = true;
            loop.stop();
        }));
    EXPECT_FALSE(done);
    gate.open();
    ASSERT_TRUE(runner.run(kDeadline));
    EXPECT_TRUE(worked);
    EXPECT_TRUE(done);
}

TEST(WorkerPool, SubmitRefusesAtOncePastMaxWaitingWhileWorkersAreBusy) {
    EventLoop loop;
    LoopRunner runner(loop);
    WorkerPool pool(loop, 1, 2);
    Gate gate;
    std::promise<void> started;
    std::atomic<int> worked{0};
    int done = 0;
    auto count_done = [&] {
        if (++done == 3) loop.stop();
    };
    // The only worker takes the first job and holds it.
    ASSERT_TRUE(pool.submit(
        [&] {
            started.set_value();
            gate.wait();
            ++worked;
        },
        count_done));
    ASSERT_EQ(started.get_future().wait_for(kDeadline), std::future_status::ready);
    EXPECT_EQ(pool.waiting(), 0u);
    // Two may wait.
    ASSERT_TRUE(pool.submit([&] { ++worked; }, count_done));
    ASSERT_TRUE(pool.submit([&] { ++worked; }, count_done));
    EXPECT_EQ(pool.waiting(), 2u);
    // The third is refused, at once, and never runs.
    bool refused_ran = false;
    auto before = std::chrono::steady_clock::now();
    bool accepted = pool.submit([&] { refused_ran = true; }, [&] { refused_ran = true; });
    auto took = std::chrono::steady_clock::now() - before;
    EXPECT_FALSE(accepted);
    EXPECT_LT(took, 100ms) << "submit waited for room";
    EXPECT_FALSE(pool.submit([&] { refused_ran = true; }, [&] { refused_ran = true; }));
    EXPECT_EQ(pool.waiting(), 2u);

    gate.open();
    ASSERT_TRUE(runner.run(kDeadline)) << "the accepted jobs did not all finish";
    EXPECT_EQ(worked, 3);
    EXPECT_EQ(done, 3);
    EXPECT_FALSE(refused_ran);
    EXPECT_EQ(pool.waiting(), 0u);

    // There is room again.
    bool again = false;
    ASSERT_TRUE(pool.submit([] {}, [&] {
        again = true;
        loop.stop();
    }));
    ASSERT_TRUE(runner.run(kDeadline));
    EXPECT_TRUE(again);
}

TEST(WorkerPool, ManyJobsAllCompleteExactlyOnce) {
    constexpr int kJobs = 2000;
    EventLoop loop;
    LoopRunner runner(loop);
    WorkerPool pool(loop, 4, kJobs);
    std::vector<std::atomic<int>> worked(kJobs);
    std::vector<int> done(kJobs, 0);
    std::set<std::thread::id> done_threads;
    int total_done = 0;
    for (int i = 0; i < kJobs; ++i) {
        ASSERT_TRUE(pool.submit([&worked, i] { worked[i].fetch_add(1); },
                                [&, i] {
                                    ++done[i];
                                    done_threads.insert(std::this_thread::get_id());
                                    if (++total_done == kJobs) loop.stop();
                                }))
            << "job " << i;
    }
    ASSERT_TRUE(runner.run(kDeadline)) << total_done << " of " << kJobs << " done";
    for (int i = 0; i < kJobs; ++i) {
        EXPECT_EQ(worked[i].load(), 1) << "job " << i;
        EXPECT_EQ(done[i], 1) << "job " << i;
    }
    EXPECT_EQ(done_threads, std::set<std::thread::id>{std::this_thread::get_id()});
}

TEST(WorkerPool, JobsSubmittedFromDoneCallbacksComplete) {
    // A chain, as login does: a done callback submits the next job.
    EventLoop loop;
    LoopRunner runner(loop);
    WorkerPool pool(loop, 2, 1);
    int links = 0;
    std::function<void()> next = [&] {
        if (++links == 50) {
            loop.stop();
            return;
        }
        ASSERT_TRUE(pool.submit([] {}, next));
    };
    ASSERT_TRUE(pool.submit([] {}, next));
    ASSERT_TRUE(runner.run(kDeadline));
    EXPECT_EQ(links, 50);
}

TEST(WorkerPool, WorkThatThrowsStillGetsItsDoneAndThePoolGoesOn) {
    EventLoop loop;
    LoopRunner runner(loop);
    WorkerPool pool(loop, 1, 4);
    int done = 0;
    auto count = [&] {
        if (++done == 2) loop.stop();
    };
    ASSERT_TRUE(pool.submit([] { throw std::runtime_error("boom"); }, count));
    ASSERT_TRUE(pool.submit([] {}, count));
    ASSERT_TRUE(runner.run(kDeadline));
    EXPECT_EQ(done, 2);
}

TEST(WorkerPool, DestructionWithJobsWaitingDoesNotHang) {
    EventLoop loop;
    auto pool = std::make_unique<WorkerPool>(loop, 1, 8);
    WorkerPool* raw = pool.get();
    std::promise<void> started;
    Gate queued;
    std::atomic<bool> saw_queue_cleared{false};
    std::atomic<int> waiting_ran{0};
    // The worker holds the first job until the destructor has dropped the
    // queue (waiting() reads 0 once jobs were queued behind it).
    ASSERT_TRUE(pool->submit(
        [&] {
            started.set_value();
            if (!queued.wait()) return;
            saw_queue_cleared = testing_support::eventually([&] { return raw->waiting() == 0; }, kDeadline);
        },
        [] {}));
    ASSERT_EQ(started.get_future().wait_for(kDeadline), std::future_status::ready);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool->submit([&] { ++waiting_ran; }, [] {}));
    ASSERT_EQ(pool->waiting(), 5u);
    queued.open();

    auto destroyed = std::async(std::launch::async, [&] { pool.reset(); });
    ASSERT_EQ(destroyed.wait_for(kDeadline), std::future_status::ready) << "the destructor hangs";
    EXPECT_TRUE(saw_queue_cleared) << "the destructor did not drop the waiting jobs";
    EXPECT_EQ(waiting_ran, 0) << "waiting jobs ran after destruction began";
}

TEST(WorkerPool, DestructionOfAnIdlePoolAndWithUndeliveredResultsIsClean) {
    EventLoop loop;
    {
        WorkerPool idle(loop, 3, 4);
    }
    std::promise<void> finished;
    bool done_ran = false;
    {
        WorkerPool pool(loop, 1, 4);
        ASSERT_TRUE(pool.submit([&] { finished.set_value(); }, [&] { done_ran = true; }));
        ASSERT_EQ(finished.get_future().wait_for(kDeadline), std::future_status::ready);
    }
    // The loop never ran while the pool lived: its result is dropped with
    // it, never delivered later to a callback that may be gone.
    Timer stop(loop, [&] { loop.stop(); });
    stop.arm(0ms);
    loop.run();
    EXPECT_FALSE(done_ran);
}

}  // namespace
