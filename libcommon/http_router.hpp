// The router: routes are "METHOD /literal/{name}/{id:int}" patterns matched
// against the raw path split on '/', each segment percent-decoded once (so
// /hello/a%2Fb gives name "a/b"). A {name} is any valid UTF-8 text; an
// {id:int} is digits only, 1 to 2^63-1, else 422. A route for GET also
// answers HEAD. No match is 404; a path match with another method is 405.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libcommon/validation.hpp"

namespace usersuite {

class Exchange;
using Handler = std::function<void(const std::shared_ptr<Exchange>&)>;

// What a route reads from the body: nothing, a JSON object, or a JSON object
// or an application/x-www-form-urlencoded form (read as an object of strings).
enum class Body { none, json, json_or_form };

class PathParams {
public:
    const std::string& text(const std::string& name) const;
    std::int64_t integer(const std::string& name) const;

private:
    friend class Router;
    std::map<std::string, std::string> text_;
    std::map<std::string, std::int64_t> integer_;
};

struct Route {
    std::string method;
    std::vector<std::string> segments;  // literal, "{name}" or "{name:int}"
    Body body;
    Handler handler;
    struct Param {
        std::string name;  // empty for a literal segment
        bool is_int = false;
    };
    std::vector<Param> params;  // per segment, parsed once by Router::add
};

struct RouteMatch {
    enum Kind { found, not_found, method_not_allowed } kind = not_found;
    const Route* route = nullptr;
    PathParams params;
    std::string allow;  // for method_not_allowed
};

class Router {
public:
    // pattern: "/api/v1/hello/{name}". Throws std::invalid_argument on a bad pattern.
    void add(const std::string& method, const std::string& pattern, Handler handler, Body body = Body::none);

    // Throws HttpError(422) when the path matches but a parameter is invalid.
    RouteMatch match(const std::string& method, const std::string& raw_path) const;

private:
    std::vector<Route> routes_;
};

// Splits a raw path on '/' and percent-decodes each segment once. Returns
// false when the path does not start with '/'.
bool split_path(const std::string& raw_path, std::vector<std::string>* segments);
bool is_valid_utf8(const std::string& text);

}  // namespace usersuite
