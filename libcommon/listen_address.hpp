// Where a daemon listens: "HOST:PORT", "[IPv6]:PORT", or a Unix socket path
// ("/path" or "unix:path").
#pragma once

#include <optional>
#include <string>

namespace usersuite {

struct ListenAddress {
    bool is_unix = false;
    std::string host;   // numeric address, TCP only
    int port = 0;       // TCP only
    std::string path;   // Unix only

    std::string to_string() const;
};

// nullopt with *error set when the text is not one of the forms above.
std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string* error);

}  // namespace usersuite
