#include "services/migrate/migration_files.hpp"

#include <dirent.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

namespace usersuite::migrate {

namespace {

constexpr const char* kNoTransaction = "-- migrate:no-transaction";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw BadMigrations("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string without_cr(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out.push_back(text[i]);
    return out;
}

}  // namespace

std::string MigrationFile::stem() const { return version_label(version) + "_" + name; }

std::string version_label(std::int64_t version) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(version));
    return buf;
}

std::vector<MigrationFile> load_migrations(const std::string& dir) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
    if (!d) throw BadMigrations("cannot open the migrations directory " + dir);
    static const std::regex pattern(R"(^([0-9]{4,})_([a-z0-9_]+)\.(up|down)\.sql$)");
    std::map<std::int64_t, MigrationFile> found;
    while (dirent* e = ::readdir(d.get())) {
        std::string file = e->d_name;
        if (file == "." || file == ".." || file.rfind('.', 0) == 0) continue;
        std::smatch m;
        if (!std::regex_match(file, m, pattern))
            throw BadMigrations(dir + "/" + file + ": not a migration name (NNNN_name.up.sql or NNNN_name.down.sql)");
        std::int64_t version = std::stoll(m[1]);
        MigrationFile& f = found[version];
        if (f.version != 0 && f.name != m[2].str())
            throw BadMigrations("version " + version_label(version) + " has two names: " + f.name + " and " +
                                m[2].str());
        std::string& path = m[3] == "up" ? f.up_path : f.down_path;
        if (!path.empty())
            throw BadMigrations("version " + version_label(version) + " has two " + m[3].str() + " files: " + path +
                                " and " + dir + "/" + file);
        f.version = version;
        f.name = m[2];
        path = dir + "/" + file;
    }
    std::vector<MigrationFile> out;
    std::int64_t expected = 1;
    for (auto& [version, f] : found) {
        if (version != expected)
            throw BadMigrations("gap in the numbering of " + dir + ": expected " + version_label(expected) +
                                ", found " + f.stem());
        if (f.up_path.empty() || f.down_path.empty())
            throw BadMigrations(f.stem() + " has no " + (f.up_path.empty() ? "up" : "down") + " file in " + dir);
        out.push_back(f);
        ++expected;
    }
    return out;
}

Sql read_sql(const std::string& path) {
    Sql s;
    s.text = read_file(path);
    std::string first = s.text.substr(0, s.text.find('\n'));
    if (!first.empty() && first.back() == '\r') first.pop_back();
    s.transactional = first != kNoTransaction;
    return s;
}

std::string file_checksum(const std::string& path) {
    std::string text = without_cr(read_file(path));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0x0f]);
    }
    return out;
}

namespace {

// The end of the comment, quoted text or dollar-quoted text starting at i,
// or i itself when none starts there.
std::size_t skip_token(const std::string& text, std::size_t i) {
    std::size_t n = text.size();
    char c = text[i];
    if (c == '-' && i + 1 < n && text[i + 1] == '-') {
        std::size_t end = text.find('\n', i);
        return end == std::string::npos ? n : end + 1;
    }
    if (c == '/' && i + 1 < n && text[i + 1] == '*') {
        // Block comments nest in PostgreSQL.
        int depth = 0;
        for (std::size_t j = i; j + 1 < n; ++j) {
            if (text[j] == '/' && text[j + 1] == '*') ++depth, ++j;
            else if (text[j] == '*' && text[j + 1] == '/' && --depth == 0) return j + 2;
            else if (text[j] == '*' && text[j + 1] == '/') ++j;
        }
        return n;
    }
    if (c == '\'' || c == '"') {
        // E'...' strings take backslash escapes; elsewhere a quote is doubled.
        bool escapes = c == '\'' && i > 0 && (text[i - 1] == 'E' || text[i - 1] == 'e') &&
                       (i < 2 || !(std::isalnum(static_cast<unsigned char>(text[i - 2])) || text[i - 2] == '_'));
        for (std::size_t j = i + 1; j < n; ++j) {
            if (escapes && text[j] == '\\') {
                ++j;
            } else if (text[j] == c) {
                if (j + 1 < n && text[j + 1] == c) ++j;
                else return j + 1;
            }
        }
        return n;
    }
    if (c == '$') {
        std::size_t j = i + 1;
        while (j < n && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
        if (j < n && text[j] == '$' && !(j > i + 1 && std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
            std::string tag = text.substr(i, j - i + 1);
            std::size_t end = text.find(tag, j + 1);
            return end == std::string::npos ? n : end + tag.size();
        }
    }
    return i;
}

// Nothing but blanks and comments.
bool is_blank(const std::string& piece) {
    for (std::size_t i = 0; i < piece.size();) {
        if (std::isspace(static_cast<unsigned char>(piece[i]))) {
            ++i;
            continue;
        }
        bool comment = piece.compare(i, 2, "--") == 0 || piece.compare(i, 2, "/*") == 0;
        if (!comment) return false;
        i = skip_token(piece, i);
    }
    return true;
}

}  // namespace

std::vector<Statement> split_statements(const std::string& text) {
    std::vector<Statement> out;
    std::size_t start = 0, i = 0;
    while (i < text.size()) {
        std::size_t after = skip_token(text, i);
        if (after != i) {
            i = after;
            continue;
        }
        if (text[i] == ';') {
            std::string piece = text.substr(start, i - start);
            if (!is_blank(piece)) out.push_back({piece, start});
            start = i + 1;
        }
        ++i;
    }
    if (start < text.size() && !is_blank(text.substr(start))) out.push_back({text.substr(start), start});
    return out;
}

std::string describe_position(const std::string& text, std::size_t offset, int position) {
    if (position <= 0) return "";
    // PostgreSQL counts characters, not bytes, from the start of what was sent.
    std::size_t i = offset;
    for (int chars = 1; chars < position && i < text.size(); ++chars) {
        ++i;
        while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xc0) == 0x80) ++i;
    }
    int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(i), '\n'));
    std::size_t line_start = text.rfind('\n', i == 0 ? 0 : i - 1);
    line_start = (line_start == std::string::npos || i == 0) ? 0 : line_start + 1;
    std::size_t column = 1;
    for (std::size_t k = line_start; k < i; ++k)
        if ((static_cast<unsigned char>(text[k]) & 0xc0) != 0x80) ++column;
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace usersuite::migrate
