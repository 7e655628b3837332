#include "libcommon/daemon.hpp"

#include <event2/event.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "libcommon/log.hpp"

#ifndef USERSUITE_VERSION
#define USERSUITE_VERSION "0.0.0"
#endif
#ifndef USERSUITE_SYSCONFDIR
#define USERSUITE_SYSCONFDIR "/usr/local/etc/usersuite"
#endif

// jemalloc's settings for the programs (the Makefile links them with it):
// freed pages go back to the system within a second, by its background
// thread, so a daemon idle after a burst does not keep the burst's memory.
// glibc's malloc, in the tests, never reads this.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";
}

namespace usersuite {

namespace {

std::string usage_line(const DaemonInfo& info) {
    return std::string("usage: ") + info.name + " [-hnV] [-c file]" + (info.listen_key ? " [-l address]" : "") +
           " [-o key=value]";
}

void print_help(const DaemonInfo& info) {
    std::cout << usage_line(info) << "\n\n"
              << info.summary << "\n\n"
              << "options:\n"
              << "  -c, --config FILE      read FILE (KEY=VALUE lines); default " USERSUITE_SYSCONFDIR
                 "/usersuite.env when it exists\n"
              << (info.listen_key ? std::string("  -l, --listen ADDRESS   listen on HOST:PORT, [IPv6]:PORT or a Unix "
                                                "socket path; sets ") + info.listen_key + "\n"
                                  : std::string())
              << "  -o, --set KEY=VALUE    set a configuration key; wins over the file and the environment\n"
              << "  -n, --check            check the configuration, print \"configuration OK\" and exit\n"
              << "  -h, --help             print this help and exit\n"
              << "  -V, --version          print the version and exit\n\n"
              << "configuration keys (file, then environment, then -o; see usersuite.env(5)):\n";
    print_config_keys(std::cout, info.program);
    std::cout << "\nsignals: " << info.signals_help << "\n"
              << "exit status: 0 stopped cleanly, 2 usage, 71 cannot " << (info.listen_key ? "listen or " : "")
              << "open logs, 78 configuration.\n";
}

void usage_error(const DaemonInfo& info, const std::string& why) {
    std::cerr << info.name << ": " << why << "\n" << usage_line(info) << "\n";
    std::exit(kExitUsage);
}

}  // namespace

std::string daemon_version_line(const DaemonInfo& info) {
    return std::string(info.name) + " " USERSUITE_VERSION " (libevent " + event_get_version() + ", libpq " +
           std::to_string(PQlibVersion() / 10000) + "." + std::to_string(PQlibVersion() % 10000) + ", hiredis " +
           std::to_string(HIREDIS_MAJOR) + "." + std::to_string(HIREDIS_MINOR) + "." + std::to_string(HIREDIS_PATCH) +
           ", jansson " + JANSSON_VERSION + ")";
}

DaemonOptions parse_daemon_options(int argc, char** argv, const DaemonInfo& info) {
    static const option longopts[] = {{"config", required_argument, nullptr, 'c'},
                                      {"listen", required_argument, nullptr, 'l'},
                                      {"set", required_argument, nullptr, 'o'},
                                      {"check", no_argument, nullptr, 'n'},
                                      {"help", no_argument, nullptr, 'h'},
                                      {"version", no_argument, nullptr, 'V'},
                                      {nullptr, 0, nullptr, 0}};
    DaemonOptions o;
    o.sources.file = USERSUITE_SYSCONFDIR "/usersuite.env";
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:l:o:nhV", longopts, nullptr)) != -1) {
        switch (c) {
            case 'c':
                o.sources.file = optarg;
                o.sources.file_required = true;
                break;
            case 'l':
                if (info.listen_key == nullptr) usage_error(info, "unknown option -l: " + std::string(info.name) + " does not listen");
                o.sources.overrides.emplace_back(info.listen_key, optarg);
                break;
            case 'o':
                if (!add_override(o.sources, optarg))
                    usage_error(info, "-o takes KEY=VALUE, not \"" + std::string(optarg) + "\"");
                break;
            case 'n': o.check_only = true; break;
            case 'h': print_help(info); std::exit(0);
            case 'V': std::cout << daemon_version_line(info) << "\n"; std::exit(0);
            case ':': usage_error(info, std::string("option ") + argv[optind - 1] + " needs a value"); break;
            default: usage_error(info, std::string("unknown option ") + argv[optind - 1]);
        }
    }
    if (optind < argc) usage_error(info, std::string("unexpected argument \"") + argv[optind] + "\"");
    return o;
}

