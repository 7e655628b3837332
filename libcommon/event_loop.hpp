// RAII over libevent: the loop, and one-shot or repeating timers and signal
// events that call a std::function on the loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

struct event_base;
struct event;

namespace usersuite {

struct EventBaseDeleter {
    void operator()(event_base* b) const noexcept;
};
struct EventDeleter {
    void operator()(event* e) const noexcept;
};
using EventPtr = std::unique_ptr<event, EventDeleter>;

class EventLoop {
public:
    EventLoop();
    event_base* base() const { return base_.get(); }
    void run();
    void stop();  // returns from run() after the current callbacks

private:
    std::unique_ptr<event_base, EventBaseDeleter> base_;
};

// Calls fn once per arm(); arming again moves the deadline; destroying the
// timer cancels it.
class Timer {
public:
    Timer(EventLoop& loop, std::function<void()> fn);
    void arm(std::chrono::milliseconds after);
    // fn runs in this turn of the loop, after the callbacks already due
    // (before the loop waits again); calls before it runs count once.
    void fire_soon();
    void cancel();
    bool pending() const;

private:
    static void fire(int, short, void* self);
    std::function<void()> fn_;
    EventPtr event_;
};

// Delivers a signal as an event on the loop, never in a real handler.
class SignalEvent {
public:
    SignalEvent(EventLoop& loop, int signo, std::function<void()> fn);

private:
    static void fire(int, short, void* self);
    std::function<void()> fn_;
    EventPtr event_;
};

}  // namespace usersuite
