// The migrate commands, one file each (cmd_*.cpp), sharing what a run knows.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "libcommon/config.hpp"
#include "services/migrate/migration_files.hpp"

namespace usersuite::migrate {

struct Run {
    std::string database_url;
    std::string dir;          // MIGRATIONS_DIR
    std::string schema_file;  // dir/../schema.sql
    std::vector<std::string> args;
    bool sql_only = false;
    std::chrono::seconds lock_timeout{60};
    int connect_timeout_seconds = 5;
};

// A bad argument to a command: exit 2 with the usage line.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

int cmd_up(const Run& run);
int cmd_down(const Run& run);
int cmd_current(const Run& run);
int cmd_history(const Run& run);
int cmd_status(const Run& run);
int cmd_new(const Run& run);
int cmd_dump(const Run& run);
int cmd_check(const Run& run);
int cmd_baseline(const Run& run);

// "0003", "3" or "0003_name" -> 3; "base" -> 0. Throws UsageError when it
// is not a version of files (a name given must be the file's).
std::int64_t parse_version(const std::string& text, const std::vector<MigrationFile>& files);

}  // namespace usersuite::migrate
