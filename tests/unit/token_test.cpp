// Tokens (libcommon/token.hpp): issue and verify, and every forged token
// refused. Forged tokens are built by hand (base64url of the JSON header and
// payload, HMAC from OpenSSL) so that each one has exactly one defect; a
// hand-built token without a defect is accepted, which shows the builder
// itself is right.
#include "libcommon/token.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ctime>
#include <string>
#include <vector>

#include "libcommon/json.hpp"

namespace {

using usersuite::bearer_token;
using usersuite::Json;
using usersuite::Tokens;

const std::string kSecret = "unit-test-secret-0123456789abcdef-0123456789abcdef";
const std::string kOtherSecret = "another-secret-0123456789abcdef-0123456789abcdef";
constexpr int kMinutes = 30;

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string b64url(const std::string& data) {
    std::vector<unsigned char> out(4 * ((data.size() + 2) / 3) + 1);
    int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(data.data()),
                            static_cast<int>(data.size()));
    std::string s(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
    for (char& c : s) {
        if (c == '+') c = '-';
        else if (c == '/') c = '_';
    }
    while (!s.empty() && s.back() == '=') s.pop_back();
    return s;
}

std::string b64url_decode(std::string s) {
    for (char& c : s) {
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
    }
    while (s.size() % 4 != 0) s.push_back('=');
    std::vector<unsigned char> out(s.size());
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
    if (n < 0) return {};
    std::size_t pad = 0;
    for (auto it = s.rbegin(); it != s.rend() && *it == '='; ++it) ++pad;
    return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n) - pad);
}

