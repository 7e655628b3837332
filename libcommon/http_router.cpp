#include "libcommon/http_router.hpp"

#include <event2/http.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <tuple>

namespace usersuite {

namespace {

bool is_param(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// "{id:int}" -> ("id", true); "{name}" -> ("name", false)
std::pair<std::string, bool> param_spec(const std::string& seg) {
    std::string inner = seg.substr(1, seg.size() - 2);
    std::size_t colon = inner.find(':');
    if (colon == std::string::npos) return {inner, false};
    if (inner.substr(colon + 1) != "int") throw std::invalid_argument("unknown parameter type in " + seg);
    return {inner.substr(0, colon), true};
}

bool parse_id(const std::string& text, std::int64_t* out, bool* too_small) {
    *too_small = false;
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    if (ec != std::errc() || end != text.data() + text.size()) return false;
    if (*out < 1) {
        *too_small = true;
        return false;
    }
    return true;
}

}  // namespace

const std::string& PathParams::text(const std::string& name) const { return text_.at(name); }
std::int64_t PathParams::integer(const std::string& name) const { return integer_.at(name); }

bool is_valid_utf8(const std::string& s) {
    std::size_t i = 0, n = s.size();
    while (i < n) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t len;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

bool split_path(const std::string& raw_path, std::vector<std::string>* segments) {
    if (raw_path.empty() || raw_path[0] != '/') {
        segments->clear();
        return false;
    }
    // The strings of *segments are assigned, not rebuilt, so that a vector
    // kept between calls allocates nothing for the usual path.
    std::size_t count = 0;
    std::size_t start = 1;
    while (true) {
        std::size_t slash = raw_path.find('/', start);
        std::size_t end = slash == std::string::npos ? raw_path.size() : slash;
        if (count == segments->size()) segments->emplace_back();
        std::string& segment = (*segments)[count++];
        if (raw_path.find('%', start) >= end) {
            segment.assign(raw_path, start, end - start);
        } else {
            std::string raw = raw_path.substr(start, end - start);
            std::size_t len = 0;
            char* decoded = evhttp_uridecode(raw.c_str(), 0, &len);
            if (decoded == nullptr) throw std::bad_alloc();
            segment.assign(decoded, len);
            std::free(decoded);
        }
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    segments->resize(count);
    // "/" is the root, one empty segment; represent it as none.
    if (count == 1 && segments->front().empty()) segments->clear();
    return true;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler, Body body) {
    Route r{method, {}, body, std::move(handler), {}};
    if (!split_path(pattern, &r.segments)) throw std::invalid_argument("route pattern must start with /: " + pattern);
    for (const std::string& seg : r.segments) {
        Route::Param param;
        if (is_param(seg)) std::tie(param.name, param.is_int) = param_spec(seg);
        r.params.push_back(std::move(param));
    }
    routes_.push_back(std::move(r));
}

RouteMatch Router::match(const std::string& method, const std::string& raw_path) const {
    RouteMatch m;
    // Kept between calls: matching a request allocates nothing but its parameters.
    thread_local std::vector<std::string> segs;
    if (!split_path(raw_path, &segs)) return m;
    auto shape_fits = [&](const Route& r) {
        if (r.segments.size() != segs.size()) return false;
        for (std::size_t i = 0; i < segs.size(); ++i)
            if (r.params[i].name.empty() ? r.segments[i] != segs[i] : segs[i].empty()) return false;
        return true;
    };
    for (const Route& r : routes_) {
        if ((r.method == method || (method == "HEAD" && r.method == "GET")) && shape_fits(r)) {
            m.route = &r;
            break;
        }
    }
    if (m.route == nullptr) {
        std::set<std::string> methods;
        for (const Route& r : routes_) {
            if (!shape_fits(r)) continue;
            methods.insert(r.method);
            if (r.method == "GET") methods.insert("HEAD");
        }
        if (methods.empty()) return m;
        m.kind = RouteMatch::method_not_allowed;
        for (const std::string& name : methods) m.allow += (m.allow.empty() ? "" : ", ") + name;
        return m;
    }
    ValidationErrors errors;
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const Route::Param& param = m.route->params[i];
        if (param.name.empty()) continue;
        if (!param.is_int) {
            if (!is_valid_utf8(segs[i]))
                errors.add({"path", param.name}, "Input should be a valid UTF-8 string", "string_unicode");
            m.params.text_[param.name] = segs[i];
            continue;
        }
        std::int64_t id = 0;
        bool too_small = false;
        if (parse_id(segs[i], &id, &too_small))
            m.params.integer_[param.name] = id;
        else if (too_small)
            errors.add({"path", param.name}, "Input should be greater than or equal to 1", "greater_than_equal");
        else
            errors.add({"path", param.name}, "Input should be a whole number from 1 to 9223372036854775807",
                       "int_parsing");
    }
    errors.throw_if_any();
    m.kind = RouteMatch::found;
    return m;
}

}  // namespace usersuite
