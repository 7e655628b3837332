// migrate current, migrate history, migrate status
#include <algorithm>
#include <iostream>

#include "services/migrate/commands.hpp"
#include "services/migrate/history.hpp"
#include "services/migrate/migration_lock.hpp"

namespace usersuite::migrate {

int cmd_current(const Run& run) {
    if (!run.args.empty()) throw UsageError("current takes no argument");
    Database db(run.database_url, run.connect_timeout_seconds);
    History history = load_history(db);
    std::int64_t v = current_version(history);
    if (v == 0) {
        std::cout << "base\n";
        return 0;
    }
    const AppliedMigration& m = history.at(v);
    std::cout << version_label(v) << "_" << m.name << "\n";
    return 0;
}

int cmd_history(const Run& run) {
    if (!run.args.empty()) throw UsageError("history takes no argument");
    auto files = load_migrations(run.dir);
    Database db(run.database_url, run.connect_timeout_seconds);
    History history = load_history(db);
    for (const MigrationFile& f : files) {
        auto it = history.find(f.version);
        std::string state = it == history.end() ? "pending" : it->second.status + " " + it->second.applied_at;
        std::cout << f.stem() << "  " << state << (read_sql(f.up_path).transactional ? "" : "  (no-transaction)")
                  << "\n";
    }
    for (const auto& [version, m] : history)
        if (version > static_cast<std::int64_t>(files.size()))
            std::cout << version_label(version) << "_" << m.name << "  " << m.status << " " << m.applied_at
                      << "  (no file on disk)\n";
    return 0;
}

int cmd_status(const Run& run) {
    if (!run.args.empty()) throw UsageError("status takes no argument");
    auto files = load_migrations(run.dir);
    Database db(run.database_url, run.connect_timeout_seconds);
    History history = load_history(db);
    std::int64_t current = current_version(history);
    std::size_t pending = 0;
    for (const MigrationFile& f : files)
        if (history.find(f.version) == history.end()) ++pending;
    std::cout << "current: " << (current == 0 ? "base" : version_label(current) + "_" + history.at(current).name)
              << "\n";
    std::cout << "applied: " << (history.size() - std::count_if(history.begin(), history.end(), [](const auto& e) {
                                     return e.second.status != "applied";
                                 }))
              << "\n";
    std::cout << "pending: " << pending;
    for (const MigrationFile& f : files)
        if (history.find(f.version) == history.end()) std::cout << (pending-- > 0 ? " " : "") << f.stem();
    std::cout << "\n";
    auto problems = find_problems(history, files);
    auto holders = db.query(kHolderQuery, {kLockKey});
    if (!holders.empty())
        std::cout << "note: a migrate holds the migration lock (PostgreSQL backend pid " << holders[0][0]
                  << "); a no-transaction migration it is running shows as failed until it ends\n";
    for (const Problem& p : problems) std::cout << "problem: " << p.what << "\n  to fix: " << p.fix << "\n";
    return problems.empty() ? 0 : 1;
}

}  // namespace usersuite::migrate
