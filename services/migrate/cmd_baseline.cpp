// migrate baseline VERSION
#include <iostream>

#include "services/migrate/apply.hpp"
#include "services/migrate/commands.hpp"
#include "services/migrate/history.hpp"
#include "services/migrate/migration_lock.hpp"

namespace usersuite::migrate {

int cmd_baseline(const Run& run) {
    if (run.args.size() != 1) throw UsageError("baseline takes one VERSION (0003, 0003_name or base)");
    auto files = load_migrations(run.dir);
    std::int64_t target = parse_version(run.args[0], files);
    MigrationLock lock(run.database_url, run.lock_timeout, run.connect_timeout_seconds);
    Database db(run.database_url, run.connect_timeout_seconds);
    db.exec(kCreateVersionTable);
    // Records, runs nothing: versions up to target applied (with the
    // checksums of today's files), none above it.
    std::string sql = "BEGIN;\nDELETE FROM schema_migrations WHERE version > " + std::to_string(target) + ";\n";
    for (std::int64_t v = 1; v <= target; ++v)
        sql += record_version_sql(files[static_cast<std::size_t>(v - 1)], "applied") + "\n";
    sql += "COMMIT;";
    db.exec(sql);
    std::cout << "recorded the database as at " << (target == 0 ? "base" : files[static_cast<std::size_t>(target - 1)].stem())
              << "; nothing was run\n";
    return 0;
}

}  // namespace usersuite::migrate
