// migrate: applies the numbered SQL migrations in MIGRATIONS_DIR to the
// database of DATABASE_URL, and records what it applied.
#include <getopt.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <regex>

#include "libcommon/config.hpp"
#include "libcommon/daemon.hpp"
#include "services/migrate/apply.hpp"
#include "services/migrate/commands.hpp"
#include "services/migrate/migration_lock.hpp"

using namespace usersuite;
using namespace usersuite::migrate;

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE
constexpr int kExitTempFail = 75;     // EX_TEMPFAIL: the lock was not granted in time

const char* const kUsage =
    "usage: migrate [-hV] [-c file] [-d url] [-o key=value] [--dir dir] [--lock-timeout seconds] [--sql]\n"
    "               command [argument]";

void print_help() {
    std::cout << kUsage << "\n\n"
              << "Applies the numbered SQL migrations of MIGRATIONS_DIR to PostgreSQL and records each\n"
                 "one, with the SHA-256 of its file, in the table schema_migrations.\n\n"
                 "commands:\n"
                 "  up [TARGET]             apply pending migrations, up to TARGET (default: all)\n"
                 "  down [STEPS|TARGET|base] undo STEPS migrations (default 1), or down to TARGET or base\n"
                 "  current                 print the version the database is at\n"
                 "  history                 list every migration, applied or pending\n"
                 "  status                  applied, pending, and any problem with what to do (exit 1)\n"
                 "  new NAME                create the next NNNN_NAME.up.sql and .down.sql\n"
                 "  dump                    write the schema the migrations produce to sql/schema.sql\n"
                 "  check                   compare the database's schema with sql/schema.sql (exit 1 if\n"
                 "                          they differ, printing the difference)\n"
                 "  baseline VERSION        record the database as at VERSION without running anything\n\n"
                 "A version is written as history prints it: 0003, 0003_name, or base; a plain number\n"
                 "after down (2) counts steps.\n\n"
                 "options:\n"
                 "  -c, --config FILE       read FILE (KEY=VALUE lines); default " USERSUITE_SYSCONFDIR
                 "/usersuite.env when it exists\n"
                 "  -d, --database-url URL  set DATABASE_URL\n"
                 "  -o, --set KEY=VALUE     set a configuration key\n"
                 "      --dir DIR           set MIGRATIONS_DIR\n"
                 "      --lock-timeout S    wait at most S seconds for the migration lock (default 60)\n"
                 "      --sql               up, down: print the SQL that would run, change nothing\n"
                 "  -h, --help              print this help and exit\n"
                 "  -V, --version           print the version and exit\n\n"
                 "configuration keys (file, then environment, then flags; see usersuite.env(5)):\n";
    print_config_keys(std::cout, kMigrate);
    std::cout << "\nexit status: 0 done, 1 a migration failed or the files and the database disagree,\n"
                 "2 usage, 69 database unreachable, 75 lock not granted in time, 78 configuration.\n";
}

[[noreturn]] void usage_error(const std::string& why) {
    std::cerr << "migrate: " << why << "\n" << kUsage << "\n";
    std::exit(kExitUsage);
}

}  // namespace

