// migrate up [TARGET] and migrate down [STEPS | TARGET | base]
#include <algorithm>
#include <iostream>

#include "services/migrate/apply.hpp"
#include "services/migrate/commands.hpp"
#include "services/migrate/history.hpp"
#include "services/migrate/migration_lock.hpp"

namespace usersuite::migrate {

namespace {

std::string label(const std::vector<MigrationFile>& files, std::size_t version) {
    return version == 0 ? "base" : files[version - 1].stem();
}

// Moves the database from its current version to target, one migration at
// a time, each in its own transaction unless it says otherwise.
int migrate_to(const Run& run, const std::vector<MigrationFile>& files, std::int64_t target, Direction direction,
               std::int64_t steps) {
    auto plans_from = [&](std::int64_t current) {
        std::int64_t to = steps >= 0 ? current - steps : target;
        if (to < 0 && current > 0)
            throw UsageError("only " + std::to_string(current) + " migration(s) are applied; cannot undo " +
                             std::to_string(steps));
        to = std::max<std::int64_t>(to, 0);
        std::vector<Plan> plans;
        if (direction == Direction::up)
            for (std::int64_t v = current + 1; v <= to; ++v)
                plans.push_back(plan_migration(files[static_cast<std::size_t>(v - 1)], Direction::up));
        else
            for (std::int64_t v = current; v > to; --v)
                plans.push_back(plan_migration(files[static_cast<std::size_t>(v - 1)], Direction::down));
        return plans;
    };

    if (run.sql_only) {
        // Reads the history, changes nothing, takes no lock.
        Database db(run.database_url, run.connect_timeout_seconds);
        History history = load_history(db);
        require_consistent(history, files);
        std::cout << "-- migrate " << (direction == Direction::up ? "up" : "down") << " --sql, from "
                  << label(files, current_version(history)) << "\n";
        if (direction == Direction::up) std::cout << kCreateVersionTable << "\n";
        for (const Plan& p : plans_from(current_version(history))) std::cout << plan_as_sql(p);
        return 0;
    }

    MigrationLock lock(run.database_url, run.lock_timeout, run.connect_timeout_seconds);
    Database db(run.database_url, run.connect_timeout_seconds);
    db.exec(kCreateVersionTable);
    History history = load_history(db);
    require_consistent(history, files);
    std::int64_t current = current_version(history);
    if (direction == Direction::up && current >= target) {
        std::cout << "already at " << label(files, current) << "\n";
        return 0;
    }
    auto plans = plans_from(current);
    if (plans.empty()) {
        std::cout << "already at " << label(files, current) << "\n";
        return 0;
    }
    for (const Plan& p : plans) {
        long ms = run_plan(db, p);
        std::cout << (direction == Direction::up ? "applied " : "reverted ") << p.file->stem() << " (" << ms
                  << " ms)\n";
    }
    std::int64_t now = direction == Direction::up ? plans.back().file->version : plans.back().file->version - 1;
    std::cout << "now at " << label(files, now) << "\n";
    return 0;
}

}  // namespace

std::int64_t parse_version(const std::string& text, const std::vector<MigrationFile>& files) {
    if (text == "base") return 0;
    std::size_t underscore = text.find('_');
    std::string digits = text.substr(0, underscore);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18)
        throw UsageError("\"" + text + "\" is not a version (0003, 0003_name or base)");
    std::int64_t v = std::stoll(digits);
    if (v > static_cast<std::int64_t>(files.size()))
        throw UsageError("there is no migration " + version_label(v) + "; the latest is " + label(files, files.size()));
    if (underscore != std::string::npos && v > 0 && text != files[static_cast<std::size_t>(v - 1)].stem())
        throw UsageError("\"" + text + "\" does not name a migration; version " + version_label(v) + " is " +
                         files[static_cast<std::size_t>(v - 1)].stem());
    return v;
}

int cmd_up(const Run& run) {
    if (run.args.size() > 1) throw UsageError("up takes at most one TARGET");
    auto files = load_migrations(run.dir);
    auto latest = static_cast<std::int64_t>(files.size());
    std::int64_t target = run.args.empty() ? latest : parse_version(run.args[0], files);
    return migrate_to(run, files, target, Direction::up, -1);
}

int cmd_down(const Run& run) {
    if (run.args.size() > 1) throw UsageError("down takes at most one of STEPS, TARGET or base");
    auto files = load_migrations(run.dir);
    // A plain number is a count of steps; a version is written as history
    // prints it (0003 or 0003_name), or base.
    std::string arg = run.args.empty() ? "1" : run.args[0];
    bool is_steps = arg != "base" && arg.find('_') == std::string::npos && !(arg.size() > 1 && arg[0] == '0');
    if (is_steps) {
        if (arg.find_first_not_of("0123456789") != std::string::npos || arg.empty() || arg.size() > 9)
            throw UsageError("\"" + arg + "\" is neither a number of steps nor a version (0003, 0003_name, base)");
        return migrate_to(run, files, 0, Direction::down, std::stoll(arg));
    }
    std::int64_t target = parse_version(arg, files);
    return migrate_to(run, files, target, Direction::down, -1);
}

}  // namespace usersuite::migrate
