#include "services/jobctl/commands.hpp"

#include <charconv>
#include <ctime>
#include <functional>
#include <iostream>
#include <stdexcept>

#include "libcommon/json.hpp"

namespace usersuite::jobctl {

namespace {

// Runs the loop until answer() is called; a callback that answers before the
// loop starts (Redis refused at once) is fine too.
class Waiter {
public:
    explicit Waiter(EventLoop& loop) : loop_(loop) {}
    void answer(int status) {
        status_ = status;
        done_ = true;
        loop_.stop();
    }
    int wait() {
        if (!done_) loop_.run();
        return status_;
    }

private:
    EventLoop& loop_;
    bool done_ = false;
    int status_ = 0;
};

int unavailable(const std::string& error) {
    std::cerr << "jobctl: " << error << "\n";
    return kExitUnavailable;
}

const char* const kTimeFields[] = {"created_at", "enqueued_at", "run_at", "started_at", "ended_at"};

// Unix milliseconds -> 2026-11-26T13:04:23.123Z
std::string iso_time(const std::string& ms_text) {
    std::int64_t ms = 0;
    try {
        ms = std::stoll(ms_text);
    } catch (const std::exception&) {
        return ms_text;
    }
    std::time_t s = static_cast<std::time_t>(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

// A record no job-worker or jobctl wrote (changed by hand, or half
// written): reported, never shown as valid JSON.
class BadRecord : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::int64_t whole_number(const JobRecord& rec, const std::string& key, const std::string& value) {
    std::int64_t n = 0;
    const char* end = value.data() + value.size();
    auto [stop, ec] = std::from_chars(value.data(), end, n);
    if (ec != std::errc() || stop != end) {
        auto id = rec.find("id");
        throw BadRecord("job " + (id == rec.end() ? std::string("?") : id->second) + " has a corrupt record: " + key +
                        " is \"" + value + "\", not a whole number");
    }
    return n;
}

bool is_time_field(const std::string& key) {
    for (const char* f : kTimeFields)
        if (key == f) return true;
    return false;
}

// A record as JSON: times in ISO 8601, attempts a number, args and result as
// the JSON they hold; the owner token is internal and left out. Throws
// BadRecord when attempts is not a number.
Json record_json(const JobRecord& rec) {
    Json o = Json::object();
    for (const auto& [key, value] : rec) {
        if (key == "token") continue;
        if (is_time_field(key)) {
            o.set(key, Json::string(iso_time(value)));
        } else if (key == "attempts") {
            o.set(key, Json::integer(whole_number(rec, key, value)));
        } else if (key == "args" || key == "result") {
            std::string why;
            auto parsed = Json::parse("[" + value + "]", &why);
            o.set(key, parsed ? parsed->at(0) : Json::string(value));
        } else {
            o.set(key, Json::string(value));
        }
    }
    return o;
}

void print_record(const JobRecord& rec) {
    static const char* const order[] = {"id", "type", "queue", "status", "attempts", "args", "result", "error",
                                        "request_id", "created_at", "enqueued_at", "run_at", "started_at",
                                        "ended_at", "worker"};
    for (const char* key : order) {
        auto it = rec.find(key);
        if (it == rec.end() || it->second.empty()) continue;
        std::cout << key << ": " << (is_time_field(key) ? iso_time(it->second) : it->second) << "\n";
    }
}

std::string field(const JobRecord& rec, const char* key) {
    auto it = rec.find(key);
    return it == rec.end() ? "" : it->second;
}

// The ids of the jobs queued, one a line, or a JSON document (with "ids"
// for --count above 1, even when only some were queued).
void print_queued(const NewJob& job, const std::vector<std::string>& ids, const Options& o) {
    const char* status = o.delay.count() > 0 ? "scheduled" : "queued";
    if (o.json) {
        Json out = Json::object();
        if (o.count == 1) {
            out.set("id", Json::string(ids[0]));
        } else {
            Json list = Json::array();
            for (const std::string& id : ids) list.push(Json::string(id));
            out.set("ids", list);
        }
        out.set("type", Json::string(job.type)).set("queue", Json::string(job.queue)).set("status", Json::string(status));
        std::cout << out.dump() << "\n";
    } else {
        for (const std::string& id : ids) std::cout << id << "\n";
    }
}

}  // namespace

int cmd_enqueue(EventLoop& loop, JobQueue& queue, const Options& o) {
    if (o.args.size() != 2) throw UsageError("enqueue takes TYPE and JSON");
    NewJob job;
    job.type = o.args[0];
    if (!is_job_type(job.type)) throw UsageError("TYPE must be 1 to 64 of a-z, 0-9 and _, not \"" + job.type + "\"");
    std::string why;
    auto args = Json::parse(o.args[1], &why);
    if (!args || !args->is_object()) throw UsageError("JSON must be a JSON object" + (why.empty() ? "" : ": " + why));
    job.args = args->dump();
    job.queue = o.queue;
    job.delay = o.delay;

    Waiter waiter(loop);
    std::vector<std::string> ids;
    std::string failure;
    std::int64_t sent = 0;
    std::int64_t answered = 0;
    // A window of commands in flight, so --count enqueues quickly without
    // queueing all of them in memory at once.
    std::function<void()> send_more;
    send_more = [&] {
        while (sent < o.count && sent - answered < 512) {
            ++sent;
            queue.enqueue(job, [&](const std::string& id, const std::string& error) {
                ++answered;
                if (!error.empty() && failure.empty()) failure = error;
                if (error.empty()) ids.push_back(id);
                if (!failure.empty() || answered == o.count) {
                    if (answered == sent) waiter.answer(0);
                    return;
                }
                send_more();
            });
            if (!failure.empty()) break;
        }
    };
    send_more();
    waiter.wait();
    // The jobs queued before a failure are printed too: they will run.
    if (!ids.empty()) print_queued(job, ids, o);
    if (!failure.empty()) {
        if (!ids.empty()) std::cerr << "jobctl: " << ids.size() << " of " << o.count << " job(s) were queued\n";
        return unavailable(failure);
    }
    return 0;
}

int cmd_status(EventLoop& loop, JobQueue& queue, const Options& o) {
    if (o.args.size() != 1) throw UsageError("status takes one job ID");
    Waiter waiter(loop);
    int rc = 0;
    queue.status(o.args[0], [&](std::optional<JobRecord> rec, const std::string& error) {
        if (!error.empty()) {
            rc = unavailable(error);
        } else if (!rec) {
            std::cerr << "jobctl: no job " << o.args[0] << " (never queued, or its result has expired)\n";
            rc = kExitNotFound;
        } else if (o.json) {
            try {
                std::cout << record_json(*rec).dump() << "\n";
            } catch (const BadRecord& e) {
                rc = unavailable(e.what());
            }
        } else {
            print_record(*rec);
        }
        waiter.answer(rc);
    });
    return waiter.wait();
}

int cmd_stats(EventLoop& loop, JobQueue& queue, const Options& o) {
    if (!o.args.empty()) throw UsageError("stats takes no operand");
    Waiter waiter(loop);
    int rc = 0;
    queue.stats(o.worker_timeout, [&](QueueStats s, const std::string& error) {
        if (!error.empty()) {
            rc = unavailable(error);
        } else if (o.json) {
            Json queued = Json::object();
            for (const auto& [name, n] : s.queued) queued.set(name, Json::integer(n));
            std::cout << Json::object()
                             .set("queued", queued)
                             .set("scheduled", Json::integer(s.scheduled))
                             .set("started", Json::integer(s.started))
                             .set("failed", Json::integer(s.failed))
                             .set("workers", Json::integer(s.workers))
                             .dump()
                      << "\n";
        } else {
            for (const std::string& name : job_queue_names())
                std::cout << "queue " << name << ": " << s.queued[name] << "\n";
            std::cout << "scheduled: " << s.scheduled << "\nstarted: " << s.started << "\nfailed: " << s.failed
                      << "\nworkers: " << s.workers << "\n";
        }
        waiter.answer(rc);
    });
    return waiter.wait();
}

int cmd_workers(EventLoop& loop, JobQueue& queue, const Options& o) {
    if (!o.args.empty()) throw UsageError("workers takes no operand");
    Waiter waiter(loop);
    int rc = 0;
    queue.workers(o.worker_timeout, [&](std::vector<WorkerInfo> all, const std::string& error) {
        if (!error.empty()) {
            waiter.answer(unavailable(error));
            return;
        }
        std::vector<WorkerInfo> live;
        for (WorkerInfo& w : all)
            if (o.host.empty() || JobQueue::is_worker_on_host(w.id, o.host)) live.push_back(std::move(w));
        if (o.json) {
            Json list = Json::array();
            for (const WorkerInfo& w : live)
                list.push(Json::object()
                              .set("id", Json::string(w.id))
                              .set("heartbeat_ms_ago", Json::integer(w.heartbeat_ms_ago))
                              .set("jobs", Json::integer(w.jobs)));
            std::cout << list.dump() << "\n";
        } else {
            for (const WorkerInfo& w : live)
                std::cout << w.id << "  heartbeat " << w.heartbeat_ms_ago << " ms ago  " << w.jobs << " job(s)\n";
        }
        // Exit 1 lets a health check test for a live worker without parsing.
        if (live.empty()) {
            std::cerr << "jobctl: no live worker" << (o.host.empty() ? "" : " on host " + o.host) << "\n";
            rc = kExitNotFound;
        }
        waiter.answer(rc);
    });
    return waiter.wait();
}

int cmd_failed(EventLoop& loop, JobQueue& queue, const Options& o) {
    if (!o.args.empty()) throw UsageError("failed takes no operand");
    Waiter waiter(loop);
    int rc = 0;
    queue.failed([&](std::vector<JobRecord> jobs, const std::string& error) {
        if (!error.empty()) {
            rc = unavailable(error);
        } else if (o.json) {
            try {
                Json list = Json::array();
                for (const JobRecord& rec : jobs) list.push(record_json(rec));
                std::cout << list.dump() << "\n";
            } catch (const BadRecord& e) {
                rc = unavailable(e.what());
            }
        } else {
            for (const JobRecord& rec : jobs)
                std::cout << field(rec, "id") << "  " << iso_time(field(rec, "ended_at")) << "  " << field(rec, "type")
                          << "  " << field(rec, "queue") << "  attempts " << field(rec, "attempts") << "  "
                          << field(rec, "error") << "\n";
        }
        waiter.answer(rc);
    });
    return waiter.wait();
}

int cmd_requeue(EventLoop& loop, JobQueue& queue, const Options& o) {
    if (o.all != o.args.empty() || o.args.size() > 1) throw UsageError("requeue takes one job ID, or --all");
    std::string id = o.all ? "" : o.args[0];
    if (!o.all && id.empty()) throw UsageError("requeue takes a job ID, not an empty one");
    Waiter waiter(loop);
    int rc = 0;
    queue.requeue(id, [&](std::int64_t n, const std::string& error) {
        if (!error.empty()) {
            rc = unavailable(error);
        } else if (!o.all && n == 0) {
            std::cerr << "jobctl: job " << id << " is not in the failed registry\n";
            rc = kExitNotFound;
        } else if (o.json) {
            std::cout << Json::object().set("requeued", Json::integer(n)).dump() << "\n";
        } else {
            std::cout << "requeued " << n << " job(s)\n";
        }
        waiter.answer(rc);
    });
    return waiter.wait();
}

int cmd_purge(EventLoop& loop, JobQueue& queue, const Options& o) {
    if (o.args.size() != 1) throw UsageError("purge takes one QUEUE");
    const std::string& name = o.args[0];
    if (!is_job_queue_name(name) && name != "scheduled" && name != "failed")
        throw UsageError("QUEUE must be high, default, low, scheduled or failed, not \"" + name + "\"");
    Waiter waiter(loop);
    int rc = 0;
    queue.purge(name, [&](std::int64_t n, const std::string& error) {
        if (!error.empty()) {
            rc = unavailable(error);
        } else if (o.json) {
            std::cout << Json::object().set("purged", Json::integer(n)).set("queue", Json::string(name)).dump() << "\n";
        } else {
            std::cout << "purged " << n << " job(s) from " << name << "\n";
        }
        waiter.answer(rc);
    });
    return waiter.wait();
}

}  // namespace usersuite::jobctl
