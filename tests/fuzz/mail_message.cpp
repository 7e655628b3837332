// A message job-worker accepts (mail_message_problem says nothing) composes
// to headers that no argument can add to, with no line over 998 bytes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "services/job-worker/mail_message.hpp"

namespace {
std::string take(const std::string& text, std::size_t& at, std::size_t n) {
    std::string part = text.substr(std::min(at, text.size()), n);
    at += n;
    return part;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    std::size_t at = 0, quarter = size / 4;
    usersuite::MailMessage m{"User Suite <noreply@example.com>", take(text, at, quarter), take(text, at, quarter),
                             take(text, at, quarter), text.substr(std::min(at, text.size()))};
    if (usersuite::mail_message_problem(m)) return 0;
    std::string mail = usersuite::compose_mail(m, 0, "<id@example.com>");
    std::size_t header_end = mail.find("\n\n");
    if (header_end == std::string::npos) std::abort();
    int headers = 0;
    std::size_t start = 0;
    while (start < mail.size()) {
        std::size_t end = mail.find('\n', start);
        if (end == std::string::npos) end = mail.size();
        if (end - start > 998) std::abort();
        if (start < header_end && mail[start] != ' ') ++headers;  // continuation lines start with a space
        start = end + 1;
    }
    if (headers != 8) std::abort();  // Date From To Subject Message-ID MIME-Version Content-Type -Transfer-Encoding
    return 0;
}
