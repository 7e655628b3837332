#include "libcommon/users_store.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "libcommon/pg_client.hpp"

namespace usersuite {

namespace {

// Timestamps as the server writes them (ISO, UTC: pg_connection.cpp sets
// the session so): formatting them in SQL with to_char cost PostgreSQL more
// than finding the row.
#define USER_COLUMNS "id, email, hashed_password, name, created_at, updated_at"

// "2026-02-10 10:30:45.12+00" (PostgreSQL drops trailing zeros of the
// fraction, and the fraction when it is zero) to api.md's
// "2026-02-10T10:30:45.120000Z"; the whole seconds since the epoch to *epoch.
std::string iso_timestamp(const char* text, std::int64_t* epoch = nullptr) {
    // "YYYY-MM-DD HH:MM:SS": digits everywhere but at the separators.
    static constexpr char kShape[] = "dddd-dd-dd dd:dd:dd";
    auto bad = [text] { return std::runtime_error(std::string("unexpected timestamp from PostgreSQL: ") + text); };
    for (int i = 0; kShape[i] != '\0'; ++i) {
        bool digit = text[i] >= '0' && text[i] <= '9';
        if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) throw bad();
    }
    std::string out(text, 19);
    out[10] = 'T';
    const char* rest = text + 19;
    std::string fraction;
    if (*rest == '.')
        for (++rest; *rest >= '0' && *rest <= '9'; ++rest) fraction += *rest;
    if (std::strcmp(rest, "+00") != 0 || fraction.size() > 6) throw bad();
    fraction.resize(6, '0');
    out += '.';
    out += fraction;
    out += 'Z';
    if (epoch != nullptr) {
        auto number = [text](int at, int digits) {
            int n = 0;
            for (int i = 0; i < digits; ++i) n = n * 10 + (text[at + i] - '0');
            return n;
        };
        std::tm tm{};
        tm.tm_year = number(0, 4) - 1900;
        tm.tm_mon = number(5, 2) - 1;
        tm.tm_mday = number(8, 2);
        tm.tm_hour = number(11, 2);
        tm.tm_min = number(14, 2);
        tm.tm_sec = number(17, 2);
        *epoch = static_cast<std::int64_t>(timegm(&tm));
    }
    return out;
}

// USER_COLUMNS from column first on.
User user_from_row(const PGresult* r, int row, int first = 0) {
    User u;
    u.id = std::stoll(PQgetvalue(r, row, first));
    u.email = PQgetvalue(r, row, first + 1);
    u.hashed_password = PQgetvalue(r, row, first + 2);
    u.name = PQgetvalue(r, row, first + 3);
    u.created_at = iso_timestamp(PQgetvalue(r, row, first + 4), &u.created_epoch);
    u.updated_at = iso_timestamp(PQgetvalue(r, row, first + 5));
    return u;
}

// Class 08 (connection), 57 (operator intervention: shutdown, statement
// timeout) and 53 (resources) mean the database is not there for us now.
bool is_unavailable(const char* sqlstate) {
    return sqlstate == nullptr || std::strncmp(sqlstate, "08", 2) == 0 || std::strncmp(sqlstate, "57", 2) == 0 ||
           std::strncmp(sqlstate, "53", 2) == 0;
}

StoreResult failure(const PGresult* result, const std::string& error) {
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    StoreResult out;
    out.detail = error;
    if (state != nullptr && std::strcmp(state, "23505") == 0)
        out.status = StoreStatus::duplicate_email;
    else if (result == nullptr || is_unavailable(state))
        out.status = StoreStatus::unavailable;
    else
        out.status = StoreStatus::failed;
    return out;
}

// A row this code cannot read (a timestamp such as 'infinity' written
// straight into the table) fails its request with a logged 500, and never
// escapes into the event loop.
StoreResult unreadable(const std::exception& e) {
    StoreResult out;
    out.status = StoreStatus::failed;
    out.detail = std::string("unreadable users row: ") + e.what();
    return out;
}

// A batched lookup's answer for one key: its row, after the key column.
BatchedLookup::Callback one_user(UsersStore::Callback cb) {
    return [cb = std::move(cb)](const PGresult* result, int row, const std::string& error) {
        if (!error.empty()) {
            cb(failure(result, error));
            return;
        }
        StoreResult out;
        out.status = row < 0 ? StoreStatus::not_found : StoreStatus::ok;
        try {
            if (row >= 0) out.user = user_from_row(result, row, 1);
        } catch (const std::exception& e) {
            out = unreadable(e);
        }
        cb(std::move(out));
    };
}

}  // namespace

