// What SIGTERM winds down: the HTTP server's requests, or job-worker's jobs.
// DaemonSignals drives it: the first signal drains, a second one hurries.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

namespace usersuite {

class Drainable {
public:
    virtual ~Drainable() = default;
    virtual std::size_t in_flight() const = 0;
    virtual const char* in_flight_noun() const = 0;  // "request(s)"
    // Take no new work; call done once the work in flight has ended, or
    // when the timeout has passed.
    virtual void drain(std::chrono::seconds timeout, std::function<void()> done) = 0;
    // A second signal: end at once, doing only what must not be skipped.
    virtual void hurry(std::function<void()> done) { done(); }
};

}  // namespace usersuite
