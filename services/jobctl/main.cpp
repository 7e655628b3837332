// jobctl: queue jobs and look after the job queues from a shell: enqueue,
// status, stats, workers, failed, requeue, purge. Output is text for people,
// or one JSON document with --json; the exit status says what happened.
#include <getopt.h>

#include <cmath>
#include <algorithm>
#include <ctime>
#include <cstring>
#include <cstdlib>
#include <iostream>
#include <map>

#include "libcommon/config.hpp"
#include "libcommon/daemon.hpp"
#include "libcommon/log.hpp"
#include "libcommon/redis_client.hpp"
#include "services/jobctl/commands.hpp"

using namespace usersuite;
using namespace usersuite::jobctl;

namespace {

const char* const kUsage =
    "usage: jobctl [-hV] [-c file] [-o key=value] [--json] command [operand ...]";

void print_help() {
    std::cout << kUsage << "\n\n"
              << "Queues jobs for job-worker and looks after the Redis job queues (high, default, low).\n\n"
                 "commands:\n"
                 "  enqueue TYPE JSON [--queue Q] [--in SECONDS | --at TIME] [--count N]\n"
                 "                     queue a job of TYPE (job-worker runs noop and send_email) with the\n"
                 "                     JSON object as its arguments, on Q (default: default), to run in\n"
                 "                     SECONDS (may have a fraction) or at TIME (Unix seconds, or UTC as\n"
                 "                     2026-11-26T13:00:00Z); --count queues N alike; prints each job's id\n"
                 "  status ID          print a job: status, attempts, times, result or error\n"
                 "                     (exit 1 when there is no such job)\n"
                 "  stats              jobs in each queue, scheduled, started and failed; live workers\n"
                 "  workers [--host NAME]\n"
                 "                     list the live workers (heartbeat within WORKER_TIMEOUT_MS): id,\n"
                 "                     ms since its heartbeat, jobs it holds; --host: only those of host NAME\n"
                 "                     (exit 1 when none is live)\n"
                 "  failed             list the failed registry, oldest failure first\n"
                 "  requeue ID|--all   move a failed job (or all) back to its queue with attempts reset\n"
                 "                     (exit 1 when ID is not in the failed registry)\n"
                 "  purge QUEUE        delete every job in QUEUE: high, default, low, scheduled or failed\n\n"
                 "options:\n"
                 "  -c, --config FILE  read FILE (KEY=VALUE lines); default " USERSUITE_SYSCONFDIR "/usersuite.env\n"
                 "                     when it exists\n"
                 "  -o, --set KEY=VALUE\n"
                 "                     set a configuration key\n"
                 "      --json         print one JSON document instead of text\n"
                 "  -h, --help         print this help and exit\n"
                 "  -V, --version      print the version and exit\n\n"
                 "configuration keys (file, then environment, then -o; see usersuite.env(5)):\n";
    print_config_keys(std::cout, kJobctl);
    std::cout << "\nexit status: 0 done, 1 nothing found (no such job, no live worker), 2 usage,\n"
                 "69 Redis unavailable (or a corrupt job record), 71 system error, 78 configuration.\n";
}

[[noreturn]] void usage_error(const std::string& why) {
    std::cerr << "jobctl: " << why << "\n" << kUsage << "\n";
    std::exit(kExitUsage);
}

std::int64_t parse_count(const char* text) {
    char* end = nullptr;
    long long n = std::strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || n < 1 || n > 10000000) usage_error("--count takes 1 to 10000000");
    return n;
}

std::chrono::milliseconds parse_delay(const char* text) {
    char* end = nullptr;
    double s = std::strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !std::isfinite(s) || s < 0 || s > 31536000)
        usage_error("--in takes seconds from 0 to 31536000, not \"" + std::string(text) + "\"");
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(s * 1000)));
}

// --at: Unix seconds, or an ISO 8601 UTC time (2026-11-26T13:00:00Z); the
// delay from now, zero when the time has passed.
std::chrono::milliseconds parse_time(const char* text) {
    std::int64_t at_ms = 0;
    char* end = nullptr;
    double seconds = std::strtod(text, &end);
    if (*text != '\0' && *end == '\0' && std::isfinite(seconds) && seconds >= 0 && seconds < 1e11) {
        at_ms = static_cast<std::int64_t>(std::llround(seconds * 1000));
    } else {
        struct tm tm = {};
        const char* rest = ::strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
        if (rest == nullptr || (std::strcmp(rest, "Z") != 0 && std::strcmp(rest, "+00:00") != 0))
            usage_error("--at takes Unix seconds or a UTC time such as 2026-11-26T13:00:00Z, not \"" +
                        std::string(text) + "\"");
        at_ms = static_cast<std::int64_t>(::timegm(&tm)) * 1000;
    }
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    std::int64_t delay = std::max<std::int64_t>(0, at_ms - now_ms);
    if (delay > 31536000000LL) usage_error("--at is more than a year away");
    return std::chrono::milliseconds(delay);
}

