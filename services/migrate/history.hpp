// The version table, schema_migrations: one row per applied (or failed)
// migration with the SHA-256 of its up file, and the checks that the files
// on disk still agree with it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "services/migrate/database.hpp"
#include "services/migrate/migration_files.hpp"

namespace usersuite::migrate {

struct AppliedMigration {
    std::string name;
    std::string checksum;       // of the up file
    std::string down_checksum;  // of the down file
    std::string status;         // "applied", "failed" (up) or "failed_down"
    std::string applied_at;
};

using History = std::map<std::int64_t, AppliedMigration>;

extern const char* const kCreateVersionTable;

// Empty when the table does not exist yet.
History load_history(Database& db);
std::int64_t current_version(const History& history);  // highest applied, 0 for none

struct Problem {
    std::string what;
    std::string fix;
};
// Failed versions, applied versions missing on disk or renamed, and applied
// up files edited since. Empty when the database and the files agree.
std::vector<Problem> find_problems(const History& history, const std::vector<MigrationFile>& files);

// Throws BadMigrations listing the problems, if any.
void require_consistent(const History& history, const std::vector<MigrationFile>& files);

std::string sql_literal(const std::string& text);

// The INSERT (or update) of f's row with both files' checksums.
std::string record_version_sql(const MigrationFile& f, const std::string& status);

}  // namespace usersuite::migrate
