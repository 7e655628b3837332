// The steps every daemon's main() takes, in this order: parse the command
// line, load and check the config, open the logs, listen, start the clients,
// add routes, watch signals, say "up", run the loop. Each step is one call
// here so that main.cpp reads as the daemon's life cycle.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "libcommon/config.hpp"
#include "libcommon/drainable.hpp"
#include "libcommon/event_loop.hpp"
#include "libcommon/http_server.hpp"
#include "libcommon/listen_address.hpp"
#include "libcommon/pg_client.hpp"

namespace usersuite {

struct DaemonInfo {
    const char* name;        // "users-api"
    Program program;
    const char* listen_key;  // "USERS_API_LISTEN"; nullptr: the daemon does not listen (no -l)
    const char* summary;     // one line for --help
    const char* signals_help = "TERM/INT finish in-flight requests and exit 0 (a second one exits at once); "
                               "HUP reopens the log files.";
};

struct DaemonOptions {
    Config::Sources sources;
    bool check_only = false;
};

// Exit statuses (sysexits.h where one fits).
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConfig = 78;     // EX_CONFIG
inline constexpr int kExitOsError = 71;    // EX_OSERR: cannot listen, cannot open logs

// --help and --version print and exit 0; a usage error prints the usage and exits 2.
DaemonOptions parse_daemon_options(int argc, char** argv, const DaemonInfo& info);
Config load_daemon_config(const DaemonInfo& info, const DaemonOptions& options);
void open_daemon_logs(const DaemonInfo& info, const Config& config);
HttpSettings http_settings(const Config& config);
ListenAddress daemon_listen_address(const DaemonInfo& info, const Config& config);
std::string daemon_version_line(const DaemonInfo& info);
PgSettings pg_settings(const DaemonInfo& info, const Config& config);
// Each connection is a descriptor: take the hard limit, not the soft 1024.
void raise_open_file_limit();

// SIGTERM/SIGINT drain the work then stop the loop (a second one hurries);
// SIGHUP reopens the logs; SIGPIPE is ignored.
class DaemonSignals {
public:
    DaemonSignals(EventLoop& loop, Drainable& work, std::chrono::seconds drain_timeout);

private:
    void on_stop_signal(const char* name);
    EventLoop& loop_;
    Drainable& work_;
    std::chrono::seconds drain_timeout_;
    bool stopping_ = false;
    std::vector<SignalEvent> events_;
};

// "up on <where>": the listen address, or what a worker works on.
void log_process_up(const DaemonInfo& info, const std::string& where, std::chrono::steady_clock::time_point started);

// Runs body, mapping exceptions to a one-line message on stderr and an exit
// status: ConfigError 78, anything else 71 (a system resource failed).
int run_daemon_main(const DaemonInfo& info, const std::function<int()>& body);

}  // namespace usersuite
