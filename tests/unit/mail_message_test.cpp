// The message send_email hands to sendmail: its headers in order, the
// RFC 2047 words of non-ASCII text (decoded here and checked to round-trip),
// the checks that refuse a message, and the Message-ID.
#include "services/job-worker/mail_message.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using usersuite::compose_mail;
using usersuite::header_text;
using usersuite::MailMessage;
using usersuite::mail_message_problem;
using usersuite::new_message_id;

// 2023-11-14 22:13:20 UTC, a Tuesday.
constexpr std::time_t kDate = 1700000000;
const std::string kId = "<11111111-2222-4333-8444-555555555555@example.com>";

MailMessage message() {
    return MailMessage{"User Suite <noreply@example.com>", "alice@example.org", "Alice", "Welcome",
                       "Hello Alice,\n\nwelcome aboard.\n"};
}

// Standard base64 with padding; throws on anything else.
std::string base64_decode(const std::string& in) {
    static const std::string abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (in.size() % 4 != 0) throw std::runtime_error("base64 length " + std::to_string(in.size()));
    std::string out;
    for (std::size_t i = 0; i < in.size(); i += 4) {
        unsigned v = 0;
        int pad = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            char c = in[i + j];
            unsigned six = 0;
            if (c == '=') {
                if (i + 4 != in.size() || j < 2) throw std::runtime_error("misplaced padding");
                ++pad;
            } else {
                if (pad != 0) throw std::runtime_error("data after padding");
                std::size_t p = abc.find(c);
                if (p == std::string::npos) throw std::runtime_error(std::string("not base64: ") + c);
                six = static_cast<unsigned>(p);
            }
            v = (v << 6) | six;
        }
        out += static_cast<char>((v >> 16) & 0xff);
        if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
        if (pad < 1) out += static_cast<char>(v & 0xff);
    }
    return out;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF,
// no truncated sequence.
bool valid_utf8(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t len;
        unsigned cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

std::vector<std::string> split(const std::string& s, const std::string& sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t at = s.find(sep, start);
        if (at == std::string::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, at - start));
        start = at + sep.size();
    }
}

// The text of one "=?UTF-8?B?...?=" word; fails the test otherwise.
std::string decode_word(const std::string& word) {
    const std::string head = "=?UTF-8?B?", tail = "?=";
    EXPECT_EQ(word.rfind(head, 0), 0u) << word;
    EXPECT_GE(word.size(), head.size() + tail.size()) << word;
    if (word.rfind(head, 0) != 0 || word.size() < head.size() + tail.size()) return "";
    EXPECT_EQ(word.substr(word.size() - 2), tail) << word;
    std::string payload = word.substr(head.size(), word.size() - head.size() - tail.size());
    try {
        return base64_decode(payload);
    } catch (const std::exception& e) {
        ADD_FAILURE() << word << ": " << e.what();
        return "";
    }
}

// Checks the words header_text(text) made and returns their decoded concatenation.
std::string decode_header_text(const std::string& encoded) {
    std::string all;
    for (const std::string& word : split(encoded, "\n ")) {
        EXPECT_LE(word.size(), 75u) << word;
        EXPECT_EQ(word.find_first_of(" \t\r\n"), std::string::npos) << word;
        std::string text = decode_word(word);
        EXPECT_FALSE(text.empty()) << "empty word " << word;
        EXPECT_TRUE(valid_utf8(text)) << "word " << word << " splits a character";
        all += text;
    }
    return all;
}

struct Parsed {
    std::vector<std::pair<std::string, std::string>> headers;  // value with folds kept
    std::string body;
};

