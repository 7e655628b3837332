#include "services/job-worker/mail_message.hpp"

#include <algorithm>

#include "libcommon/request_id.hpp"

namespace usersuite {

namespace {

// Header text longer than this is written as encoded words, which fold, so
// that no line nears RFC 5322's limit of 998 bytes.
constexpr std::size_t kPlainHeaderLimit = 200;

bool printable_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool has_line_break(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

std::string base64(std::string_view in) {
    static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        out += {abc[v >> 18], abc[(v >> 12) & 63], abc[(v >> 6) & 63], abc[v & 63]};
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += {abc[v >> 18], abc[(v >> 12) & 63], i + 1 < in.size() ? abc[(v >> 6) & 63] : '=', '='};
    }
    return out;
}

// Length of the UTF-8 sequence starting with lead byte c.
std::size_t utf8_length(unsigned char c) { return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1; }

std::string quoted_name(std::string_view name) {
    if (!printable_ascii(name) || name.size() > kPlainHeaderLimit) return header_text(name);
    std::string q = "\"";
    for (char c : name) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + "\"";
}

std::string domain_of(const std::string& from) {
    std::size_t at = from.rfind('@');
    if (at == std::string::npos) return "localhost";
    std::size_t end = from.find_first_of("> ", at);
    std::string d = from.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
    return d.empty() ? "localhost" : d;
}

}  // namespace

std::optional<std::string> mail_message_problem(const MailMessage& m) {
    if (m.from.empty()) return "MAIL_FROM is empty";
    if (has_line_break(m.from) || has_line_break(m.to) || has_line_break(m.to_name) || has_line_break(m.subject))
        return "a header (from, to, name or subject) contains a line break";
    if (m.to.find_first_of("<>\",; ") != std::string::npos) return "to must be one plain address";
    if (m.to_name.size() > 1000 || m.subject.size() > 1000) return "name and subject are limited to 1000 bytes";
    if (!printable_ascii(m.from)) return "MAIL_FROM must be printable ASCII";
    std::size_t start = 0;
    while (start <= m.body.size()) {
        std::size_t end = m.body.find('\n', start);
        if (end == std::string::npos) end = m.body.size();
        if (end - start > 998) return "a body line is longer than 998 bytes";
        start = end + 1;
    }
    return std::nullopt;
}

std::string new_message_id(const std::string& from) { return "<" + new_request_id() + "@" + domain_of(from) + ">"; }

std::string header_text(std::string_view text) {
    // Long text is encoded too, since encoded words fold onto several lines.
    if (printable_ascii(text) && text.size() <= kPlainHeaderLimit) return std::string(text);
    // Words of at most 39 input bytes (52 of base64, 64 with the wrapping), so
    // that even "Subject: " and a word stay within RFC 2047's 76 characters;
    // never splitting a character.
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t n = 0;
        while (i + n < text.size()) {
            std::size_t len = utf8_length(static_cast<unsigned char>(text[i + n]));
            if (n + len > 39) break;
            n += len;
        }
        if (n == 0) n = std::min<std::size_t>(text.size() - i, 39);
        if (!out.empty()) out += "\n ";
        out += "=?UTF-8?B?" + base64(text.substr(i, n)) + "?=";
        i += n;
    }
    return out;
}

std::string compose_mail(const MailMessage& m, std::time_t date, const std::string& message_id) {
    char when[64];
    struct tm tm;
    gmtime_r(&date, &tm);
    std::strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    std::string to = m.to_name.empty() ? m.to : quoted_name(m.to_name) + " <" + m.to + ">";
    std::string body = m.body;
    if (!body.empty() && body.back() != '\n') body += '\n';
    return std::string("Date: ") + when + "\n" +
           "From: " + m.from + "\n" +
           "To: " + to + "\n" +
           "Subject: " + header_text(m.subject) + "\n" +
           "Message-ID: " + message_id + "\n" +
           "MIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=UTF-8\n"
           "Content-Transfer-Encoding: 8bit\n"
           "\n" + body;
}

}  // namespace usersuite