int main(int argc, char** argv) {
    static const option longopts[] = {{"config", required_argument, nullptr, 'c'},
                                      {"database-url", required_argument, nullptr, 'd'},
                                      {"set", required_argument, nullptr, 'o'},
                                      {"dir", required_argument, nullptr, 'D'},
                                      {"lock-timeout", required_argument, nullptr, 'L'},
                                      {"sql", no_argument, nullptr, 'S'},
                                      {"help", no_argument, nullptr, 'h'},
                                      {"version", no_argument, nullptr, 'V'},
                                      {nullptr, 0, nullptr, 0}};
    Config::Sources sources;
    sources.file = USERSUITE_SYSCONFDIR "/usersuite.env";
    Run run;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":c:d:o:hV", longopts, nullptr)) != -1) {
        switch (c) {
            case 'c':
                sources.file = optarg;
                sources.file_required = true;
                break;
            case 'd': sources.overrides.emplace_back("DATABASE_URL", optarg); break;
            case 'D': sources.overrides.emplace_back("MIGRATIONS_DIR", optarg); break;
            case 'o':
                if (!add_override(sources, optarg)) usage_error("-o takes KEY=VALUE, not \"" + std::string(optarg) + "\"");
                break;
            case 'L': {
                char* end = nullptr;
                long s = std::strtol(optarg, &end, 10);
                if (*optarg == '\0' || *end != '\0' || s < 0 || s > 86400)
                    usage_error("--lock-timeout takes seconds from 0 to 86400");
                run.lock_timeout = std::chrono::seconds(s);
                break;
            }
            case 'S': run.sql_only = true; break;
            case 'h': print_help(); return 0;
            case 'V': std::cout << "migrate " USERSUITE_VERSION "\n"; return 0;
            case ':': usage_error(std::string("option ") + argv[optind - 1] + " needs a value");
            default: usage_error(std::string("unknown option ") + argv[optind - 1]);
        }
    }
    if (optind >= argc) usage_error("no command given");
    std::string command = argv[optind];
    run.args.assign(argv + optind + 1, argv + argc);

    // Each command, how many arguments it takes, and their form: checked
    // before anything is read, so that a bad argument is always a usage error.
    struct Command {
        int (*run)(const Run&);
        std::size_t min_args, max_args;
        const char* pattern;
    };
    static const std::map<std::string, Command> commands = {
        {"up", {cmd_up, 0, 1, "^(base|[0-9]+(_[a-z0-9_]+)?)$"}},
        {"down", {cmd_down, 0, 1, "^(base|[0-9]+(_[a-z0-9_]+)?)$"}},
        {"current", {cmd_current, 0, 0, ""}},
        {"history", {cmd_history, 0, 0, ""}},
        {"status", {cmd_status, 0, 0, ""}},
        {"new", {cmd_new, 1, 1, "^[a-z0-9_]{1,60}$"}},
        {"dump", {cmd_dump, 0, 0, ""}},
        {"check", {cmd_check, 0, 0, ""}},
        {"baseline", {cmd_baseline, 1, 1, "^(base|[0-9]+(_[a-z0-9_]+)?)$"}}};
    auto it = commands.find(command);
    if (it == commands.end()) usage_error("unknown command \"" + command + "\"");
    const Command& cmd = it->second;
    if (run.args.size() < cmd.min_args || run.args.size() > cmd.max_args)
        usage_error(command + " takes " +
                    (cmd.max_args == 0 ? std::string("no argument")
                     : cmd.min_args == cmd.max_args ? "one argument"
                                                    : "at most one argument"));
    for (const std::string& a : run.args)
        if (!std::regex_match(a, std::regex(cmd.pattern)))
            usage_error("\"" + a + "\" is not a valid argument of " + command);
    if (run.sql_only && command != "up" && command != "down") usage_error("--sql goes with up or down");

    try {
        sources.environment = config_environment();
        Config config = Config::load(command == "new" ? kMigrateFiles : kMigrate, sources);
        if (command != "new") run.database_url = config.str("DATABASE_URL");
        run.dir = config.str("MIGRATIONS_DIR");
        std::size_t slash = run.dir.find_last_of('/', run.dir.find_last_not_of('/'));
        run.schema_file = (slash == std::string::npos ? std::string(".") : run.dir.substr(0, slash)) + "/schema.sql";
        return cmd.run(run);
    } catch (const UsageError& e) {
        usage_error(e.what());
    } catch (const ConfigError& e) {
        std::cerr << "migrate: config: " << e.what() << "\n";
        return kExitConfig;
    } catch (const Unreachable& e) {
        std::cerr << "migrate: " << e.what() << "\n";
        return kExitUnavailable;
    } catch (const LockTimeout& e) {
        std::cerr << "migrate: " << e.what() << "\n";
        return kExitTempFail;
    } catch (const std::exception& e) {
        std::cerr << "migrate: " << e.what() << "\n";
        return kExitFailed;
    }
}
