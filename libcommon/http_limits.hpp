// Limits fixed by api.md, not by configuration.
#pragma once

#include <cstddef>

namespace usersuite {

inline constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
inline constexpr std::size_t kMaxHeaderBytes = 16 * 1024;

}  // namespace usersuite
