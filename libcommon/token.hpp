// Access tokens: JWT signed with SECRET_KEY (HS256 by default) via libjwt,
// claims sub (the user's email), iat and exp. libjwt lets the token's header
// pick the algorithm and never checks exp, so verify() checks everything
// itself: the header's alg is exactly the configured one, the signature,
// an integer exp in the future, an integer iat, a string sub. Whether sub
// still names a user is the caller's check (it needs the database).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace usersuite {

struct TokenClaims {
    std::string subject;
    std::int64_t issued_at = 0;
    std::int64_t expires_at = 0;
};

class Tokens {
public:
    // algorithm: HS256, HS384 or HS512. Throws std::invalid_argument otherwise.
    Tokens(std::string secret, std::string algorithm, int expire_minutes);

    std::string issue(const std::string& subject) const;
    std::string issue(const std::string& subject, std::int64_t issued_at) const;

    // nullopt, with the reason in *why (for the log, never for the client),
    // when the token is not acceptable.
    std::optional<TokenClaims> verify(std::string_view token, std::string* why) const;

private:
    std::optional<TokenClaims> verify_uncached(const std::string& token, std::string* why) const;

    // Tokens that passed, until their exp: a client sends the same token on
    // every request, and the signature and claims of a token never change.
    // Bounded; used from the event loop's thread only.
    static constexpr std::size_t kCacheSize = 4096;
    mutable std::unordered_map<std::string, TokenClaims> verified_;
    mutable std::deque<std::string> verified_order_;

    std::string secret_;
    std::string algorithm_;
    int alg_;  // jwt_alg_t
    std::int64_t lifetime_seconds_;
};

// The token of an "Authorization: Bearer <token>" header (scheme in any
// case), or nullopt.
std::optional<std::string> bearer_token(const char* authorization);

}  // namespace usersuite