// Splits at the first blank line; a line starting with a space continues
// the previous header.
Parsed parse(const std::string& mail) {
    Parsed p;
    std::size_t blank = mail.find("\n\n");
    EXPECT_NE(blank, std::string::npos) << "no blank line after the headers";
    if (blank == std::string::npos) return p;
    p.body = mail.substr(blank + 2);
    for (const std::string& line : split(mail.substr(0, blank), "\n")) {
        if (!line.empty() && line[0] == ' ' && !p.headers.empty()) {
            p.headers.back().second += "\n" + line;
            continue;
        }
        std::size_t colon = line.find(": ");
        EXPECT_NE(colon, std::string::npos) << "not a header: " << line;
        if (colon == std::string::npos) continue;
        p.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    }
    return p;
}

std::string header(const Parsed& p, const std::string& name) {
    for (const auto& [k, v] : p.headers)
        if (k == name) return v;
    ADD_FAILURE() << "no " << name << " header";
    return "";
}

// ---- compose_mail

TEST(MailCompose, HeadersInOrderThenABlankLineThenTheBody) {
    std::string mail = compose_mail(message(), kDate, kId);
    EXPECT_EQ(mail,
              "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
              "From: User Suite <noreply@example.com>\n"
              "To: \"Alice\" <alice@example.org>\n"
              "Subject: Welcome\n"
              "Message-ID: <11111111-2222-4333-8444-555555555555@example.com>\n"
              "MIME-Version: 1.0\n"
              "Content-Type: text/plain; charset=UTF-8\n"
              "Content-Transfer-Encoding: 8bit\n"
              "\n"
              "Hello Alice,\n\nwelcome aboard.\n");
    EXPECT_EQ(mail.find('\r'), std::string::npos) << "sendmail -t reads LF line ends";
    Parsed p = parse(mail);
    std::vector<std::string> names;
    for (const auto& h : p.headers) names.push_back(h.first);
    EXPECT_EQ(names, (std::vector<std::string>{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
                                               "Content-Type", "Content-Transfer-Encoding"}));
}

