// Configuration: an env-style file, then the environment, then -o KEY=VALUE
// flags, later winning. Every key, its default and its meaning live in one
// table (config_keys.cpp); --help, etc/usersuite.env and usersuite.env(5)
// are checked against it by the tests.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace usersuite {

enum class KeyType { string, integer, boolean, choice, url, listen, origins, secret, path };

// Which programs read a key (a bit set).
// kMigrateFiles: the migrate commands that touch only files (new).
enum Program : unsigned {
    kAuthApi = 1,
    kUsersApi = 2,
    kMigrate = 4,
    kMigrateFiles = 8,
    kJobWorker = 16,
    kJobctl = 32,
    kHttpDaemons = kAuthApi | kUsersApi,
    kJobs = kJobWorker | kJobctl,
};

struct KeySpec {
    const char* name;
    const char* default_value;  // nullptr: required
    KeyType type;
    std::int64_t min;           // integer range; unused otherwise
    std::int64_t max;
    const char* choices;        // "|"-separated, for KeyType::choice
    unsigned programs;
    const char* help;
};

const std::vector<KeySpec>& config_keys();
const KeySpec* find_key(const std::string& name);

// A bad or missing value; the program prints "config: KEY: why" and exits 78.
class ConfigError : public std::runtime_error {
public:
    ConfigError(std::string key, const std::string& why)
        : std::runtime_error(key + ": " + why), key_(std::move(key)) {}
    const std::string& key() const { return key_; }

private:
    std::string key_;
};

// The seed's placeholder, refused unless ENVIRONMENT=development.
inline constexpr const char* kPlaceholderSecret = "your-secret-key-change-this-in-production";

class Config {
public:
    struct Sources {
        std::string file;                                   // empty: none
        bool file_required = false;                         // -c given: it must exist
        std::vector<std::pair<std::string, std::string>> environment;
        std::vector<std::pair<std::string, std::string>> overrides;  // flags, in order
    };

    // Throws ConfigError.
    static Config load(unsigned program, const Sources& sources);

    const std::string& str(const std::string& key) const;
    std::int64_t integer(const std::string& key) const;
    bool boolean(const std::string& key) const;
    // Where the value came from: "default", a file:line, "environment", "flag".
    const std::string& origin(const std::string& key) const;

private:
    void put(const std::string& key, std::string value, std::string origin);
    void validate(unsigned program) const;
    std::map<std::string, std::pair<std::string, std::string>> values_;  // key -> (value, origin)
};

// Adds a -o KEY=VALUE flag to sources.overrides; false when it is not
// KEY=VALUE with a non-empty KEY.
bool add_override(Config::Sources& sources, const std::string& key_value);

// The environment of this process, restricted to the table's keys.
std::vector<std::pair<std::string, std::string>> config_environment();

bool parse_bool(const std::string& text, bool* out);

// The keys a program reads, for --help: "  KEY (default "v")" or "(required)",
// then the help text on the next line.
void print_config_keys(std::ostream& out, unsigned program);

}  // namespace usersuite
