#include "libcommon/urlencoded.hpp"

#include <event2/http.h>

#include <cstdlib>
#include <new>

namespace usersuite {

namespace {

std::string decode(const std::string& raw) {
    std::size_t len = 0;
    char* d = evhttp_uridecode(raw.c_str(), 1, &len);
    if (d == nullptr) throw std::bad_alloc();
    std::string out(d, len);
    std::free(d);
    return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_urlencoded(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t start = 0; start <= text.size();) {
        std::size_t amp = text.find('&', start);
        std::string piece = text.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        start = amp == std::string::npos ? text.size() + 1 : amp + 1;
        if (piece.empty()) continue;
        std::size_t eq = piece.find('=');
        out.emplace_back(decode(piece.substr(0, eq)), eq == std::string::npos ? "" : decode(piece.substr(eq + 1)));
    }
    return out;
}

}  // namespace usersuite