std::string hmac(const EVP_MD* md, const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

// header.payload.signature, the signature an HMAC with md and key (none: "").
std::string forge(const std::string& header_json, const std::string& payload_json, const EVP_MD* md = EVP_sha256(),
                  const std::string& key = kSecret) {
    std::string signing_input = b64url(header_json) + "." + b64url(payload_json);
    std::string signature = md == nullptr ? std::string() : b64url(hmac(md, key, signing_input));
    return signing_input + "." + signature;
}

const std::string kHs256 = R"({"alg":"HS256","typ":"JWT"})";

std::string claims(const std::string& sub, std::int64_t iat, std::int64_t exp) {
    return Json::object()
        .set("sub", Json::string(sub))
        .set("iat", Json::integer(iat))
        .set("exp", Json::integer(exp))
        .dump();
}

std::string good_claims() { return claims("alice@example.com", now(), now() + 600); }

class TokensTest : public ::testing::Test {
protected:
    Tokens tokens{kSecret, "HS256", kMinutes};

    bool accepted(const std::string& token) {
        std::string why;
        return tokens.verify(token, &why).has_value();
    }
    // Refused, with a reason for the log.
    void expect_refused(const std::string& token, const std::string& what) {
        std::string why;
        auto c = tokens.verify(token, &why);
        EXPECT_FALSE(c.has_value()) << what << " was accepted: " << token;
        if (!c) {
            EXPECT_FALSE(why.empty()) << what << ": no reason given";
        }
    }
};

TEST_F(TokensTest, IssuedTokenVerifiesWithItsClaims) {
    std::int64_t before = now();
    std::string t = tokens.issue("alice@example.com");
    std::int64_t after = now();
    std::string why;
    auto c = tokens.verify(t, &why);
    ASSERT_TRUE(c.has_value()) << why;
    EXPECT_EQ(c->subject, "alice@example.com");
    EXPECT_GE(c->issued_at, before);
    EXPECT_LE(c->issued_at, after);
    EXPECT_EQ(c->expires_at, c->issued_at + kMinutes * 60);
}

TEST_F(TokensTest, IssuedTokenHasTheExpectedHeaderAndClaims) {
    std::string t = tokens.issue("bob@example.com", 1'900'000'000);
    std::size_t d1 = t.find('.'), d2 = t.find('.', d1 + 1);
    ASSERT_NE(d2, std::string::npos);
    EXPECT_EQ(t.find('.', d2 + 1), std::string::npos) << "three segments";
    std::string why;
    auto header = Json::parse(b64url_decode(t.substr(0, d1)), &why);
    ASSERT_TRUE(header) << why;
    EXPECT_EQ(header->get("alg").as_string(), "HS256");
    EXPECT_EQ(header->get("typ").as_string(), "JWT");
    auto payload = Json::parse(b64url_decode(t.substr(d1 + 1, d2 - d1 - 1)), &why);
    ASSERT_TRUE(payload) << why;
    EXPECT_EQ(payload->get("sub").as_string(), "bob@example.com");
    EXPECT_TRUE(payload->get("iat").is_integer());
    EXPECT_EQ(payload->get("iat").as_integer(), 1'900'000'000);
    EXPECT_EQ(payload->get("exp").as_integer(), 1'900'000'000 + kMinutes * 60);
    // The signature is HMAC-SHA256 with the secret over the first two segments.
    EXPECT_EQ(t.substr(d2 + 1), b64url(hmac(EVP_sha256(), kSecret, t.substr(0, d2))));
}

TEST_F(TokensTest, HandBuiltTokenWithoutDefectIsAccepted) {
    // The reference for the forged tokens below: only their one defect differs.
    std::string why;
    auto c = tokens.verify(forge(kHs256, good_claims()), &why);
    ASSERT_TRUE(c.has_value()) << why;
    EXPECT_EQ(c->subject, "alice@example.com");
    // typ is optional; unknown claims are ignored.
    EXPECT_TRUE(accepted(forge(R"({"alg":"HS256"})", good_claims())));
    EXPECT_TRUE(accepted(forge(kHs256, R"({"sub":"a@example.com","iat":)" + std::to_string(now()) +
                                           R"(,"exp":)" + std::to_string(now() + 60) + R"(,"role":"admin"})")));
}

TEST_F(TokensTest, TokenOfAnotherTokensWithTheSameSecretVerifies) {
    // Every daemon has its own Tokens over the same SECRET_KEY.
    Tokens other(kSecret, "HS256", 5);
    std::string why;
    EXPECT_TRUE(tokens.verify(other.issue("carol@example.com"), &why)) << why;
}

TEST_F(TokensTest, AlgNoneUnsignedIsRefused) {
    expect_refused(forge(R"({"alg":"none","typ":"JWT"})", good_claims(), nullptr), "alg none, empty signature");
    expect_refused(forge(R"({"alg":"none"})", good_claims(), nullptr), "alg none without typ");
    expect_refused(forge(R"({"alg":"NoNe","typ":"JWT"})", good_claims(), nullptr), "alg NoNe");
    // alg none with a valid HS256 signature attached.
    expect_refused(forge(R"({"alg":"none","typ":"JWT"})", good_claims()), "alg none, signed");
    // The two segments alone, no trailing dot.
    std::string t = forge(R"({"alg":"none","typ":"JWT"})", good_claims(), nullptr);
    expect_refused(t.substr(0, t.size() - 1), "alg none, two segments");
}

TEST_F(TokensTest, HS512WithTheSameSecretIsRefusedWhenHS256IsConfigured) {
    expect_refused(forge(R"({"alg":"HS512","typ":"JWT"})", good_claims(), EVP_sha512()), "HS512");
    expect_refused(forge(R"({"alg":"HS384","typ":"JWT"})", good_claims(), EVP_sha384()), "HS384");
    // And the token of a real HS512 issuer with the same secret.
    Tokens hs512(kSecret, "HS512", kMinutes);
    expect_refused(hs512.issue("alice@example.com"), "HS512 issued by libjwt");
}

TEST_F(TokensTest, AlgSpelledInLowerCaseIsRefused) {
    // libjwt matches alg case-insensitively and would accept these.
    expect_refused(forge(R"({"alg":"hs256","typ":"JWT"})", good_claims()), "alg hs256");
    expect_refused(forge(R"({"alg":"Hs256","typ":"JWT"})", good_claims()), "alg Hs256");
}

TEST_F(TokensTest, RSAlgWithHmacSignatureIsRefused) {
    expect_refused(forge(R"({"alg":"RS256","typ":"JWT"})", good_claims()), "alg RS256");
}

TEST_F(TokensTest, SignedWithAnotherKeyIsRefused) {
    expect_refused(forge(kHs256, good_claims(), EVP_sha256(), kOtherSecret), "another key");
    expect_refused(forge(kHs256, good_claims(), EVP_sha256(), kSecret.substr(0, kSecret.size() - 1)),
                   "key one byte short");
    expect_refused(forge(kHs256, good_claims(), EVP_sha256(), ""), "empty key");
    Tokens other(kOtherSecret, "HS256", kMinutes);
    expect_refused(other.issue("alice@example.com"), "issued by another key");
}

TEST_F(TokensTest, TamperedSignatureOrPayloadIsRefused) {
    std::string t = tokens.issue("alice@example.com");
    std::string flipped = t;
    char& c = flipped[flipped.size() - 5];  // not the last: its low bits are padding
    c = c == 'A' ? 'Q' : 'A';
    expect_refused(flipped, "flipped signature character");
    std::size_t d1 = t.find('.'), d2 = t.rfind('.');
    std::string other_payload = t.substr(0, d1 + 1) + b64url(claims("mallory@example.com", now(), now() + 600)) +
                                t.substr(d2);
    expect_refused(other_payload, "payload swapped under the old signature");
    expect_refused(t.substr(0, d2 + 1), "signature removed");
    expect_refused(t + "==", "padded signature");
}

TEST_F(TokensTest, ExpiredTokenIsRefused) {
    // issue() with an old iat: exp = iat + 30 min is in the past.
    expect_refused(tokens.issue("alice@example.com", now() - 3600), "issued an hour ago");
    expect_refused(tokens.issue("alice@example.com", now() - kMinutes * 60 - 1), "expired a second ago");
    expect_refused(forge(kHs256, claims("alice@example.com", now() - 100, now() - 1)), "exp a second ago");
    expect_refused(forge(kHs256, claims("alice@example.com", 1, 1)), "exp 1");
    // Still valid a little before its end.
    EXPECT_TRUE(accepted(tokens.issue("alice@example.com", now() - kMinutes * 60 + 30)));
}

TEST_F(TokensTest, MissingOrNonStringSubIsRefused) {
    std::string iat = std::to_string(now()), exp = std::to_string(now() + 600);
    expect_refused(forge(kHs256, R"({"iat":)" + iat + R"(,"exp":)" + exp + "}"), "missing sub");
    expect_refused(forge(kHs256, R"({"sub":42,"iat":)" + iat + R"(,"exp":)" + exp + "}"), "sub a number");
    expect_refused(forge(kHs256, R"({"sub":null,"iat":)" + iat + R"(,"exp":)" + exp + "}"), "sub null");
    expect_refused(forge(kHs256, R"({"sub":["a@example.com"],"iat":)" + iat + R"(,"exp":)" + exp + "}"),
                   "sub an array");
    expect_refused(forge(kHs256, R"({"sub":{"email":"a@example.com"},"iat":)" + iat + R"(,"exp":)" + exp + "}"),
                   "sub an object");
    expect_refused(forge(kHs256, R"({"sub":"","iat":)" + iat + R"(,"exp":)" + exp + "}"), "sub empty");
}

TEST_F(TokensTest, ExpThatIsNotAnIntegerIsRefused) {
    std::string iat = std::to_string(now());
    std::string future = std::to_string(now() + 600);
    std::string pre = R"({"sub":"alice@example.com","iat":)" + iat + R"(,"exp":)";
    // libjwt's jwt_get_grant_int reads these as 0 without an error.
    expect_refused(forge(kHs256, pre + R"("1700000000"})"), "exp the string \"1700000000\"");
    expect_refused(forge(kHs256, pre + "\"" + future + "\"}"), "exp a string in the future");
    expect_refused(forge(kHs256, pre + future + ".5}"), "exp a float");
    expect_refused(forge(kHs256, pre + "1.7e10}"), "exp in exponent notation");
    expect_refused(forge(kHs256, pre + "true}"), "exp true");
    expect_refused(forge(kHs256, pre + "null}"), "exp null");
    expect_refused(forge(kHs256, R"({"sub":"alice@example.com","iat":)" + iat + "}"), "exp missing");
}

TEST_F(TokensTest, IatMissingOrNotAnIntegerIsRefused) {
    std::string exp = std::to_string(now() + 600);
    expect_refused(forge(kHs256, R"({"sub":"alice@example.com","exp":)" + exp + "}"), "iat missing");
    expect_refused(forge(kHs256, R"({"sub":"alice@example.com","iat":")" + std::to_string(now()) + R"(","exp":)" +
                                     exp + "}"),
                   "iat a string");
    expect_refused(forge(kHs256, R"({"sub":"alice@example.com","iat":)" + std::to_string(now()) + R"(.25,"exp":)" +
                                     exp + "}"),
                   "iat a float");
}

TEST_F(TokensTest, IatInTheFutureBeyondTheSkewIsRefused) {
    expect_refused(forge(kHs256, claims("alice@example.com", now() + 120, now() + 1800)), "iat in 2 minutes");
    expect_refused(forge(kHs256, claims("alice@example.com", now() + 86400, now() + 2 * 86400)), "iat tomorrow");
    // A clock a little ahead is fine.
    EXPECT_TRUE(accepted(forge(kHs256, claims("alice@example.com", now() + 30, now() + 1800))));
}

TEST_F(TokensTest, GarbageIsRefused) {
    for (const std::string& g :
         {std::string(), std::string("garbage"), std::string("a.b.c"), std::string(".."), std::string("..."),
          std::string("Bearer x.y.z"), std::string("eyJhbGciOiJIUzI1NiJ9"), std::string("\xff\xfe.\x01.\x02"),
          std::string("a b.c d.e f"), std::string(1000, '.'), std::string(5000, 'A')}) {
        expect_refused(g, "garbage [" + g.substr(0, 40) + "]");
    }
    // Valid base64url, but the header or payload is not a JSON object.
    expect_refused(forge("not json", good_claims()), "header not JSON");
    expect_refused(forge(kHs256, "not json"), "payload not JSON");
    expect_refused(forge(kHs256, R"(["alice@example.com"])"), "payload a JSON array");
    expect_refused(forge(R"(["HS256"])", good_claims()), "header a JSON array");
    expect_refused(forge(kHs256, "42"), "payload a number");
}

TEST_F(TokensTest, TokensOverEightKibibytesAreRefused) {
    // The longest well-signed token that fits in 8192 bytes is accepted; one
    // byte more of padding claim and it is refused (libjwt's alloca).
    auto with_pad = [](std::size_t n) {
        return forge(kHs256, R"({"sub":"alice@example.com","iat":)" + std::to_string(now()) + R"(,"exp":)" +
                                 std::to_string(now() + 600) + R"(,"pad":")" + std::string(n, 'x') + "\"}");
    };
    std::size_t n = 5000;
    while (with_pad(n + 1).size() <= 8192) ++n;
    std::string fits = with_pad(n), over = with_pad(n + 1);
    ASSERT_LE(fits.size(), 8192u);
    ASSERT_GT(over.size(), 8192u);
    std::string why;
    EXPECT_TRUE(tokens.verify(fits, &why)) << why << " (" << fits.size() << " bytes)";
    expect_refused(over, "token of " + std::to_string(over.size()) + " bytes");
    expect_refused(with_pad(100000), "token of 100 kB");
    expect_refused(std::string(9000, 'A') + "." + std::string(9000, 'A') + "." + std::string(9000, 'A'),
                   "27 kB of segments");
}

TEST_F(TokensTest, FourthSegmentIsRefused) {
    std::string t = tokens.issue("alice@example.com");
    expect_refused(t + ".", "trailing dot");
    expect_refused(t + ".xyz", "fourth segment");
    std::string t4 = forge(kHs256, good_claims());
    expect_refused(t4 + "." + b64url(hmac(EVP_sha256(), kSecret, t4)), "fourth segment, signed");
}

TEST_F(TokensTest, TypOtherThanJwtIsRefused) {
    expect_refused(forge(R"({"alg":"HS256","typ":"at+jwt"})", good_claims()), "typ at+jwt");
    expect_refused(forge(R"({"alg":"HS256","typ":"JWS"})", good_claims()), "typ JWS");
}

TEST_F(TokensTest, PayloadWithNulOrHugeIntegerIsRefused) {
    expect_refused(forge(kHs256, R"({"sub":"alice@example.com\u0000x","iat":)" + std::to_string(now()) +
                                     R"(,"exp":)" + std::to_string(now() + 600) + "}"),
                   "NUL in sub");
    expect_refused(forge(kHs256, R"({"sub":"alice@example.com","iat":)" + std::to_string(now()) +
                                     R"(,"exp":99999999999999999999})"),
                   "exp beyond int64");
}

TEST(TokensConstruction, RefusesUnsupportedAlgorithmsAndAnEmptySecret) {
    EXPECT_THROW(Tokens(kSecret, "none", 30), std::invalid_argument);
    EXPECT_THROW(Tokens(kSecret, "hs256", 30), std::invalid_argument);
    EXPECT_THROW(Tokens(kSecret, "RS256", 30), std::invalid_argument);
    EXPECT_THROW(Tokens(kSecret, "", 30), std::invalid_argument);
    EXPECT_THROW(Tokens("", "HS256", 30), std::invalid_argument);
    EXPECT_NO_THROW(Tokens(kSecret, "HS384", 30));
}

TEST(TokensConstruction, HS512ConfiguredRefusesHS256) {
    Tokens hs512(kSecret, "HS512", kMinutes);
    std::string why;
    auto c = hs512.verify(hs512.issue("dave@example.com"), &why);
    ASSERT_TRUE(c) << why;
    EXPECT_EQ(c->subject, "dave@example.com");
    EXPECT_TRUE(hs512.verify(forge(R"({"alg":"HS512","typ":"JWT"})", good_claims(), EVP_sha512()), &why)) << why;
    EXPECT_FALSE(hs512.verify(forge(kHs256, good_claims()), &why));
    EXPECT_FALSE(hs512.verify(Tokens(kSecret, "HS256", kMinutes).issue("dave@example.com"), &why));
}

TEST(BearerToken, TakesTheTokenOfABearerHeaderInAnyCase) {
    EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
    EXPECT_EQ(bearer_token("bearer abc.def.ghi"), "abc.def.ghi");
    EXPECT_EQ(bearer_token("BEARER abc.def.ghi"), "abc.def.ghi");
    EXPECT_EQ(bearer_token("bEaReR abc"), "abc");
}

TEST(BearerToken, ExtraSpacesAroundTheTokenAreIgnored) {
    EXPECT_EQ(bearer_token("Bearer    abc.def.ghi"), "abc.def.ghi");
    EXPECT_EQ(bearer_token("Bearer abc.def.ghi   "), "abc.def.ghi");
    EXPECT_EQ(bearer_token("Bearer   abc   "), "abc");
}

TEST(BearerToken, NoTokenIsNothing) {
    EXPECT_EQ(bearer_token(nullptr), std::nullopt);
    EXPECT_EQ(bearer_token(""), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer      "), std::nullopt);
    EXPECT_EQ(bearer_token("bearer"), std::nullopt);
}

TEST(BearerToken, OtherSchemesAndMalformedHeadersAreNothing) {
    EXPECT_EQ(bearer_token("Basic YWxpY2U6c2VjcmV0"), std::nullopt);
    EXPECT_EQ(bearer_token("Token abc"), std::nullopt);
    EXPECT_EQ(bearer_token("Digest username=\"a\""), std::nullopt);
    EXPECT_EQ(bearer_token("abc.def.ghi"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearerabc.def.ghi"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer: abc"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer abc def"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearers abc"), std::nullopt);
}

}  // namespace
