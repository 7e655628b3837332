// Passwords: bcrypt ($2b$) through libxcrypt's reentrant API. These calls
// take a third of a second at cost 12: call them on a WorkerPool, never on
// the event loop.
#pragma once

#include <cstddef>
#include <string>

namespace usersuite {

inline constexpr int kMinBcryptCost = 4;
inline constexpr int kMaxBcryptCost = 31;
// bcrypt's limit: passwords longer than this are refused, never truncated.
inline constexpr std::size_t kMaxPasswordBytes = 72;

// A new $2b$ hash of password at cost. Throws std::runtime_error if
// libxcrypt refuses (it cannot for 8..72-byte passwords without NUL).
std::string hash_password(const std::string& password, int cost);

// True when password matches stored, compared in constant time. A stored
// value that is not a well-formed $2b$ hash never matches, nor does a
// password over 72 bytes or with a NUL (libxcrypt would cut it short).
bool verify_password(const std::string& password, const std::string& stored);

// A hash of random bytes at the same cost: verifying against it costs what
// a real verification costs, so an unknown email takes as long as a wrong
// password.
std::string unmatchable_hash(int cost);

// The cost recorded in a $2b$ hash, or 0.
int bcrypt_cost_of(const std::string& stored);

}  // namespace usersuite
