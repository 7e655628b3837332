#include "libcommon/event_loop.hpp"

#include <event2/event.h>

#include <stdexcept>

namespace usersuite {

void EventBaseDeleter::operator()(event_base* b) const noexcept { event_base_free(b); }
void EventDeleter::operator()(event* e) const noexcept { event_free(e); }

EventLoop::EventLoop() {
    // With a changelist, epoll_ctl calls are batched until the next
    // epoll_wait and an add cancels a delete: evhttp disables and re-enables
    // a connection's events on every request, four syscalls saved each.
    std::unique_ptr<event_config, void (*)(event_config*)> cfg(event_config_new(), &event_config_free);
    if (!cfg) throw std::runtime_error("cannot create a libevent config");
    event_config_set_flag(cfg.get(), EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base_.reset(event_base_new_with_config(cfg.get()));
    if (!base_) throw std::runtime_error("cannot create the libevent event base");
}

void EventLoop::run() {
    if (event_base_dispatch(base_.get()) < 0) throw std::runtime_error("the event loop failed");
}

void EventLoop::stop() { event_base_loopbreak(base_.get()); }

Timer::Timer(EventLoop& loop, std::function<void()> fn)
    : fn_(std::move(fn)), event_(evtimer_new(loop.base(), &Timer::fire, this)) {
    if (!event_) throw std::runtime_error("cannot create a timer event");
}

void Timer::arm(std::chrono::milliseconds after) {
    timeval tv{static_cast<time_t>(after.count() / 1000), static_cast<suseconds_t>((after.count() % 1000) * 1000)};
    evtimer_add(event_.get(), &tv);
}

void Timer::fire_soon() { event_active(event_.get(), EV_TIMEOUT, 0); }

void Timer::cancel() { evtimer_del(event_.get()); }

bool Timer::pending() const { return evtimer_pending(event_.get(), nullptr) != 0; }

void Timer::fire(int, short, void* self) { static_cast<Timer*>(self)->fn_(); }

SignalEvent::SignalEvent(EventLoop& loop, int signo, std::function<void()> fn)
    : fn_(std::move(fn)), event_(evsignal_new(loop.base(), signo, &SignalEvent::fire, this)) {
    if (!event_ || evsignal_add(event_.get(), nullptr) != 0)
        throw std::runtime_error("cannot watch signal " + std::to_string(signo));
}

void SignalEvent::fire(int, short, void* self) { static_cast<SignalEvent*>(self)->fn_(); }

}  // namespace usersuite
