// The one builder of FastAPI-style 422 bodies:
// {"detail": [{"loc": [...], "msg": "...", "type": "..."}, ...]}.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "libcommon/http_error.hpp"
#include "libcommon/json.hpp"

namespace usersuite {

using LocPart = std::variant<std::string, std::int64_t>;

class ValidationErrors {
public:
    ValidationErrors& add(std::initializer_list<LocPart> loc, const std::string& msg, const std::string& type);
    bool empty() const { return entries_.empty(); }
    // Throws the 422 HttpError when any entry was added.
    void throw_if_any() const;
    HttpError to_error() const;

private:
    std::vector<Json> entries_;
};

}  // namespace usersuite
