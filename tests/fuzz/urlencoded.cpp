// The OAuth2 login form's parser, and URLs from the config (REDIS_URL,
// DATABASE_URL): no crash on any input.
#include <cstdint>
#include <string>

#include "libcommon/url.hpp"
#include "libcommon/urlencoded.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto fields = usersuite::parse_urlencoded(text);
    (void)fields;
    std::string why;
    auto url = usersuite::parse_url(text, &why);
    (void)url;
    return 0;
}
