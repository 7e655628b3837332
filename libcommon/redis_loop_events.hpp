// hiredis's async context on the event loop: the hooks hiredis calls to
// watch its socket. In place of hiredis's own libevent adapter (0.14),
// which watches reads with a one-shot event it re-adds after every read,
// so that each batch of replies cost an epoll_ctl (a DEL and an ADD folded
// into a MOD). Here reading is one persistent event; writing stays
// one-shot, added when commands are queued and removed by the write that
// sends them in the same loop turn, which leaves epoll alone.
#pragma once

struct event_base;
struct redisAsyncContext;

namespace usersuite {

// false when the context is attached already or memory runs out.
bool attach_to_loop(redisAsyncContext* ac, event_base* base);

}  // namespace usersuite
