#include "libcommon/request_id.hpp"

#include <event2/keyvalq_struct.h>
#include <strings.h>
#include <sys/random.h>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace usersuite {

namespace {

// The characters api.md allows in a request id: [A-Za-z0-9._:@/-].
constexpr std::array<bool, 256> kIdChar = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c)
        table[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                   c == '_' || c == '-' || c == ':' || c == '@' || c == '/';
    return table;
}();

}  // namespace

bool is_valid_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (unsigned char c : id)
        if (!kIdChar[c]) return false;
    return true;
}

namespace {

// getrandom() per id would be a syscall per request; a per-thread buffer of
// kernel randomness refilled every 256 ids costs one.
class RandomBytes {
public:
    void fill(std::uint8_t* out, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            if (pos_ == buffer_.size()) refill();
            out[i] = buffer_[pos_++];
        }
    }

private:
    void refill() {
        std::size_t got = 0;
        while (got < buffer_.size()) {
            ssize_t r = getrandom(buffer_.data() + got, buffer_.size() - got, 0);
            if (r < 0) throw std::runtime_error("getrandom failed while making a request id");
            got += static_cast<std::size_t>(r);
        }
        pos_ = 0;
    }
    std::array<std::uint8_t, 4096> buffer_{};
    std::size_t pos_ = buffer_.size();
};

}  // namespace

std::string new_request_id() {
    thread_local RandomBytes random;
    std::uint8_t b[16];
    random.fill(b, sizeof b);
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(hex[b[i] >> 4]);
        out.push_back(hex[b[i] & 0x0f]);
    }
    return out;
}

std::string choose_request_id(const evkeyvalq* headers) {
    const char* found = nullptr;
    int count = 0;
    if (headers != nullptr) {
        for (const evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
            if (strcasecmp(h->key, "X-Request-ID") == 0) {
                found = h->value;
                ++count;
            }
        }
    }
    if (count == 1 && is_valid_request_id(found)) return found;
    return new_request_id();
}

}  // namespace usersuite
