// An RFC 5322 message with a UTF-8 text body, as a sendmail -t reads it:
// LF line ends, headers first, non-ASCII header text as RFC 2047 words.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace usersuite {

struct MailMessage {
    std::string from;     // as configured: "Name <addr>" or "addr"
    std::string to;       // an address
    std::string to_name;  // may be empty
    std::string subject;
    std::string body;
};

// Why the message cannot be sent as is (a header with a line break, a body
// line over 998 bytes, ...), or nullopt when it can.
std::optional<std::string> mail_message_problem(const MailMessage& m);

// "<random@domain of from>"
std::string new_message_id(const std::string& from);

std::string compose_mail(const MailMessage& m, std::time_t date, const std::string& message_id);

// Text for a header: as is when printable ASCII of at most 200 bytes, else
// =?UTF-8?B?...?= words, one per line after the first.
std::string header_text(std::string_view text);

}  // namespace usersuite