Config load_daemon_config(const DaemonInfo& info, const DaemonOptions& options) {
    Config::Sources s = options.sources;
    s.environment = config_environment();
    return Config::load(info.program, s);
}

void open_daemon_logs(const DaemonInfo& info, const Config& config) {
    LogLevel level = LogLevel::info;
    parse_log_level(config.str("LOG_LEVEL"), &level);
    log_open(info.name, config.str("LOG_DIR"), level, config.boolean("LOG_STDERR"));
}

HttpSettings http_settings(const Config& config) {
    std::string why;
    return HttpSettings{static_cast<int>(config.integer("HTTP_IDLE_TIMEOUT")),
                        static_cast<int>(config.integer("HTTP_REQUEST_TIMEOUT")),
                        *CorsPolicy::parse(config.str("BACKEND_CORS_ORIGINS"), &why)};
}

PgSettings pg_settings(const DaemonInfo& info, const Config& config) {
    return PgSettings{config.str("DATABASE_URL"), info.name, config.boolean("DATABASE_ECHO"),
                      static_cast<std::size_t>(config.integer("DATABASE_POOL_SIZE")),
                      static_cast<std::size_t>(config.integer("DATABASE_MAX_OVERFLOW")),
                      std::chrono::milliseconds(config.integer("DATABASE_TIMEOUT_MS"))};
}

ListenAddress daemon_listen_address(const DaemonInfo& info, const Config& config) {
    std::string why;
    auto a = parse_listen_address(config.str(info.listen_key), &why);
    if (!a) throw ConfigError(info.listen_key, why);
    return *a;
}

void raise_open_file_limit() {
    struct rlimit rl;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &rl) != 0)
            Logger("main").warning(kNoRequest, std::string("cannot raise the open-file limit: ") + std::strerror(errno));
    }
}

DaemonSignals::DaemonSignals(EventLoop& loop, Drainable& work, std::chrono::seconds drain_timeout)
    : loop_(loop), work_(work), drain_timeout_(drain_timeout) {
    ::signal(SIGPIPE, SIG_IGN);
    events_.reserve(3);
    events_.emplace_back(loop, SIGTERM, [this] { on_stop_signal("SIGTERM"); });
    events_.emplace_back(loop, SIGINT, [this] { on_stop_signal("SIGINT"); });
    events_.emplace_back(loop, SIGHUP, [] { log_reopen(); });
}

void DaemonSignals::on_stop_signal(const char* name) {
    Logger log("main");
    if (stopping_) {
        log.warning(kNoRequest, std::string(name) + " again: exiting now with " +
                                    std::to_string(work_.in_flight()) + " " + work_.in_flight_noun() + " unfinished");
        work_.hurry([this] { loop_.stop(); });
        return;
    }
    stopping_ = true;
    log.info(kNoRequest, std::string(name) + ": taking no new work; finishing " + std::to_string(work_.in_flight()) +
                             " in-flight " + work_.in_flight_noun());
    work_.drain(drain_timeout_, [this] {
        Logger("main").info(kNoRequest, "drained; exiting");
        loop_.stop();
    });
}

void log_process_up(const DaemonInfo& info, const std::string& where, std::chrono::steady_clock::time_point started) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.1f", ms);
    Logger("main").info(kNoRequest, daemon_version_line(info) + " up on " + where + ", pid " +
                                        std::to_string(::getpid()) + ", ready in " + took + " ms");
}

int run_daemon_main(const DaemonInfo& info, const std::function<int()>& body) {
    try {
        return body();
    } catch (const ConfigError& e) {
        std::cerr << info.name << ": config: " << e.what() << "\n";
        return kExitConfig;
    } catch (const std::exception& e) {
        std::cerr << info.name << ": " << e.what() << "\n";
        Logger("main").error(kNoRequest, std::string("exiting: ") + e.what());
        return kExitOsError;
    }
}

}  // namespace usersuite
