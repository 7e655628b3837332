// Single-row lookups by key (a user by id, by email) coalesced into one
// query: while a query of this lookup is with PostgreSQL, the lookups that
// arrive wait and then go together as one array parameter.
// Under load one statement answers dozens of requests, which is what keeps
// PostgreSQL's per-statement cost from capping the token check and the
// uncached user read; an idle daemon still sends each lookup at once.
// Every lookup is answered by a query sent after it arrived, so a lookup
// never sees less than a write that finished before it.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libcommon/pg_connection.hpp"

namespace usersuite {

class PgClient;

class BatchedLookup {
public:
    // row is the key's row in result, or -1 when no row has the key; on
    // failure error is set and result, when not null, holds the server's
    // error.
    using Callback = std::function<void(const pg_result* result, int row, const std::string& error)>;

    // sql takes the keys as $1, a text[] literal, and returns each found
    // key's text as its first column.
    BatchedLookup(PgClient& db, std::string sql, std::chrono::milliseconds timeout);
    ~BatchedLookup();
    BatchedLookup(const BatchedLookup&) = delete;
    BatchedLookup& operator=(const BatchedLookup&) = delete;

    void find(std::string key, Callback cb);

private:
    struct Lookup {
        std::string key;
        std::chrono::steady_clock::time_point deadline;
        Callback cb;
    };
    void send();
    void send_batch(const std::shared_ptr<std::vector<Lookup>>& batch, std::chrono::steady_clock::time_point now);

    PgClient& db_;
    std::string sql_;
    std::chrono::milliseconds timeout_;
    std::deque<Lookup> waiting_;
    int in_flight_ = 0;
    std::shared_ptr<bool> alive_;
};

// {"a","b"}: a PostgreSQL array literal of the keys, each quoted.
std::string pg_text_array(const std::vector<std::string>& items);

}  // namespace usersuite
