#include "services/migrate/migration_files.hpp"

#include <dirent.h>
#include <openssl/evp.h>

#include <algorithm>
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
        f.version = version;
        f.name = m[2];
        (m[3] == "up" ? f.up_path : f.down_path) = dir + "/" + file;
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

std::vector<Statement> split_statements(const std::string& text) {
    std::vector<Statement> out;
    std::size_t start = 0, i = 0, n = text.size();
    auto flush = [&](std::size_t end) {
        std::string piece = text.substr(start, end - start);
        bool blank = piece.find_first_not_of(" \t\r\n") == std::string::npos;
        // A piece of comments only is no statement.
        std::string probe = piece;
        std::size_t p = 0;
        bool only_comments = true;
        while (p < probe.size()) {
            if (std::isspace(static_cast<unsigned char>(probe[p]))) { ++p; continue; }
            if (probe.compare(p, 2, "--") == 0) { p = probe.find('\n', p); if (p == std::string::npos) break; continue; }
            only_comments = false;
            break;
        }
        if (!blank && !only_comments) out.push_back({piece, start});
        start = end + 1;
    };
    while (i < n) {
        char c = text[i];
        if (c == '-' && i + 1 < n && text[i + 1] == '-') {
            i = text.find('\n', i);
            if (i == std::string::npos) break;
        } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
            std::size_t end = text.find("*/", i + 2);
            i = end == std::string::npos ? n : end + 2;
            continue;
        } else if (c == '\'' || c == '"') {
            std::size_t j = i + 1;
            while (j < n && !(text[j] == c && !(j + 1 < n && text[j + 1] == c))) j += (text[j] == c) ? 2 : 1;
            i = j + 1;
            continue;
        } else if (c == '$') {
            std::size_t j = i + 1;
            while (j < n && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
            if (j < n && text[j] == '$') {
                std::string tag = text.substr(i, j - i + 1);
                std::size_t end = text.find(tag, j + 1);
                i = end == std::string::npos ? n : end + tag.size();
                continue;
            }
        } else if (c == ';') {
            flush(i);
        }
        ++i;
    }
    if (start < n) flush(n);
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
    return "line " + std::to_string(line) + ", column " + std::to_string(i - line_start + 1);
}

}  // namespace usersuite::migrate
