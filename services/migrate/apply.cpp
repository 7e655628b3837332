#include "services/migrate/apply.hpp"

#include <cctype>
#include <chrono>

#include "services/migrate/history.hpp"

namespace usersuite::migrate {

namespace {

constexpr std::size_t kOurs = std::string::npos;

// Where the statement beginning at offset really starts: past blanks and comments.
std::size_t statement_start(const std::string& text, std::size_t offset) {
    std::size_t i = offset;
    while (i < text.size()) {
        if (std::isspace(static_cast<unsigned char>(text[i]))) {
            ++i;
        } else if (text.compare(i, 2, "--") == 0) {
            i = text.find('\n', i);
            if (i == std::string::npos) return offset;
        } else if (text.compare(i, 2, "/*") == 0) {
            i = text.find("*/", i);
            if (i == std::string::npos) return offset;
            i += 2;
        } else {
            return i;
        }
    }
    return offset;
}

std::string record_sql(const MigrationFile& f, const std::string& status) { return record_version_sql(f, status); }

}  // namespace

Plan plan_migration(const MigrationFile& file, Direction direction) {
    Plan p;
    p.file = &file;
    p.direction = direction;
    p.path = direction == Direction::up ? file.up_path : file.down_path;
    Sql sql = read_sql(p.path);
    p.file_text = sql.text;
    p.transactional = sql.transactional;
    std::string v = std::to_string(file.version);
    if (p.transactional) {
        p.steps.push_back({"BEGIN;", kOurs});
        p.steps.push_back({sql.text, 0});
        p.steps.push_back({direction == Direction::up ? record_sql(file, "applied")
                                                      : "DELETE FROM schema_migrations WHERE version = " + v + ";",
                           kOurs});
        p.steps.push_back({"COMMIT;", kOurs});
        return p;
    }
    p.steps.push_back({direction == Direction::up
                           ? record_sql(file, "failed")
                           : "UPDATE schema_migrations SET status = 'failed_down', applied_at = now() WHERE version = " +
                                 v + ";",
                       kOurs});
    for (const Statement& s : split_statements(sql.text)) p.steps.push_back({s.text + ";", s.offset});
    p.steps.push_back({direction == Direction::up
                           ? "UPDATE schema_migrations SET status = 'applied', applied_at = now() WHERE version = " +
                                 v + ";"
                           : "DELETE FROM schema_migrations WHERE version = " + v + ";",
                       kOurs});
    return p;
}

std::string plan_as_sql(const Plan& plan) {
    std::string out = "-- " + plan.file->stem() + (plan.direction == Direction::up ? " up" : " down") +
                      (plan.transactional ? "" : " (no transaction)") + "\n";
    for (const Step& s : plan.steps) {
        out += s.sql;
        if (out.back() != '\n') out += "\n";
        // A file's last statement may lack its semicolon, which psql needs
        // before our own next statement.
        std::size_t last = s.sql.find_last_not_of(" \t\r\n");
        if (s.file_offset != kOurs && last != std::string::npos && s.sql[last] != ';') out += ";\n";
    }
    return out;
}

long run_plan(Database& db, const Plan& plan) {
    auto started = std::chrono::steady_clock::now();
    for (const Step& s : plan.steps) {
        try {
            db.exec(s.sql);
        } catch (const SqlError& e) {
            if (plan.transactional) db.exec("ROLLBACK");
            std::string where;
            if (s.file_offset != kOurs) {
                std::string pos = describe_position(plan.file_text, s.file_offset, e.position());
                if (!pos.empty()) {
                    where = " at " + pos;
                } else if (!plan.transactional) {
                    // No position from the server: where the failed statement starts.
                    where = " at " + describe_position(plan.file_text, statement_start(plan.file_text, s.file_offset), 1);
                }
            }
            std::string outcome = plan.transactional
                                      ? "rolled back; the database is still at the version before it"
                                      : "not rolled back (no-transaction): recorded as failed, see `migrate status`";
            throw MigrationFailed(plan.path + where + ": " + e.what() + " (SQLSTATE " + e.sqlstate() + "); " +
                                  outcome);
        }
    }
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace usersuite::migrate
