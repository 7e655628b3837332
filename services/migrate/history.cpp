#include "services/migrate/history.hpp"

namespace usersuite::migrate {

const char* const kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
    "    version bigint PRIMARY KEY,\n"
    "    name text NOT NULL,\n"
    "    checksum text NOT NULL,\n"
    "    down_checksum text NOT NULL,\n"
    "    status text NOT NULL CHECK (status IN ('applied', 'failed', 'failed_down')),\n"
    "    applied_at timestamptz NOT NULL DEFAULT now()\n"
    ");\n"
    // Tables made before down files were checksummed: '' is "not recorded".
    "ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS down_checksum text NOT NULL DEFAULT '';";

History load_history(Database& db) {
    History h;
    if (db.query("SELECT to_regclass('schema_migrations') IS NOT NULL")[0][0] != "t") return h;
    auto rows = db.query(
        // to_jsonb reads down_checksum also from a table made before it existed.
        "SELECT version, name, checksum, coalesce(to_jsonb(m) ->> 'down_checksum', ''), status, "
        "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM schema_migrations m ORDER BY version");
    for (auto& r : rows) h[std::stoll(r[0])] = {r[1], r[2], r[3], r[4], r[5]};
    return h;
}

std::int64_t current_version(const History& history) {
    std::int64_t v = 0;
    for (const auto& [version, m] : history)
        if (m.status == "applied") v = version;
    return v;
}

std::vector<Problem> find_problems(const History& history, const std::vector<MigrationFile>& files) {
    std::vector<Problem> problems;
    for (const auto& [version, m] : history) {
        std::string label = version_label(version) + "_" + m.name;
        if (m.status == "failed") {
            problems.push_back(
                {label + " failed outside a transaction (at " + m.applied_at + "); the database may be partly changed",
                 "finish its statements by hand and run `migrate baseline " + version_label(version) +
                     "`, or undo them and run `migrate baseline " + version_label(version - 1) + "`, then `migrate up`"});
            continue;
        }
        if (m.status == "failed_down") {
            problems.push_back(
                {"undoing " + label + " failed outside a transaction (at " + m.applied_at +
                     "); the database may be partly changed",
                 "finish its down statements by hand and run `migrate baseline " + version_label(version - 1) +
                     "`, or redo what they undid and run `migrate baseline " + version_label(version) + "`"});
            continue;
        }
        if (version < 1 || version > static_cast<std::int64_t>(files.size())) {
            problems.push_back({label + " is applied in the database but has no file on disk",
                                "restore " + label + ".up.sql and .down.sql (from git), or set MIGRATIONS_DIR to the "
                                "directory that has them"});
            continue;
        }
        const MigrationFile& f = files[static_cast<std::size_t>(version - 1)];
        if (f.name != m.name) {
            problems.push_back({"version " + version_label(version) + " is applied as " + label +
                                    " but the file on disk is " + f.stem(),
                                "restore the file's old name; a new change belongs in a new migration"});
            continue;
        }
        if (file_checksum(f.up_path) != m.checksum)
            problems.push_back({f.up_path + " was edited after it was applied",
                                "restore it (git checkout), and put the change in a new migration (`migrate new NAME`)"});
        if (!m.down_checksum.empty() && file_checksum(f.down_path) != m.down_checksum)
            problems.push_back({f.down_path + " was edited after its migration was applied",
                                "restore it (git checkout); what a down file undoes must match what was applied"});
    }
    std::int64_t expected = 1;
    for (const auto& [version, m] : history) {
        if (version != expected)
            problems.push_back({"the database records " + version_label(version) + "_" + m.name + " but not " +
                                    version_label(expected),
                                "record the real state with `migrate baseline VERSION`"});
        expected = version + 1;
    }
    return problems;
}

void require_consistent(const History& history, const std::vector<MigrationFile>& files) {
    auto problems = find_problems(history, files);
    if (problems.empty()) return;
    std::string text = "the database and the migration files disagree:";
    for (const Problem& p : problems) text += "\n  " + p.what + "\n    to fix: " + p.fix;
    throw BadMigrations(text);
}

std::string record_version_sql(const MigrationFile& f, const std::string& status) {
    return "INSERT INTO schema_migrations (version, name, checksum, down_checksum, status) VALUES (" +
           std::to_string(f.version) + ", " + sql_literal(f.name) + ", " + sql_literal(file_checksum(f.up_path)) +
           ", " + sql_literal(file_checksum(f.down_path)) + ", " + sql_literal(status) +
           ") ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, "
           "down_checksum = EXCLUDED.down_checksum, status = EXCLUDED.status, applied_at = now();";
}

std::string sql_literal(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += "''";
        else out.push_back(c);
    }
    return out + "'";
}

}  // namespace usersuite::migrate
