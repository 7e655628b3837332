// Json::parse on untrusted bytes (request bodies): no crash, and what it
// accepts dumps to a document that parses back to the same dump.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libcommon/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string why;
    auto doc = usersuite::Json::parse(std::string(reinterpret_cast<const char*>(data), size), &why);
    if (!doc) return 0;
    std::string once = doc->dump();
    auto again = usersuite::Json::parse(once, &why);
    if (!again || again->dump() != once) std::abort();
    return 0;
}
