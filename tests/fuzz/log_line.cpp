// A log line is one line whatever the message and request id hold: no input
// can forge a second line.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libcommon/log.hpp"
#include "libcommon/request_id.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    std::size_t half = size / 2;
    std::string rid = text.substr(0, half);
    if (!usersuite::is_valid_request_id(rid)) rid = "-";
    std::string line = usersuite::format_log_line("fuzz.log", usersuite::LogLevel::info, rid, text.substr(half));
    if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos) std::abort();
    return 0;
}
