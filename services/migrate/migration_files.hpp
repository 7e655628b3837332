// The migrations on disk: NNNN_name.up.sql and NNNN_name.down.sql in one
// directory, numbered from 1 without gaps. A file whose first line is
// "-- migrate:no-transaction" runs statement by statement outside a
// transaction (for CREATE INDEX CONCURRENTLY).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace usersuite::migrate {

// The directory does not hold a consistent set of migrations: exit 1.
class BadMigrations : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct MigrationFile {
    std::int64_t version = 0;
    std::string name;       // "users"
    std::string up_path;
    std::string down_path;

    std::string stem() const;  // "0001_users"
};

struct Sql {
    std::string text;
    bool transactional = true;
};

// Sorted by version; throws BadMigrations on a gap, a duplicate number, a
// missing half of a pair or a badly named file.
std::vector<MigrationFile> load_migrations(const std::string& dir);

Sql read_sql(const std::string& path);
// SHA-256, hex, of the file with CRLF read as LF.
std::string file_checksum(const std::string& path);
std::string version_label(std::int64_t version);  // 4 digits at least: "0001"

// Splits SQL into statements at top-level semicolons, minding quotes,
// dollar quotes and comments. Each piece keeps its byte offset in text.
struct Statement {
    std::string text;
    std::size_t offset;
};
std::vector<Statement> split_statements(const std::string& text);

// "line L, column C" of a 1-based character position in text.
std::string describe_position(const std::string& text, std::size_t offset, int position);

}  // namespace usersuite::migrate
