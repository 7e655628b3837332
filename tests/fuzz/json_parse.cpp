// Json::parse and Json::parse_request_body (which keeps a NUL in a string)
// on untrusted bytes: no crash, and what each accepts dumps to a document
// that parses back to the same dump.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libcommon/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size), why;
    for (auto parse : {&usersuite::Json::parse, &usersuite::Json::parse_request_body}) {
        auto doc = parse(text, &why);
        if (!doc) continue;
        std::string once = doc->dump();
        auto again = parse(once, &why);
        if (!again || again->dump() != once) std::abort();
    }
    return 0;
}
