#include "libcommon/batched_lookup.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "libcommon/pg_client.hpp"

namespace usersuite {

namespace {
// One statement at a time: measured on 2 cores (README, Benchmarks), 2 or 4 in
// flight only split the waiting lookups into smaller batches, and PostgreSQL
// then spends more per lookup. A lookup waits at most one statement's time.
constexpr int kMaxInFlight = 1;
// A bound on one statement's array, so that a burst is split rather than
// sent as one huge parameter.
constexpr std::size_t kMaxBatch = 256;
}  // namespace

std::string pg_text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (const auto& item : items) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (char c : item) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

BatchedLookup::BatchedLookup(PgClient& db, std::string sql, std::chrono::milliseconds timeout)
    : db_(db), sql_(std::move(sql)), timeout_(timeout), alive_(std::make_shared<bool>(true)) {}

BatchedLookup::~BatchedLookup() { *alive_ = false; }

void BatchedLookup::find(std::string key, Callback cb) {
    waiting_.push_back({std::move(key), std::chrono::steady_clock::now() + timeout_, std::move(cb)});
    if (in_flight_ < kMaxInFlight) send();
}

void BatchedLookup::send() {
    auto now = std::chrono::steady_clock::now();
    // Lookups wait in arrival order with one timeout, so the ones that
    // waited out their deadline behind a slow statement are at the front.
    std::vector<Lookup> late;
    while (!waiting_.empty() && waiting_.front().deadline <= now) {
        late.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
    }
    auto batch = std::make_shared<std::vector<Lookup>>();
    while (!waiting_.empty() && batch->size() < kMaxBatch) {
        batch->push_back(std::move(waiting_.front()));
        waiting_.pop_front();
    }
    // The late are answered after the batch is out, so that a lookup one of
    // them starts queues behind it.
    if (!batch->empty()) send_batch(batch, now);
    for (auto& l : late) l.cb(nullptr, -1, "PostgreSQL busy: timed out waiting for a connection");
}

void BatchedLookup::send_batch(const std::shared_ptr<std::vector<Lookup>>& batch,
                               std::chrono::steady_clock::time_point now) {
    std::vector<std::string> keys;
    for (const auto& l : *batch) keys.push_back(l.key);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(batch->front().deadline - now);
    ++in_flight_;
    db_.query(sql_, {pg_text_array(keys)}, std::max(left, std::chrono::milliseconds(1)), PgStatement::read,
              [this, alive = alive_, batch](PgResult result, const std::string& error) {
                  if (!*alive) return;
                  --in_flight_;
                  // The next batch goes before this one's answers are
                  // written, so that PostgreSQL works on it meanwhile.
                  if (!waiting_.empty()) send();
                  if (!error.empty()) {
                      for (auto& l : *batch) l.cb(result.get(), -1, error);
                  } else {
                      std::unordered_map<std::string, int> rows;
                      for (int i = 0; i < PQntuples(result.get()); ++i) rows.emplace(PQgetvalue(result.get(), i, 0), i);
                      for (auto& l : *batch) {
                          auto it = rows.find(l.key);
                          l.cb(result.get(), it == rows.end() ? -1 : it->second, error);
                      }
                  }
              });
}

}  // namespace usersuite
