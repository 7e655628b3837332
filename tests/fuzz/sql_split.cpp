// migrate's statement splitter on any migration file: no crash, and every
// statement's offset lies within the text.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "services/migrate/migration_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    for (const auto& s : usersuite::migrate::split_statements(text))
        if (s.offset > text.size()) std::abort();
    return 0;
}
