// migrate new NAME
#include <fstream>
#include <iostream>
#include <regex>
#include <sys/stat.h>

#include "services/migrate/commands.hpp"

namespace usersuite::migrate {

int cmd_new(const Run& run) {
    if (run.args.size() != 1) throw UsageError("new takes one NAME");
    const std::string& name = run.args[0];
    static const std::regex valid("^[a-z0-9_]{1,60}$");
    if (!std::regex_match(name, valid)) throw UsageError("NAME must be 1 to 60 of a-z, 0-9 and _, not \"" + name + "\"");
    auto files = load_migrations(run.dir);
    std::string stem = version_label(static_cast<std::int64_t>(files.size()) + 1) + "_" + name;
    std::string up = run.dir + "/" + stem + ".up.sql";
    std::string down = run.dir + "/" + stem + ".down.sql";
    struct stat st;
    if (::stat(up.c_str(), &st) == 0 || ::stat(down.c_str(), &st) == 0)
        throw BadMigrations(stem + " exists already");
    std::ofstream(up) << "-- " << stem << ": what this migration changes, and why.\n"
                      << "-- It runs in one transaction with its version record. For statements that\n"
                      << "-- cannot (CREATE INDEX CONCURRENTLY), make the first line of this file\n"
                      << "-- \"-- migrate:no-transaction\".\n";
    std::ofstream(down) << "-- Undoes " << stem << ".up.sql.\n";
    std::cout << up << "\n" << down << "\n";
    return 0;
}

}  // namespace usersuite::migrate
