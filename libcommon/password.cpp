#include "libcommon/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <sys/random.h>

#include <cctype>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace usersuite {

namespace {

constexpr std::size_t kBcryptLength = 60;

// crypt_data is 32 KiB: one per thread, on the heap, zeroed once.
crypt_data& scratch() {
    thread_local std::unique_ptr<crypt_data> data = [] {
        auto d = std::make_unique<crypt_data>();
        std::memset(d.get(), 0, sizeof *d);
        return d;
    }();
    return *data;
}

bool well_formed(const std::string& stored) {
    return stored.size() == kBcryptLength && stored.compare(0, 4, "$2b$") == 0 &&
           crypt_checksalt(stored.c_str()) == CRYPT_SALT_OK;
}

}  // namespace

std::string hash_password(const std::string& password, int cost) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, setting, sizeof setting) == nullptr)
        throw std::runtime_error("crypt_gensalt_rn refused bcrypt cost " + std::to_string(cost));
    const char* out = crypt_rn(password.c_str(), setting, &scratch(), sizeof(crypt_data));
    if (out == nullptr || std::strlen(out) != kBcryptLength) throw std::runtime_error("crypt_rn failed to hash");
    return out;
}

bool verify_password(const std::string& password, const std::string& stored) {
    if (!well_formed(stored)) return false;
    const char* out = crypt_rn(password.c_str(), stored.c_str(), &scratch(), sizeof(crypt_data));
    if (out == nullptr || std::strlen(out) != kBcryptLength) return false;
    // bcrypt reads 72 bytes at most and C strings end at NUL: a longer
    // password, or one with a NUL, was never stored, so it never matches
    // (checked after the hash, so that it costs the same time).
    return CRYPTO_memcmp(out, stored.data(), kBcryptLength) == 0 && password.size() <= kMaxPasswordBytes &&
           password.find('\0') == std::string::npos;
}

std::string unmatchable_hash(int cost) {
    unsigned char random[32];
    if (getrandom(random, sizeof random, 0) != static_cast<ssize_t>(sizeof random))
        throw std::runtime_error("getrandom failed");
    std::string secret;
    for (unsigned char b : random) secret.push_back(static_cast<char>('!' + b % 90));
    return hash_password(secret, cost);
}

int bcrypt_cost_of(const std::string& stored) {
    if (stored.size() < 7 || stored.compare(0, 4, "$2b$") != 0 || !std::isdigit(static_cast<unsigned char>(stored[4])) ||
        !std::isdigit(static_cast<unsigned char>(stored[5])) || stored[6] != '$')
        return 0;
    return (stored[4] - '0') * 10 + (stored[5] - '0');
}

}  // namespace usersuite