TEST(MailCompose, DateIsRfc5322InGmt) {
    EXPECT_EQ(header(parse(compose_mail(message(), 0, kId)), "Date"), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(header(parse(compose_mail(message(), kDate, kId)), "Date"), "Tue, 14 Nov 2023 22:13:20 +0000");
    // 2024-02-29 09:05:07 UTC: a leap day, single-digit hour, minute and second.
    EXPECT_EQ(header(parse(compose_mail(message(), 1709197507, kId)), "Date"), "Thu, 29 Feb 2024 09:05:07 +0000");
    // Whatever the local time zone is.
    const char* old = std::getenv("TZ");
    std::string saved = old ? old : "";
    ::setenv("TZ", "America/New_York", 1);
    ::tzset();
    std::string date = header(parse(compose_mail(message(), kDate, kId)), "Date");
    if (old) ::setenv("TZ", saved.c_str(), 1); else ::unsetenv("TZ");
    ::tzset();
    EXPECT_EQ(date, "Tue, 14 Nov 2023 22:13:20 +0000");
}

TEST(MailCompose, BodyGetsAFinalNewlineOnlyWhenItLacksOne) {
    MailMessage m = message();
    m.body = "no newline at the end";
    EXPECT_EQ(parse(compose_mail(m, kDate, kId)).body, "no newline at the end\n");
    m.body = "one\ntwo\n";
    EXPECT_EQ(parse(compose_mail(m, kDate, kId)).body, "one\ntwo\n");
    m.body = "Gr\xc3\xbc\xc3\x9f" "e\n";  // UTF-8 goes as is (8bit)
    EXPECT_EQ(parse(compose_mail(m, kDate, kId)).body, "Gr\xc3\xbc\xc3\x9f" "e\n");
}

TEST(MailCompose, AsciiNameIsQuotedWithQuotesAndBackslashesEscaped) {
    MailMessage m = message();
    m.to_name = "Alice \"Al\" O'Neil \\ Co.";
    EXPECT_EQ(header(parse(compose_mail(m, kDate, kId)), "To"),
              "\"Alice \\\"Al\\\" O'Neil \\\\ Co.\" <alice@example.org>");
    m.to_name = "Smith, John";
    EXPECT_EQ(header(parse(compose_mail(m, kDate, kId)), "To"), "\"Smith, John\" <alice@example.org>");
}

TEST(MailCompose, EmptyNameGivesTheBareAddress) {
    MailMessage m = message();
    m.to_name = "";
    EXPECT_EQ(header(parse(compose_mail(m, kDate, kId)), "To"), "alice@example.org");
}

TEST(MailCompose, NonAsciiNameIsAnEncodedWordBeforeTheAddress) {
    MailMessage m = message();
    m.to_name = "Zo\xc3\xab M\xc3\xbcller";  // Zoë Müller
    std::string to = header(parse(compose_mail(m, kDate, kId)), "To");
    const std::string suffix = " <alice@example.org>";
    ASSERT_GT(to.size(), suffix.size());
    EXPECT_EQ(to.substr(to.size() - suffix.size()), suffix) << to;
    std::string name = to.substr(0, to.size() - suffix.size());
    EXPECT_EQ(name.front(), '=') << "an encoded word is not quoted: " << to;
    EXPECT_EQ(decode_header_text(name), m.to_name);
    EXPECT_EQ(to.find('\\'), std::string::npos);
    // Every header is 7-bit.
    std::string mail = compose_mail(m, kDate, kId);
    std::string head = mail.substr(0, mail.find("\n\n"));
    for (char c : head) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << head;
}

TEST(MailCompose, AsciiSubjectIsKeptAsIs) {
    MailMessage m = message();
    m.subject = "Your code: 1234 (valid 10 min) =?x?";
    EXPECT_EQ(header(parse(compose_mail(m, kDate, kId)), "Subject"), m.subject);
}

TEST(MailCompose, NonAsciiSubjectRoundTripsThroughRfc2047) {
    MailMessage m = message();
    for (std::string subject : {std::string("Willkommen bei \xc3\x9cser Suite"),   // Ü
                                std::string("\xe6\xac\xa2\xe8\xbf\x8e"),             // 欢迎
                                std::string("Hi \xf0\x9f\x91\x8b"),                   // 👋
                                std::string("tab\tinside")}) {                       // not printable
        m.subject = subject;
        std::string encoded = header(parse(compose_mail(m, kDate, kId)), "Subject");
        EXPECT_EQ(encoded.rfind("=?UTF-8?B?", 0), 0u) << encoded;
        EXPECT_EQ(decode_header_text(encoded), subject) << encoded;
    }
    m.subject = "\xc3\xa9t\xc3\xa9";  // été
    EXPECT_EQ(header(parse(compose_mail(m, kDate, kId)), "Subject"), "=?UTF-8?B?w6l0w6k=?=");
}

TEST(MailCompose, LongHeadersAreRefusedAndTheLongestAcceptedFitInALine) {
    // A name or subject over 1000 bytes is refused; up to that, long text is
    // folded into encoded words, and no line nears RFC 5322's 998 bytes.
    MailMessage m = message();
    m.subject = std::string(1001, 's');
    EXPECT_TRUE(mail_message_problem(m).has_value());
    m.subject = std::string(1000, 's');
    m.to_name = std::string(1001, 'n');
    EXPECT_TRUE(mail_message_problem(m).has_value());
    m.to_name = std::string(1000, '"');
    ASSERT_FALSE(mail_message_problem(m).has_value()) << "the message is accepted";
    std::string text = compose_mail(m, kDate, kId);
    for (const std::string& line : split(text, "\n")) EXPECT_LE(line.size(), 78u) << line.substr(0, 40) << "...";
    EXPECT_EQ(decode_header_text(header(parse(text), "Subject")), m.subject);
}

TEST(MailCompose, ShortAsciiHeadersStayPlain) {
    MailMessage m = message();
    m.subject = std::string(200, 's');
    m.to_name = "Ann";
    std::string text = compose_mail(m, kDate, kId);
    EXPECT_NE(text.find("Subject: " + m.subject + "\n"), std::string::npos);
    EXPECT_NE(text.find("To: \"Ann\" <"), std::string::npos);
}

TEST(MailMessageProblem, RejectsANonAsciiFrom) {
    MailMessage m = message();
    m.from = "J\xc3\xb6rg <noreply@example.com>";
    EXPECT_TRUE(mail_message_problem(m).has_value());
}

// ---- header_text

TEST(MailHeaderText, PrintableAsciiIsReturnedAsIs) {
    EXPECT_EQ(header_text(""), "");
    EXPECT_EQ(header_text("Hello, world!"), "Hello, world!");
    EXPECT_EQ(header_text("~ all printable: !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}"),
              "~ all printable: !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}");
}

TEST(MailHeaderText, ShortNonAsciiIsOneWord) {
    std::string text = "Gr\xc3\xbc\xc3\x9f" "e";  // Grüße
    std::string encoded = header_text(text);
    EXPECT_EQ(encoded.find('\n'), std::string::npos) << encoded;
    EXPECT_EQ(decode_header_text(encoded), text);
    EXPECT_EQ(header_text("\xc3\xbc"), "=?UTF-8?B?w7w=?=");
}

TEST(MailHeaderText, LongTextIsSplitIntoWordsThatNeverSplitACharacter) {
    // Mixed widths, so that word boundaries fall next to 2-, 3- and 4-byte characters.
    const std::vector<std::string> pieces = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " "};
    for (std::size_t offset = 0; offset < pieces.size(); ++offset) {
        std::string text;
        for (std::size_t i = 0; i < 200; ++i) text += pieces[(i * 7 + offset + i / 3) % pieces.size()];
        std::string encoded = header_text(text);
        std::vector<std::string> words = split(encoded, "\n ");
        EXPECT_GE(words.size(), 3u) << "a " << text.size() << "-byte text in one word";
        EXPECT_EQ(decode_header_text(encoded), text);
    }
    // Only 3-byte and only 4-byte characters, long.
    for (const std::string& ch : {std::string("\xe6\xbc\xa2"), std::string("\xf0\x9f\x8e\x89")}) {
        std::string text;
        for (int i = 0; i < 97; ++i) text += ch;
        std::string encoded = header_text(text);
        EXPECT_GT(split(encoded, "\n ").size(), 1u);
        EXPECT_EQ(decode_header_text(encoded), text);
    }
}

