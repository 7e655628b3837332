#include "libcommon/token.hpp"

#include <jwt.h>
#include <strings.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <stdexcept>

#include "libcommon/json.hpp"

namespace usersuite {

namespace {

// libjwt's b64 decoder uses alloca on the segment length.
constexpr std::size_t kMaxTokenBytes = 8192;
// A token issued by a clock slightly ahead of ours is still fine.
constexpr std::int64_t kClockSkewSeconds = 60;

struct JwtDeleter {
    void operator()(jwt_t* j) const noexcept { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;
struct FreeDeleter {
    void operator()(char* p) const noexcept { std::free(p); }
};
using CString = std::unique_ptr<char, FreeDeleter>;

std::int64_t now_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::optional<Json> parse_owned(char* text) {
    CString owned(text);
    if (!owned) return std::nullopt;
    std::string ignored;
    return Json::parse(owned.get(), &ignored);
}

}  // namespace

Tokens::Tokens(std::string secret, std::string algorithm, int expire_minutes)
    : secret_(std::move(secret)), algorithm_(std::move(algorithm)), lifetime_seconds_(expire_minutes * 60LL) {
    if (algorithm_ == "HS256") alg_ = JWT_ALG_HS256;
    else if (algorithm_ == "HS384") alg_ = JWT_ALG_HS384;
    else if (algorithm_ == "HS512") alg_ = JWT_ALG_HS512;
    else throw std::invalid_argument("unsupported JWT algorithm " + algorithm_);
    if (secret_.empty()) throw std::invalid_argument("empty JWT secret");
}

std::string Tokens::issue(const std::string& subject) const { return issue(subject, now_seconds()); }

std::string Tokens::issue(const std::string& subject, std::int64_t issued_at) const {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw std::bad_alloc();
    JwtPtr jwt(raw);
    auto* key = reinterpret_cast<const unsigned char*>(secret_.data());
    if (jwt_add_grant(jwt.get(), "sub", subject.c_str()) != 0 ||
        jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(issued_at)) != 0 ||
        jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(issued_at + lifetime_seconds_)) != 0 ||
        jwt_set_alg(jwt.get(), static_cast<jwt_alg_t>(alg_), key, static_cast<int>(secret_.size())) != 0)
        throw std::runtime_error("cannot build a JWT");
    CString token(jwt_encode_str(jwt.get()));
    if (!token) throw std::runtime_error("cannot encode a JWT");
    return token.get();
}

std::optional<TokenClaims> Tokens::verify(std::string_view token, std::string* why) const {
    if (token.empty() || token.size() > kMaxTokenBytes) return *why = "empty or over-long token", std::nullopt;
    std::string text(token);
    auto hit = verified_.find(text);
    if (hit != verified_.end()) {
        if (hit->second.expires_at > now_seconds()) return hit->second;
        *why = "expired";
        return std::nullopt;
    }
    auto claims = verify_uncached(text, why);
    if (claims) {
        if (verified_.size() >= kCacheSize) {
            verified_.erase(verified_order_.front());
            verified_order_.pop_front();
        }
        verified_.emplace(text, *claims);
        verified_order_.push_back(text);
    }
    return claims;
}

std::optional<TokenClaims> Tokens::verify_uncached(const std::string& text, std::string* why) const {
    jwt_t* raw = nullptr;
    auto* key = reinterpret_cast<const unsigned char*>(secret_.data());
    if (jwt_decode(&raw, text.c_str(), key, static_cast<int>(secret_.size())) != 0 || raw == nullptr) {
        jwt_free(raw);
        return *why = "malformed token or bad signature", std::nullopt;
    }
    JwtPtr jwt(raw);
    // libjwt compares alg case-insensitively and lets the header choose it.
    auto header = parse_owned(jwt_get_headers_json(jwt.get(), nullptr));
    if (!header || header->get("alg").as_string() != algorithm_ || jwt_get_alg(jwt.get()) != alg_)
        return *why = "alg is not " + algorithm_, std::nullopt;
    auto grants = parse_owned(jwt_get_grants_json(jwt.get(), nullptr));
    if (!grants || !grants->is_object()) return *why = "no claims", std::nullopt;
    Json sub = grants->get("sub"), iat = grants->get("iat"), exp = grants->get("exp");
    if (!sub.is_string() || sub.as_string().empty()) return *why = "sub is not a string", std::nullopt;
    if (!iat.is_integer()) return *why = "iat is not an integer", std::nullopt;
    if (!exp.is_integer()) return *why = "exp is not an integer", std::nullopt;
    std::int64_t now = now_seconds();
    if (exp.as_integer() <= now) return *why = "expired", std::nullopt;
    if (iat.as_integer() > now + kClockSkewSeconds) return *why = "issued in the future", std::nullopt;
    return TokenClaims{sub.as_string(), iat.as_integer(), exp.as_integer()};
}

std::optional<std::string> bearer_token(const char* authorization) {
    if (authorization == nullptr) return std::nullopt;
    std::string_view h = authorization;
    if (h.size() < 7 || strncasecmp(h.data(), "bearer ", 7) != 0) return std::nullopt;
    h.remove_prefix(7);
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
    if (h.empty() || h.find(' ') != std::string_view::npos) return std::nullopt;
    return std::string(h);
}

}  // namespace usersuite