UsersStore::UsersStore(PgClient& db, std::chrono::milliseconds timeout)
    : db_(db),
      timeout_(timeout),
      by_id_(db, "SELECT id::text, " USER_COLUMNS " FROM users WHERE id = ANY($1::bigint[])", timeout),
      by_email_(db,
                "SELECT k.wanted, " USER_COLUMNS
                " FROM unnest($1::text[]) AS k(wanted) JOIN users ON lower(email) = lower(k.wanted)",
                timeout) {}

std::string User::json_text() const {
    std::string out = "{\"id\":" + std::to_string(id) + ",\"email\":";
    out.reserve(out.size() + email.size() + name.size() + 120);
    append_json_string(out, email);
    out += ",\"name\":";
    append_json_string(out, name);
    out += ",\"created_at\":";
    append_json_string(out, created_at);
    out += ",\"updated_at\":";
    append_json_string(out, updated_at);
    out.push_back('}');
    return out;
}

void UsersStore::run(const std::string& sql, PgParams params, PgStatement kind, Callback cb) {
    db_.query(sql, std::move(params), timeout_, kind, [cb = std::move(cb)](PgResult result, const std::string& error) {
        if (!error.empty()) {
            cb(failure(result.get(), error));
            return;
        }
        StoreResult out;
        try {
            for (int i = 0; i < PQntuples(result.get()); ++i) out.users.push_back(user_from_row(result.get(), i));
        } catch (const std::exception& e) {
            cb(unreadable(e));
            return;
        }
        if (!out.users.empty()) out.user = out.users.front();
        // A statement that returns rows found something; DELETE counts instead.
        bool found = PQnfields(result.get()) > 0 ? !out.users.empty() : std::strcmp(PQcmdTuples(result.get()), "0") != 0;
        out.status = found ? StoreStatus::ok : StoreStatus::not_found;
        cb(std::move(out));
    });
}

void UsersStore::create(const std::string& email, const std::string& hashed_password, const std::string& name,
                        const std::optional<NewJob>& job, Callback cb) {
    if (!job) {
        run("INSERT INTO users (email, hashed_password, name) VALUES ($1, $2, $3) RETURNING " USER_COLUMNS,
            {email, hashed_password, name}, PgStatement::write, std::move(cb));
        return;
    }
    run("WITH u AS (INSERT INTO users (email, hashed_password, name) VALUES ($1, $2, $3) RETURNING " USER_COLUMNS
        "), j AS (INSERT INTO job_outbox (type, queue, args, request_id, user_id) SELECT $4, $5, $6, $7, id FROM u) "
        "SELECT " USER_COLUMNS " FROM u",
        {email, hashed_password, name, job->type, job->queue, job->args, job->request_id}, PgStatement::write,
        std::move(cb));
}

void UsersStore::find_by_id(std::int64_t id, Callback cb) { by_id_.find(std::to_string(id), one_user(std::move(cb))); }

void UsersStore::find_by_email(const std::string& email, Callback cb) {
    // Stored emails are printable ASCII without spaces (the schema's check
    // and the email rule). A key with another byte names no user, whatever
    // the database would make of it: in a UTF-8 locale lower() folds the
    // Kelvin sign to k, and a login with it was checked against the password
    // of the address with a k; a NUL (a form field's %00) cut the key short
    // in libpq's text and made the batch's array literal malformed, a 500.
    bool printable = std::all_of(email.begin(), email.end(), [](char c) {
        auto b = static_cast<unsigned char>(c);
        return b > 0x20 && b < 0x7f;
    });
    if (!printable) {
        cb(StoreResult{StoreStatus::not_found, std::nullopt, {}, {}});
        return;
    }
    by_email_.find(email, one_user(std::move(cb)));
}

void UsersStore::list(std::int64_t skip, std::int64_t limit, Callback cb) {
    run("SELECT " USER_COLUMNS " FROM users ORDER BY id OFFSET $1 LIMIT $2", {std::to_string(skip), std::to_string(limit)},
        PgStatement::read, [cb = std::move(cb)](StoreResult r) {
            // An empty page is a page, not a missing user.
            if (r.status == StoreStatus::not_found) r.status = StoreStatus::ok;
            cb(std::move(r));
        });
}

void UsersStore::update(std::int64_t id, const UserChanges& changes, Callback cb) {
    // One statement for every combination: a NULL parameter keeps the column.
    run("UPDATE users SET email = coalesce($2, email), hashed_password = coalesce($3, hashed_password), "
        "name = coalesce($4, name) WHERE id = $1 RETURNING " USER_COLUMNS,
        {std::to_string(id), changes.email, changes.hashed_password, changes.name}, PgStatement::write, std::move(cb));
}

void UsersStore::remove(std::int64_t id, Callback cb) {
    run("DELETE FROM users WHERE id = $1", {std::to_string(id)}, PgStatement::write, std::move(cb));
}

}  // namespace usersuite