TEST(MailHeaderText, WordsAreJoinedByNewlineSpaceOnly) {
    std::string text;
    for (int i = 0; i < 60; ++i) text += "\xc3\xa4";  // ä, 120 bytes
    std::string encoded = header_text(text);
    std::size_t folds = 0;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] == '\n') {
            ++folds;
            ASSERT_LT(i + 1, encoded.size());
            EXPECT_EQ(encoded[i + 1], ' ');
        }
    }
    EXPECT_EQ(folds + 1, split(encoded, "\n ").size());
    EXPECT_GE(folds, 1u);
    EXPECT_NE(encoded.back(), '\n');
    EXPECT_EQ(decode_header_text(encoded), text);
}

// ---- mail_message_problem

TEST(MailMessageProblem, AcceptsANormalMessage) {
    EXPECT_EQ(mail_message_problem(message()), std::nullopt);
    MailMessage m = message();
    m.from = "noreply@example.com";
    m.to_name = "";
    m.subject = "\xc3\x9c";
    m.body = "";
    EXPECT_EQ(mail_message_problem(m), std::nullopt);
    m.to_name = "O'Neil, \"Al\"";  // quoting is compose_mail's job
    EXPECT_EQ(mail_message_problem(m), std::nullopt);
}

TEST(MailMessageProblem, RejectsLineBreaksInHeaders) {
    for (const std::string& bad : {std::string("a\nb"), std::string("a\rb"), std::string("a\r\nb"),
                                   std::string("\n"), std::string("end\n")}) {
        MailMessage m = message();
        m.from = "User Suite <noreply@example.com>" + bad;
        EXPECT_TRUE(mail_message_problem(m).has_value()) << "from " << bad;
        m = message();
        m.to = "alice@example.org" + bad;
        EXPECT_TRUE(mail_message_problem(m).has_value()) << "to " << bad;
        m = message();
        m.to_name = "Alice" + bad;
        EXPECT_TRUE(mail_message_problem(m).has_value()) << "name " << bad;
        m = message();
        m.subject = "Welcome" + bad + "Bcc: victim@example.net";
        EXPECT_TRUE(mail_message_problem(m).has_value()) << "subject " << bad;
    }
}