using Command = int (*)(EventLoop&, JobQueue&, const Options&);
const std::map<std::string, Command> kCommands = {{"enqueue", cmd_enqueue}, {"status", cmd_status},
                                                  {"stats", cmd_stats},     {"workers", cmd_workers},
                                                  {"failed", cmd_failed},   {"requeue", cmd_requeue},
                                                  {"purge", cmd_purge}};

}  // namespace

int main(int argc, char** argv) {
    enum { kJson = 256, kQueue, kIn, kAt, kCount, kAll, kHost };
    static const option longopts[] = {{"config", required_argument, nullptr, 'c'},
                                      {"set", required_argument, nullptr, 'o'},
                                      {"json", no_argument, nullptr, kJson},
                                      {"queue", required_argument, nullptr, kQueue},
                                      {"in", required_argument, nullptr, kIn},
                                      {"at", required_argument, nullptr, kAt},
                                      {"count", required_argument, nullptr, kCount},
                                      {"all", no_argument, nullptr, kAll},
                                      {"host", required_argument, nullptr, kHost},
                                      {"help", no_argument, nullptr, 'h'},
                                      {"version", no_argument, nullptr, 'V'},
                                      {nullptr, 0, nullptr, 0}};
    Config::Sources sources;
    sources.file = USERSUITE_SYSCONFDIR "/usersuite.env";
    Options o;
    bool queue_given = false, delay_given = false, count_given = false;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:o:hV", longopts, nullptr)) != -1) {
        switch (c) {
            case 'c':
                sources.file = optarg;
                sources.file_required = true;
                break;
            case 'o':
                if (!add_override(sources, optarg)) usage_error("-o takes KEY=VALUE, not \"" + std::string(optarg) + "\"");
                break;
            case kJson: o.json = true; break;
            case kQueue:
                o.queue = optarg;
                queue_given = true;
                if (!is_job_queue_name(o.queue)) usage_error("--queue takes high, default or low, not \"" + o.queue + "\"");
                break;
            case kIn:
            case kAt:
                if (delay_given) usage_error("--in and --at go alone, not together or twice");
                o.delay = c == kIn ? parse_delay(optarg) : parse_time(optarg);
                delay_given = true;
                break;
            case kCount:
                o.count = parse_count(optarg);
                count_given = true;
                break;
            case kAll: o.all = true; break;
            case kHost:
                o.host = optarg;
                if (o.host.empty()) usage_error("--host takes a host name, not an empty one");
                break;
            case 'h': print_help(); return 0;
            case 'V': std::cout << "jobctl " USERSUITE_VERSION "\n"; return 0;
            case ':': usage_error(std::string("option ") + argv[optind - 1] + " needs a value");
            default: usage_error(std::string("unknown option ") + argv[optind - 1]);
        }
    }
    if (optind >= argc) usage_error("a command is needed");
    std::string name = argv[optind];
    auto command = kCommands.find(name);
    if (command == kCommands.end()) usage_error("unknown command \"" + name + "\"");
    if ((queue_given || delay_given || count_given) && name != "enqueue")
        usage_error("--queue, --in, --at and --count go with enqueue");
    if (o.all && name != "requeue") usage_error("--all goes with requeue");
    if (!o.host.empty() && name != "workers") usage_error("--host goes with workers");
    o.args.assign(argv + optind + 1, argv + argc);

    try {
        sources.environment = config_environment();
        Config config = Config::load(kJobctl, sources);
        o.worker_timeout = std::chrono::milliseconds(config.integer("WORKER_TIMEOUT_MS"));
        log_open("jobctl", "", LogLevel::warning);  // a tool speaks through its output and exit status
        EventLoop loop;
        RedisClient redis(loop, redis_endpoint(config));
        JobQueue queue(redis, std::chrono::milliseconds(config.integer("REDIS_TIMEOUT_MS")));
        return command->second(loop, queue, o);
    } catch (const UsageError& e) {
        usage_error(e.what());
    } catch (const ConfigError& e) {
        std::cerr << "jobctl: config: " << e.what() << "\n";
        return kExitConfig;
    } catch (const std::exception& e) {
        // The event loop could not be made, or memory ran out: as the daemons.
        std::cerr << "jobctl: " << e.what() << "\n";
        return kExitOsError;
    }
}
