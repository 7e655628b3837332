#include "services/migrate/database.hpp"

#include <libpq-fe.h>

#include <cstdlib>

namespace usersuite::migrate {

namespace {

std::string trimmed(const char* message) {
    std::string m = message != nullptr ? message : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
}

void ignore_notice(void*, const PGresult*) {}

}  // namespace

Database::Database(const std::string& url, int connect_timeout_seconds) {
    std::string timeout = std::to_string(connect_timeout_seconds);
    const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
    const char* values[] = {url.c_str(), timeout.c_str(), "migrate", nullptr};
    conn_ = PQconnectdbParams(keys, values, 1);
    if (conn_ == nullptr) throw Unreachable("cannot connect to PostgreSQL: out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string why = trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        throw Unreachable("cannot connect to PostgreSQL: " + why);
    }
    // NOTICEs such as "relation already exists, skipping" are not news here.
    PQsetNoticeReceiver(conn_, &ignore_notice, nullptr);
}

Database::~Database() { PQfinish(conn_); }

PgResult Database::check(PgResult result) {
    if (!result || PQstatus(conn_) == CONNECTION_BAD)
        throw Unreachable("lost the connection to PostgreSQL: " + trimmed(PQerrorMessage(conn_)));
    ExecStatusType s = PQresultStatus(result.get());
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY) return result;
    const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    const char* pos = PQresultErrorField(result.get(), PG_DIAG_STATEMENT_POSITION);
    throw SqlError(trimmed(PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY)), state != nullptr ? state : "",
                   pos != nullptr ? std::atoi(pos) : 0);
}

void Database::exec(const std::string& sql) { check(PgResult(PQexec(conn_, sql.c_str()))); }

std::vector<std::vector<std::string>> Database::query(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const std::string& p : params) values.push_back(p.c_str());
    PgResult r = check(PgResult(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                             values.data(), nullptr, nullptr, 0)));
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        std::vector<std::string> row;
        for (int j = 0; j < PQnfields(r.get()); ++j) row.emplace_back(PQgetvalue(r.get(), i, j));
        rows.push_back(std::move(row));
    }
    return rows;
}

int Database::backend_pid() const { return PQbackendPID(conn_); }

}  // namespace usersuite::migrate
