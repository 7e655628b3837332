#include "libcommon/redis_loop_events.hpp"

#include <event2/event.h>
#include <hiredis/async.h>

namespace usersuite {

namespace {

struct LoopEvents {
    redisAsyncContext* ac = nullptr;
    event* read = nullptr;
    event* write = nullptr;
};

// hiredis may free the context, and call cleanup, inside either handler:
// neither touches its LoopEvents afterwards.
void on_readable(evutil_socket_t, short, void* arg) { redisAsyncHandleRead(static_cast<LoopEvents*>(arg)->ac); }
void on_writable(evutil_socket_t, short, void* arg) { redisAsyncHandleWrite(static_cast<LoopEvents*>(arg)->ac); }

// event_add of a pending event changes nothing: hiredis asks for reading
// after every read and write.
void add_read(void* arg) { event_add(static_cast<LoopEvents*>(arg)->read, nullptr); }
void del_read(void* arg) { event_del(static_cast<LoopEvents*>(arg)->read); }
void add_write(void* arg) { event_add(static_cast<LoopEvents*>(arg)->write, nullptr); }
void del_write(void* arg) { event_del(static_cast<LoopEvents*>(arg)->write); }

void cleanup(void* arg) {
    auto* e = static_cast<LoopEvents*>(arg);
    if (e->read != nullptr) event_free(e->read);
    if (e->write != nullptr) event_free(e->write);
    delete e;
}

}  // namespace

bool attach_to_loop(redisAsyncContext* ac, event_base* base) {
    if (ac->ev.data != nullptr) return false;
    auto* e = new LoopEvents;
    e->ac = ac;
    e->read = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, &on_readable, e);
    e->write = event_new(base, ac->c.fd, EV_WRITE, &on_writable, e);
    if (e->read == nullptr || e->write == nullptr) {
        cleanup(e);
        return false;
    }
    ac->ev.data = e;
    ac->ev.addRead = &add_read;
    ac->ev.delRead = &del_read;
    ac->ev.addWrite = &add_write;
    ac->ev.delWrite = &del_write;
    ac->ev.cleanup = &cleanup;
    // As hiredis's adapter: both watched from the start, the write one
    // telling when the non-blocking connect has finished.
    event_add(e->read, nullptr);
    event_add(e->write, nullptr);
    return true;
}

}  // namespace usersuite
