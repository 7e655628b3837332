#include "libcommon/users_store.hpp"

#include <libpq-fe.h>

#include <cstring>

#include "libcommon/pg_client.hpp"

namespace usersuite {

namespace {

#define USER_COLUMNS                                                                          \
    "id, email, hashed_password, name, "                                                      \
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "           \
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "           \
    "floor(extract(epoch FROM created_at))::bigint"

User user_from_row(const PGresult* r, int row) {
    User u;
    u.id = std::stoll(PQgetvalue(r, row, 0));
    u.email = PQgetvalue(r, row, 1);
    u.hashed_password = PQgetvalue(r, row, 2);
    u.name = PQgetvalue(r, row, 3);
    u.created_at = PQgetvalue(r, row, 4);
    u.updated_at = PQgetvalue(r, row, 5);
    u.created_epoch = std::stoll(PQgetvalue(r, row, 6));
    return u;
}

// Class 08 (connection), 57 (operator intervention: shutdown, statement
// timeout) and 53 (resources) mean the database is not there for us now.
bool is_unavailable(const char* sqlstate) {
    return sqlstate == nullptr || std::strncmp(sqlstate, "08", 2) == 0 || std::strncmp(sqlstate, "57", 2) == 0 ||
           std::strncmp(sqlstate, "53", 2) == 0;
}

}  // namespace

Json User::to_json() const {
    return Json::object()
        .set("id", Json::integer(id))
        .set("email", Json::string(email))
        .set("name", Json::string(name))
        .set("created_at", Json::string(created_at))
        .set("updated_at", Json::string(updated_at));
}

void UsersStore::run(const std::string& sql, PgParams params, Callback cb) {
    db_.query(sql, std::move(params), timeout_, [cb = std::move(cb)](PgResult result, const std::string& error) {
        StoreResult out;
        if (!error.empty()) {
            const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
            out.detail = error;
            if (state != nullptr && std::strcmp(state, "23505") == 0)
                out.status = StoreStatus::duplicate_email;
            else if (!result || is_unavailable(state))
                out.status = StoreStatus::unavailable;
            else
                out.status = StoreStatus::failed;
            cb(std::move(out));
            return;
        }
        for (int i = 0; i < PQntuples(result.get()); ++i) out.users.push_back(user_from_row(result.get(), i));
        if (!out.users.empty()) out.user = out.users.front();
        // A statement that returns rows found something; DELETE counts instead.
        bool found = PQnfields(result.get()) > 0 ? !out.users.empty() : std::strcmp(PQcmdTuples(result.get()), "0") != 0;
        out.status = found ? StoreStatus::ok : StoreStatus::not_found;
        cb(std::move(out));
    });
}

void UsersStore::create(const std::string& email, const std::string& hashed_password, const std::string& name,
                        Callback cb) {
    run("INSERT INTO users (email, hashed_password, name) VALUES ($1, $2, $3) RETURNING " USER_COLUMNS,
            {email, hashed_password, name}, std::move(cb));
}

void UsersStore::find_by_id(std::int64_t id, Callback cb) {
    run("SELECT " USER_COLUMNS " FROM users WHERE id = $1", {std::to_string(id)}, std::move(cb));
}

void UsersStore::find_by_email(const std::string& email, Callback cb) {
    run("SELECT " USER_COLUMNS " FROM users WHERE lower(email) = lower($1)", {email}, std::move(cb));
}

void UsersStore::list(std::int64_t skip, std::int64_t limit, Callback cb) {
    run("SELECT " USER_COLUMNS " FROM users ORDER BY id OFFSET $1 LIMIT $2", {std::to_string(skip), std::to_string(limit)},
        [cb = std::move(cb)](StoreResult r) {
            // An empty page is a page, not a missing user.
            if (r.status == StoreStatus::not_found) r.status = StoreStatus::ok;
            cb(std::move(r));
        });
}

void UsersStore::update(std::int64_t id, const UserChanges& changes, Callback cb) {
    // One statement for every combination: a NULL parameter keeps the column.
    run("UPDATE users SET email = coalesce($2, email), hashed_password = coalesce($3, hashed_password), "
        "name = coalesce($4, name) WHERE id = $1 RETURNING " USER_COLUMNS,
        {std::to_string(id), changes.email, changes.hashed_password, changes.name},
        std::move(cb));
}

void UsersStore::remove(std::int64_t id, Callback cb) {
    run("DELETE FROM users WHERE id = $1", {std::to_string(id)}, std::move(cb));
}

}  // namespace usersuite
