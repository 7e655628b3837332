#include "libcommon/validation.hpp"

namespace usersuite {

ValidationErrors& ValidationErrors::add(std::initializer_list<LocPart> loc, const std::string& msg,
                                        const std::string& type) {
    Json where = Json::array();
    for (const LocPart& part : loc) {
        if (const auto* name = std::get_if<std::string>(&part))
            where.push(Json::string(*name));
        else
            where.push(Json::integer(std::get<std::int64_t>(part)));
    }
    entries_.push_back(Json::object().set("loc", where).set("msg", Json::string(msg)).set("type", Json::string(type)));
    return *this;
}

void ValidationErrors::throw_if_any() const {
    if (!empty()) throw to_error();
}

HttpError ValidationErrors::to_error() const {
    Json list = Json::array();
    for (const Json& entry : entries_) list.push(entry);
    return HttpError(422, list);
}

}  // namespace usersuite
