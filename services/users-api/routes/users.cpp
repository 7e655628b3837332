// POST /api/v1/users and GET /api/v1/users?skip&limit
#include <charconv>
#include <string_view>

#include "libcommon/http_exchange.hpp"
#include "libcommon/user_registration.hpp"
#include "libcommon/users_store.hpp"
#include "services/users-api/routes.hpp"

namespace usersuite::users_api {

namespace {

// A query integer: digits, with a minus sign where one is meant (so that
// -1 is out of range, as FastAPI says, not "not an integer"), min..max,
// else a 422 entry.
std::int64_t query_integer(const Exchange& ex, const char* name, std::int64_t fallback, std::int64_t min,
                           std::int64_t max, ValidationErrors& errors) {
    auto text = ex.query(name);
    if (!text) return fallback;
    std::int64_t v = 0;
    std::string_view unsigned_part = *text;
    if (unsigned_part.starts_with('-')) unsigned_part.remove_prefix(1);
    bool digits = !unsigned_part.empty() && unsigned_part.find_first_not_of("0123456789") == std::string_view::npos;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (!digits || ec != std::errc() || end != text->data() + text->size()) {
        errors.add({"query", name}, "Input should be a valid integer", "int_parsing");
    } else if (v < min) {
        errors.add({"query", name}, "Input should be greater than or equal to " + std::to_string(min),
                   "greater_than_equal");
    } else if (v > max) {
        errors.add({"query", name}, "Input should be less than or equal to " + std::to_string(max), "less_than_equal");
    }
    return v;
}

}  // namespace

void add_users_routes(Router& router, Services s) {
    router.add(
        "POST", "/api/v1/users",
        [s](const std::shared_ptr<Exchange>& ex) {
            register_user(ex, s.passwords, s.users, nullptr, [ex](const User& user) { reply_created(ex, user); });
        },
        Body::json);

    router.add("GET", "/api/v1/users", [s](const std::shared_ptr<Exchange>& ex) {
        ValidationErrors errors;
        std::int64_t skip = query_integer(*ex, "skip", 0, 0, INT64_MAX, errors);
        std::int64_t limit = query_integer(*ex, "limit", 100, 1, 100, errors);
        errors.throw_if_any();
        s.users.list(skip, limit, ex->guarded([ex](StoreResult r) {
            if (r.status == StoreStatus::unavailable)
                throw HttpError::service_unavailable("Database unavailable, try again shortly", 5);
            if (r.status != StoreStatus::ok) throw std::runtime_error("listing users failed: " + r.detail);
            std::string list = "[";
            for (const User& u : r.users) {
                if (list.size() > 1) list.push_back(',');
                list += u.json_text();
            }
            list.push_back(']');
            ex->reply_json_text(200, list);
        }));
    });
}

}  // namespace usersuite::users_api
