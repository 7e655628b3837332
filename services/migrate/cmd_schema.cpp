// migrate dump and migrate check: the schema the migrations produce, kept
// in sql/schema.sql, against the schema of a live database.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "services/migrate/commands.hpp"
#include "services/migrate/database.hpp"
#include "services/migrate/history.hpp"

namespace usersuite::migrate {

namespace {

// Runs argv, returns its standard output; its standard error passes through.
std::string capture(const std::vector<std::string>& argv, int* status) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "migrate: cannot run %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int ws = 0;
    while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return out;
}

// pg_dump's output without what changes from run to run or server to
// server: comments (versions, dates), SET lines, the \restrict keys, runs
// of blank lines.
std::string normalise(const std::string& dump) {
    std::istringstream in(dump);
    std::string line, out;
    bool blank = true;
    while (std::getline(in, line)) {
        if (line.rfind("--", 0) == 0 || line.rfind("SET ", 0) == 0 ||
            line.rfind("SELECT pg_catalog.set_config", 0) == 0 || line.rfind("\\restrict", 0) == 0 ||
            line.rfind("\\unrestrict", 0) == 0)
            continue;
        if (line.empty()) {
            if (blank) continue;
            blank = true;
        } else {
            blank = false;
        }
        out += line + "\n";
    }
    while (!out.empty() && out.size() >= 2 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
    return out;
}

std::string live_schema(const Run& run) {
    // Fails fast with 69 when the database is away, before pg_dump says so at length.
    { Database probe(run.database_url, run.connect_timeout_seconds); }
    int status = 0;
    std::string dump = capture({"pg_dump", "--schema-only", "--no-owner", "--no-privileges",
                                "--exclude-table=schema_migrations", "--dbname=" + run.database_url},
                               &status);
    if (status != 0) throw std::runtime_error("pg_dump failed with status " + std::to_string(status));
    return normalise(dump);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw BadMigrations("cannot read " + path + "; write it with `migrate dump`");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

int cmd_dump(const Run& run) {
    if (!run.args.empty()) throw UsageError("dump takes no argument");
    // sql/schema.sql is what the migrations produce: dump only a database
    // that is at the latest of them and agrees with the files.
    auto files = load_migrations(run.dir);
    {
        Database db(run.database_url, run.connect_timeout_seconds);
        History history = load_history(db);
        require_consistent(history, files);
        if (current_version(history) != static_cast<std::int64_t>(files.size()))
            throw BadMigrations("the database is not at the latest migration (" +
                                (files.empty() ? std::string("base") : files.back().stem()) +
                                "); run `migrate up` first, preferably on a fresh database");
    }
    std::string schema = live_schema(run);
    std::string tmp = run.schema_file + ".tmp";
    {
        std::ofstream out(tmp);
        out << "-- The schema the migrations in sql/migrations produce, written by\n"
               "-- `migrate dump` (pg_dump --schema-only, normalised). `migrate check`\n"
               "-- compares a live database with it. Do not edit by hand.\n\n"
            << schema;
        if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    if (::rename(tmp.c_str(), run.schema_file.c_str()) != 0)
        throw std::runtime_error("cannot write " + run.schema_file + ": " + std::strerror(errno));
    std::cout << "wrote " << run.schema_file << "\n";
    return 0;
}

int cmd_check(const Run& run) {
    if (!run.args.empty()) throw UsageError("check takes no argument");
    std::string expected = normalise(read_text(run.schema_file));
    std::string actual = live_schema(run);
    if (expected == actual) {
        std::cout << "the database's schema matches " << run.schema_file << "\n";
        return 0;
    }
    char dir_template[] = "/tmp/migrate-check.XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    std::string dir = dir_template;
    std::ofstream(dir + "/expected") << expected;
    std::ofstream(dir + "/database") << actual;
    int status = 0;
    std::cout << "the database's schema differs from " << run.schema_file << " (- file, + database):\n"
              << capture({"diff", "-u", "--label", run.schema_file, "--label", "database", dir + "/expected",
                          dir + "/database"},
                         &status);
    ::unlink((dir + "/expected").c_str());
    ::unlink((dir + "/database").c_str());
    ::rmdir(dir.c_str());
    return 1;
}

}  // namespace usersuite::migrate
