#include "libcommon/listen_address.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <charconv>

namespace usersuite {

std::string ListenAddress::to_string() const {
    if (is_unix) return "unix:" + path;
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string* error) {
    ListenAddress a;
    if (text.rfind("unix:", 0) == 0 || text.rfind("/", 0) == 0) {
        a.is_unix = true;
        a.path = text.rfind("unix:", 0) == 0 ? text.substr(5) : text;
        if (a.path.empty() || a.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
            *error = "a Unix socket path must be 1 to " + std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                     " bytes";
            return std::nullopt;
        }
        return a;
    }
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
        *error = "expected HOST:PORT, [IPv6]:PORT or a Unix socket path";
        return std::nullopt;
    }
    a.host = text.substr(0, colon);
    if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') {
        a.host = a.host.substr(1, a.host.size() - 2);
    } else if (a.host.find(':') != std::string::npos) {
        *error = "write an IPv6 address in brackets: [" + a.host + "]:" + text.substr(colon + 1);
        return std::nullopt;
    }
    std::string port = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
    if (ec != std::errc() || end != port.data() + port.size() || port.empty() || a.port < 1 || a.port > 65535) {
        *error = "port must be a number from 1 to 65535";
        return std::nullopt;
    }
    unsigned char buf[16];
    if (inet_pton(AF_INET, a.host.c_str(), buf) != 1 && inet_pton(AF_INET6, a.host.c_str(), buf) != 1) {
        *error = "the host must be a numeric IPv4 or IPv6 address, not \"" + a.host + "\"";
        return std::nullopt;
    }
    return a;
}

}  // namespace usersuite
