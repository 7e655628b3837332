#include "libcommon/config.hpp"

#include <strings.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <ostream>

#include "libcommon/cors.hpp"
#include "libcommon/listen_address.hpp"
#include "libcommon/redis_client.hpp"
#include "libcommon/url.hpp"

#include <libpq-fe.h>
#include <sys/stat.h>

extern char** environ;

namespace usersuite {

namespace {

std::string trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

// The value part of KEY=VALUE as dotenv reads it: quotes stripped, and for an
// unquoted value a " #" starts a comment.
std::string unquote(const std::string& raw, bool* ok) {
    std::string v = trim(raw);
    *ok = true;
    if (!v.empty() && v[0] == '#' && !raw.empty() && std::isspace(static_cast<unsigned char>(raw[0]))) return {};
    if (v.empty() || (v[0] != '"' && v[0] != '\'')) {
        for (std::size_t i = 1; i < v.size(); ++i)
            if (v[i] == '#' && std::isspace(static_cast<unsigned char>(v[i - 1]))) return trim(v.substr(0, i));
        return v;
    }
    char q = v[0];
    std::string out;
    std::size_t i = 1;
    for (; i < v.size() && v[i] != q; ++i) {
        if (q == '"' && v[i] == '\\' && i + 1 < v.size()) ++i;
        out.push_back(v[i]);
    }
    if (i >= v.size()) {
        *ok = false;
        return {};
    }
    std::string rest = trim(v.substr(i + 1));
    if (!rest.empty() && rest[0] != '#') *ok = false;
    return out;
}

bool parse_int(const std::string& s, std::int64_t* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

void check_value(const KeySpec& k, const std::string& v) {
    switch (k.type) {
        case KeyType::string:
        case KeyType::path:
            return;
        case KeyType::integer: {
            std::int64_t n;
            if (!parse_int(v, &n) || n < k.min || n > k.max)
                throw ConfigError(k.name, "\"" + v + "\" is not a whole number from " + std::to_string(k.min) +
                                              " to " + std::to_string(k.max));
            return;
        }
        case KeyType::boolean: {
            bool b;
            if (!parse_bool(v, &b)) throw ConfigError(k.name, "\"" + v + "\" is not true or false");
            return;
        }
        case KeyType::choice: {
            std::string all = k.choices;
            std::size_t start = 0;
            while (true) {
                std::size_t bar = all.find('|', start);
                if (all.substr(start, bar - start) == v) return;
                if (bar == std::string::npos) break;
                start = bar + 1;
            }
            throw ConfigError(k.name, "\"" + v + "\" is not one of " + all);
        }
        case KeyType::url: {
            if (v.empty()) return;  // required-ness is checked separately
            std::string why;
            if (!parse_url(v, &why)) throw ConfigError(k.name, why);
            std::string scheme = v.substr(0, v.find(':'));
            std::string all = std::string("|") + k.choices + "|";
            if (all.find("|" + scheme + "|") == std::string::npos) {
                std::string schemes;
                for (char c : std::string(k.choices)) schemes += c == '|' ? std::string(":// or ") : std::string(1, c);
                throw ConfigError(k.name, "the scheme must be " + schemes + "://, not " + scheme);
            }
            if (scheme == "redis" || scheme == "unix") {
                redis_endpoint_from_url(k.name, v);
            } else {
                char* err = nullptr;
                PQconninfoOption* opts = PQconninfoParse(v.c_str(), &err);
                std::string message = err != nullptr ? err : "cannot parse the URL";
                PQfreemem(err);
                if (opts == nullptr) {
                    while (!message.empty() && message.back() == '\n') message.pop_back();
                    throw ConfigError(k.name, message);
                }
                PQconninfoFree(opts);
            }
            return;
        }
        case KeyType::listen: {
            std::string why;
            if (!parse_listen_address(v, &why)) throw ConfigError(k.name, "\"" + v + "\": " + why);
            return;
        }
        case KeyType::origins: {
            std::string why;
            if (!CorsPolicy::parse(v, &why)) throw ConfigError(k.name, why);
            return;
        }
        case KeyType::secret:
            if (v.empty()) throw ConfigError(k.name, "must not be empty");
            return;
    }
}

}  // namespace

void print_config_keys(std::ostream& out, unsigned program) {
    for (const KeySpec& k : config_keys()) {
        if ((k.programs & program) == 0) continue;
        std::string def = k.default_value == nullptr ? "required" : std::string("default \"") + k.default_value + "\"";
        out << "  " << k.name << " (" << def << ")\n      " << k.help << "\n";
    }
}

bool add_override(Config::Sources& sources, const std::string& key_value) {
    std::size_t eq = key_value.find('=');
    if (eq == std::string::npos || eq == 0) return false;
    sources.overrides.emplace_back(key_value.substr(0, eq), key_value.substr(eq + 1));
    return true;
}

bool parse_bool(const std::string& text, bool* out) {
    static const char* yes[] = {"true", "1", "yes", "on"};
    static const char* no[] = {"false", "0", "no", "off"};
    for (const char* y : yes)
        if (strcasecmp(text.c_str(), y) == 0) return *out = true, true;
    for (const char* n : no)
        if (strcasecmp(text.c_str(), n) == 0) return *out = false, true;
    return false;
}

std::vector<std::pair<std::string, std::string>> config_environment() {
    std::vector<std::pair<std::string, std::string>> out;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry = *e;
        std::size_t eq = entry.find('=');
        if (eq == std::string::npos) continue;
        std::string key = entry.substr(0, eq);
        if (find_key(key) != nullptr) out.emplace_back(key, entry.substr(eq + 1));
    }
    return out;
}

void Config::put(const std::string& key, std::string value, std::string origin) {
    values_[key] = {std::move(value), std::move(origin)};
}

Config Config::load(unsigned program, const Sources& sources) {
    Config c;
    for (const KeySpec& k : config_keys())
        if (k.default_value != nullptr) c.put(k.name, k.default_value, "default");

    if (!sources.file.empty()) {
        struct stat st;
        bool exists = ::stat(sources.file.c_str(), &st) == 0;
        if (exists && !S_ISREG(st.st_mode)) throw ConfigError("-c", sources.file + " is not a regular file");
        std::ifstream in(sources.file);
        if (!in) {
            // A missing default file is fine; one that exists but cannot be read is not.
            if (sources.file_required || exists) throw ConfigError("-c", "cannot read " + sources.file);
        } else {
            std::string line;
            for (int number = 1; std::getline(in, line); ++number) {
                std::string where = sources.file + ":" + std::to_string(number);
                std::string t = trim(line);
                if (t.empty() || t[0] == '#') continue;
                if (t.rfind("export ", 0) == 0) t = trim(t.substr(7));
                std::size_t eq = t.find('=');
                if (eq == std::string::npos) throw ConfigError(where, "expected KEY=VALUE");
                std::string key = trim(t.substr(0, eq));
                if (find_key(key) == nullptr) throw ConfigError(key, "unknown key at " + where);
                bool ok;
                std::string value = unquote(t.substr(eq + 1), &ok);
                if (!ok) throw ConfigError(key, "unbalanced quotes at " + where);
                c.put(key, value, where);
            }
        }
    }
    for (const auto& [key, value] : sources.environment) c.put(key, value, "environment");
    for (const auto& [key, value] : sources.overrides) {
        if (find_key(key) == nullptr) throw ConfigError(key, "unknown key given with -o");
        c.put(key, value, "flag");
    }
    c.validate(program);
    return c;
}

void Config::validate(unsigned program) const {
    for (const KeySpec& k : config_keys()) {
        if ((k.programs & program) == 0) continue;
        auto it = values_.find(k.name);
        if (it == values_.end() || (k.default_value == nullptr && it->second.first.empty()))
            throw ConfigError(k.name, "is required; set it in the config file, the environment or with -o");
        check_value(k, it->second.first);
    }
    if ((find_key("SECRET_KEY")->programs & program) != 0 && str("ENVIRONMENT") != "development") {
        const std::string& secret = str("SECRET_KEY");
        if (secret == kPlaceholderSecret)
            throw ConfigError("SECRET_KEY", "is the example placeholder; set a random one (openssl rand -hex 32), "
                                            "or ENVIRONMENT=development for a local setup");
        if (secret.size() < 32)
            throw ConfigError("SECRET_KEY", "must be at least 32 bytes (openssl rand -hex 32)");
    }
}

const std::string& Config::str(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw ConfigError(key, "is not set");
    return it->second.first;
}

std::int64_t Config::integer(const std::string& key) const {
    std::int64_t n = 0;
    if (!parse_int(str(key), &n)) throw ConfigError(key, "is not a whole number");
    return n;
}

bool Config::boolean(const std::string& key) const {
    bool b = false;
    if (!parse_bool(str(key), &b)) throw ConfigError(key, "is not true or false");
    return b;
}

const std::string& Config::origin(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw ConfigError(key, "is not set");
    return it->second.second;
}

}  // namespace usersuite
