// Applying one migration up or down: the SQL that runs, exactly as
// `--sql` prints it, and its execution. A transactional migration runs in
// one transaction with its version record, so a failure leaves the database
// at the previous version; a no-transaction one is recorded as failed
// first and as applied only after its last statement.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "services/migrate/database.hpp"
#include "services/migrate/migration_files.hpp"

namespace usersuite::migrate {

enum class Direction { up, down };

// A migration's SQL failed: exit 1. The message names the file, the error
// and where in the file it is.
class MigrationFailed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Step {
    std::string sql;            // what runs, one statement or a whole file
    std::size_t file_offset;    // where sql starts in the file; npos for our own bookkeeping
};

struct Plan {
    const MigrationFile* file;
    Direction direction;
    std::string path;
    std::string file_text;
    bool transactional;
    std::vector<Step> steps;
};

Plan plan_migration(const MigrationFile& file, Direction direction);
std::string plan_as_sql(const Plan& plan);
// Runs the plan; returns the milliseconds it took.
long run_plan(Database& db, const Plan& plan);

}  // namespace usersuite::migrate