TEST(MailMessageProblem, RejectsAToThatIsNotOnePlainAddress) {
    for (const char* to : {"<alice@example.org>", "Alice <alice@example.org>", "alice@example.org>",
                                  "a@example.org,b@example.org", "a@example.org, b@example.org",
                                  "alice @example.org", " alice@example.org"}) {
        MailMessage m = message();
        m.to = to;
        EXPECT_TRUE(mail_message_problem(m).has_value()) << to;
    }
}

TEST(MailMessageProblem, BodyLinesUpTo998BytesOnly) {
    MailMessage m = message();
    m.body = std::string(998, 'x');
    EXPECT_EQ(mail_message_problem(m), std::nullopt);
    m.body = "short\n" + std::string(998, 'x') + "\nshort\n";
    EXPECT_EQ(mail_message_problem(m), std::nullopt);
    m.body = std::string(999, 'x');
    EXPECT_TRUE(mail_message_problem(m).has_value());
    m.body = "short\n" + std::string(999, 'x') + "\nshort\n";
    EXPECT_TRUE(mail_message_problem(m).has_value());
    m.body = "first\nsecond\n" + std::string(5000, 'y');  // the last line, no newline after it
    EXPECT_TRUE(mail_message_problem(m).has_value());
    // Many short lines add up to far more than 998 bytes.
    m.body.clear();
    for (int i = 0; i < 500; ++i) m.body += "a line of text\n";
    EXPECT_EQ(mail_message_problem(m), std::nullopt);
}

TEST(MailMessageProblem, RejectsAnEmptyFrom) {
    MailMessage m = message();
    m.from = "";
    EXPECT_TRUE(mail_message_problem(m).has_value());
}

// ---- new_message_id

TEST(MailMessageId, IsAnglesAroundRandomAtTheDomainOfFrom) {
    for (const auto& [from, domain] : std::vector<std::pair<std::string, std::string>>{
             {"User Suite <noreply@example.com>", "example.com"},
             {"noreply@example.com", "example.com"},
             {"noreply@mail.example.org", "mail.example.org"},
             {"\"a@b\" <bounce@lists.example.net>", "lists.example.net"},
             {"nobody", "localhost"},
             {"User Suite <nobody>", "localhost"}}) {
        std::string id = new_message_id(from);
        ASSERT_GE(id.size(), 3u) << from;
        EXPECT_EQ(id.front(), '<') << id;
        EXPECT_EQ(id.back(), '>') << id;
        std::size_t at = id.find('@');
        ASSERT_NE(at, std::string::npos) << id;
        EXPECT_EQ(id.find('@', at + 1), std::string::npos) << id;
        EXPECT_EQ(id.substr(at + 1, id.size() - at - 2), domain) << "from " << from << " gave " << id;
        std::string left = id.substr(1, at - 1);
        EXPECT_FALSE(left.empty()) << id;
        EXPECT_EQ(left.find_first_of("<> \t\r\n\"(),:;[]\\"), std::string::npos) << id;
    }
}

TEST(MailMessageId, EveryCallGivesANewOne) {
    std::set<std::string> ids;
    for (int i = 0; i < 200; ++i) ids.insert(new_message_id("noreply@example.com"));
    EXPECT_EQ(ids.size(), 200u);
}

}  // namespace
