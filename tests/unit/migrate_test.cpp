// migrate's parts that need no database: splitting SQL into statements,
// positions in a file, the migrations directory, checksums, versions, the
// checks of the history against the files, and the plans --sql prints.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/migrate/apply.hpp"
#include "services/migrate/commands.hpp"
#include "services/migrate/history.hpp"
#include "services/migrate/migration_files.hpp"
#include "tests/unit/test_support.hpp"

namespace {

using namespace usersuite::migrate;
using testing_support::TempDir;

// The pieces' texts, each checked against its offset in the input.
std::vector<std::string> pieces(const std::string& text) {
    std::vector<std::string> out;
    for (const Statement& s : split_statements(text)) {
        EXPECT_LE(s.offset + s.text.size(), text.size()) << text;
        EXPECT_EQ(text.substr(s.offset, s.text.size()), s.text) << "offset " << s.offset << " in " << text;
        out.push_back(s.text);
    }
    return out;
}

using Pieces = std::vector<std::string>;

// ---- split_statements

TEST(MigrateSplitStatements, SplitsAtTopLevelSemicolonsKeepingOffsets) {
    std::string text = "CREATE TABLE a (x int);\nINSERT INTO a VALUES (1);\nSELECT 1";
    auto s = split_statements(text);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].text, "CREATE TABLE a (x int)");
    EXPECT_EQ(s[0].offset, 0u);
    EXPECT_EQ(s[1].text, "\nINSERT INTO a VALUES (1)");
    EXPECT_EQ(s[1].offset, 23u);
    EXPECT_EQ(s[2].text, "\nSELECT 1");  // the last one needs no semicolon
    EXPECT_EQ(s[2].offset, 49u);
}

TEST(MigrateSplitStatements, SemicolonsInSingleQuotesDoNotSplit) {
    EXPECT_EQ(pieces("SELECT 'a;b'; SELECT 'it''s; fine'"), (Pieces{"SELECT 'a;b'", " SELECT 'it''s; fine'"}));
    EXPECT_EQ(pieces("SELECT '';SELECT ''''"), (Pieces{"SELECT ''", "SELECT ''''"}));
}

TEST(MigrateSplitStatements, SemicolonsInDoubleQuotesDoNotSplit) {
    EXPECT_EQ(pieces("CREATE TABLE \"we;ird\" (\"a\"\";\" int); SELECT 2"),
              (Pieces{"CREATE TABLE \"we;ird\" (\"a\"\";\" int)", " SELECT 2"}));
}

TEST(MigrateSplitStatements, SemicolonsInDollarQuotesDoNotSplit) {
    std::string fn =
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  PERFORM 1;\n  RETURN 2;\nEND;\n$$";
    EXPECT_EQ(pieces(fn + ";\nSELECT f();"), (Pieces{fn, "\nSELECT f()"}));
    // A tagged quote may hold $$ and semicolons; only its own tag closes it.
    std::string tagged = "DO $body$ BEGIN EXECUTE $$SELECT 1;$$; PERFORM 'x;'; END $body$";
    EXPECT_EQ(pieces(tagged + "; SELECT 3"), (Pieces{tagged, " SELECT 3"}));
    std::string underscore = "SELECT $a_1$ ; $b$ ; $a_1$";
    EXPECT_EQ(pieces(underscore + ";SELECT 4"), (Pieces{underscore, "SELECT 4"}));
}

TEST(MigrateSplitStatements, ParametersAreNotDollarQuotes) {
    EXPECT_EQ(pieces("PREPARE p AS SELECT $1 + $2; EXECUTE p(1, 2)"),
              (Pieces{"PREPARE p AS SELECT $1 + $2", " EXECUTE p(1, 2)"}));
}

TEST(MigrateSplitStatements, SemicolonsInCommentsDoNotSplit) {
    EXPECT_EQ(pieces("-- one; two\nSELECT 1; SELECT 2"), (Pieces{"-- one; two\nSELECT 1", " SELECT 2"}));
    EXPECT_EQ(pieces("SELECT /* a; b */ 1; SELECT 2"), (Pieces{"SELECT /* a; b */ 1", " SELECT 2"}));
    EXPECT_EQ(pieces("/* multi\n line; */\nSELECT 1"), (Pieces{"/* multi\n line; */\nSELECT 1"}));
    // A quote inside a comment opens nothing.
    EXPECT_EQ(pieces("-- it's\nSELECT 1; SELECT 2"), (Pieces{"-- it's\nSELECT 1", " SELECT 2"}));
    EXPECT_EQ(pieces("/* don't */ SELECT 1; SELECT 2"), (Pieces{"/* don't */ SELECT 1", " SELECT 2"}));
}

TEST(MigrateSplitStatements, EmptyPiecesAreDropped) {
    EXPECT_TRUE(pieces("").empty());
    EXPECT_TRUE(pieces(" \n\t").empty());
    EXPECT_TRUE(pieces(";;\n ; \r\n;").empty());
    EXPECT_EQ(pieces(";SELECT 1;;\n;SELECT 2;\n"), (Pieces{"SELECT 1", "SELECT 2"}));
}

TEST(MigrateSplitStatements, LineCommentOnlyPiecesAreDropped) {
    EXPECT_EQ(pieces("-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- the end\n"),
              (Pieces{"-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a)"}));
    EXPECT_EQ(pieces("SELECT 1; -- trailing"), (Pieces{"SELECT 1"}));
    EXPECT_TRUE(pieces("-- only\n-- comments; here\n").empty());
}

TEST(MigrateSplitStatements, BlockCommentOnlyPiecesAreDropped) {
    EXPECT_EQ(pieces("SELECT 1;\n/* the end */\n"), (Pieces{"SELECT 1"}));
    EXPECT_EQ(pieces("SELECT 1;\n-- a\n/* b */\n;SELECT 2"), (Pieces{"SELECT 1", "SELECT 2"}));
    EXPECT_TRUE(pieces("/* nothing; here */").empty());
}

TEST(MigrateSplitStatements, UnterminatedQuotesAndCommentsRunToTheEnd) {
    EXPECT_EQ(pieces("SELECT 'a; b"), (Pieces{"SELECT 'a; b"}));
    EXPECT_EQ(pieces("SELECT $$a; b"), (Pieces{"SELECT $$a; b"}));
    EXPECT_EQ(pieces("SELECT 1 /* a; b"), (Pieces{"SELECT 1 /* a; b"}));
}

// PostgreSQL's lexer: E'...' strings take backslash escapes, so \' does not
// close them.
TEST(MigrateSplitStatements, BackslashEscapedQuoteInEStringDoesNotClose) {
    EXPECT_EQ(pieces("SELECT E'a\\';b'; SELECT 2"), (Pieces{"SELECT E'a\\';b'", " SELECT 2"}));
}

// PostgreSQL's block comments nest.
TEST(MigrateSplitStatements, NestedBlockCommentsDoNotSplit) {
    EXPECT_EQ(pieces("/* a /* b */ c; d */ SELECT 1; SELECT 2"),
              (Pieces{"/* a /* b */ c; d */ SELECT 1", " SELECT 2"}));
}

// ---- describe_position

TEST(MigrateDescribePosition, LineAndColumnFromTheStartOfTheFile) {
    std::string text = "CREATE TABLE a (x int);\nINSERT INTO a SELECT * FROM nope;\n";
    EXPECT_EQ(describe_position(text, 0, 1), "line 1, column 1");
    EXPECT_EQ(describe_position(text, 0, 8), "line 1, column 8");
    EXPECT_EQ(describe_position(text, 0, 24), "line 1, column 24");  // the newline itself
    EXPECT_EQ(describe_position(text, 0, 25), "line 2, column 1");
    EXPECT_EQ(describe_position(text, 0, 53), "line 2, column 29");
}

TEST(MigrateDescribePosition, UnknownPositionIsEmpty) {
    EXPECT_EQ(describe_position("SELECT 1", 0, 0), "");
    EXPECT_EQ(describe_position("SELECT 1", 0, -3), "");
}

TEST(MigrateDescribePosition, CountsFromTheStatementsOffset) {
    // As a no-transaction file runs: each statement is sent alone, and the
    // server's position counts from the start of what was sent.
    std::string text = "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\nSELEC 1;\n";
    auto s = split_statements(text);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(describe_position(text, s[1].offset, 2), "line 3, column 1");  // 1 is the newline before it
    EXPECT_EQ(describe_position(text, s[1].offset, 8), "line 3, column 7");
    EXPECT_EQ(describe_position(text, s[0].offset, 27), "line 2, column 1");
}

TEST(MigrateDescribePosition, PositionPastTheEndStopsAtTheEnd) {
    EXPECT_EQ(describe_position("ab\ncd", 0, 100), "line 2, column 3");
}

TEST(MigrateDescribePosition, MultibyteCharactersBeforeTheLineDoNotShiftIt) {
    // "é" is two bytes and one character; PostgreSQL counts characters.
    std::string text = "-- é\nnope";
    EXPECT_EQ(describe_position(text, 0, 6), "line 2, column 1");
    EXPECT_EQ(describe_position(text, 0, 7), "line 2, column 2");
}

TEST(MigrateDescribePosition, MultibyteCharacterIsOneColumn) {
    std::string text = "SELECT 'é', nope;";  // nope is character 13
    EXPECT_EQ(describe_position(text, 0, 13), "line 1, column 13");
    std::string euro = "SELECT '€€', x FROM nope";  // 3-byte characters; x is character 14
    EXPECT_EQ(describe_position(euro, 0, 14), "line 1, column 14");
    std::string second_line = "SELECT 1;\n  '日本', nope";
    EXPECT_EQ(describe_position(second_line, 0, 19), "line 2, column 9");
}

// ---- load_migrations

void pair(const TempDir& dir, const std::string& stem) {
    dir.write(stem + ".up.sql", "SELECT 1;\n");
    dir.write(stem + ".down.sql", "SELECT 1;\n");
}

std::string load_error(const std::string& dir) {
    try {
        load_migrations(dir);
    } catch (const BadMigrations& e) {
        return e.what();
    }
    ADD_FAILURE() << "load_migrations(" << dir << ") did not throw";
    return "";
}

TEST(MigrateLoadMigrations, EmptyDirectoryHasNone) {
    TempDir dir;
    EXPECT_TRUE(load_migrations(dir.path()).empty());
}

TEST(MigrateLoadMigrations, MissingDirectoryIsAnError) {
    TempDir dir;
    EXPECT_NE(load_error(dir.file("nope")).find("cannot open the migrations directory"), std::string::npos);
}

TEST(MigrateLoadMigrations, SortedNumericallyWithPaths) {
    TempDir dir;
    for (int v = 12; v >= 1; --v) pair(dir, version_label(v) + "_step_" + std::to_string(v));
    dir.write(".gitkeep", "");  // dot files are not migrations
    auto files = load_migrations(dir.path());
    ASSERT_EQ(files.size(), 12u);
    for (int v = 1; v <= 12; ++v) {
        const MigrationFile& f = files[static_cast<std::size_t>(v - 1)];
        EXPECT_EQ(f.version, v);
        EXPECT_EQ(f.name, "step_" + std::to_string(v));
        EXPECT_EQ(f.stem(), version_label(v) + "_step_" + std::to_string(v));
        EXPECT_EQ(f.up_path, dir.path() + "/" + f.stem() + ".up.sql");
        EXPECT_EQ(f.down_path, dir.path() + "/" + f.stem() + ".down.sql");
    }
}

TEST(MigrateLoadMigrations, GapIsRefusedNamingIt) {
    TempDir dir;
    pair(dir, "0001_a");
    pair(dir, "0003_c");
    std::string e = load_error(dir.path());
    EXPECT_NE(e.find("gap"), std::string::npos) << e;
    EXPECT_NE(e.find("expected 0002"), std::string::npos) << e;
    EXPECT_NE(e.find("0003_c"), std::string::npos) << e;
}

TEST(MigrateLoadMigrations, NotStartingAtOneIsAGap) {
    TempDir dir;
    pair(dir, "0002_b");
    EXPECT_NE(load_error(dir.path()).find("expected 0001"), std::string::npos);
    TempDir zero;
    pair(zero, "0000_z");
    pair(zero, "0001_a");
    EXPECT_NE(load_error(zero.path()).find("expected 0001, found 0000_z"), std::string::npos);
}

TEST(MigrateLoadMigrations, OneVersionWithTwoNamesIsRefused) {
    TempDir dir;
    pair(dir, "0001_a");
    pair(dir, "0002_b");
    pair(dir, "0002_c");
    std::string e = load_error(dir.path());
    EXPECT_NE(e.find("version 0002 has two names"), std::string::npos) << e;
    // Also when the two halves of a pair disagree.
    TempDir halves;
    halves.write("0001_a.up.sql", "");
    halves.write("0001_b.down.sql", "");
    EXPECT_NE(load_error(halves.path()).find("has two names"), std::string::npos);
}

// 0001_a and 00001_a are both version 1: one of the two files would be
// silently ignored.
TEST(MigrateLoadMigrations, OneVersionWrittenTwiceIsRefused) {
    TempDir dir;
    pair(dir, "0001_a");
    dir.write("00001_a.up.sql", "CREATE TABLE other (x int);\n");
    load_error(dir.path());
}

TEST(MigrateLoadMigrations, BadlyNamedFilesAreRefusedByName) {
    for (const char* name : {"0001_Users.up.sql", "1_a.up.sql", "0001_a.sql", "0001-a.up.sql", "0001_a.up.SQL",
                             "README.md", "0001_a.up.sql~", "0001_.up.sql", "0001_a.sideways.sql"}) {
        TempDir dir;
        pair(dir, "0001_a");
        dir.write(name, "");
        std::string e = load_error(dir.path());
        EXPECT_NE(e.find(name), std::string::npos) << name << ": " << e;
        EXPECT_NE(e.find("not a migration name"), std::string::npos) << name << ": " << e;
    }
}

TEST(MigrateLoadMigrations, MissingHalfOfAPairIsRefused) {
    TempDir dir;
    pair(dir, "0001_a");
    dir.write("0002_b.up.sql", "SELECT 1;\n");
    std::string e = load_error(dir.path());
    EXPECT_NE(e.find("0002_b has no down file"), std::string::npos) << e;
    TempDir up;
    up.write("0001_a.down.sql", "SELECT 1;\n");
    EXPECT_NE(load_error(up.path()).find("0001_a has no up file"), std::string::npos);
}

// ---- file_checksum, version_label, read_sql

TEST(MigrateFileChecksum, IsTheSha256OfTheFile) {
    TempDir dir;
    EXPECT_EQ(file_checksum(dir.write("empty", "")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(file_checksum(dir.write("abc", "abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(MigrateFileChecksum, CrlfLineEndingsCountAsLf) {
    TempDir dir;
    std::string lf = file_checksum(dir.write("lf", "CREATE TABLE a (x int);\nSELECT 1;\n"));
    EXPECT_EQ(file_checksum(dir.write("crlf", "CREATE TABLE a (x int);\r\nSELECT 1;\r\n")), lf);
    EXPECT_EQ(file_checksum(dir.write("mixed", "CREATE TABLE a (x int);\r\nSELECT 1;\n")), lf);
    EXPECT_NE(file_checksum(dir.write("edited", "CREATE TABLE a (x bigint);\nSELECT 1;\n")), lf);
    EXPECT_NE(file_checksum(dir.write("blank", "CREATE TABLE a (x int);\nSELECT 1;\n\n")), lf);
    // A carriage return that ends no line is content.
    EXPECT_NE(file_checksum(dir.write("cr", "a\rb")), file_checksum(dir.write("ab", "ab")));
}

TEST(MigrateFileChecksum, UnreadableFileThrows) {
    TempDir dir;
    EXPECT_THROW(file_checksum(dir.file("missing")), BadMigrations);
}

TEST(MigrateVersionLabel, FourDigitsAtLeast) {
    EXPECT_EQ(version_label(0), "0000");
    EXPECT_EQ(version_label(1), "0001");
    EXPECT_EQ(version_label(42), "0042");
    EXPECT_EQ(version_label(9999), "9999");
    EXPECT_EQ(version_label(12345), "12345");
}

TEST(MigrateReadSql, NoTransactionMarkerOnTheFirstLine) {
    TempDir dir;
    EXPECT_TRUE(read_sql(dir.write("a", "CREATE TABLE a (x int);\n")).transactional);
    EXPECT_FALSE(read_sql(dir.write("b", "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n"))
                     .transactional);
    EXPECT_FALSE(read_sql(dir.write("c", "-- migrate:no-transaction\r\nSELECT 1;\r\n")).transactional);
    EXPECT_FALSE(read_sql(dir.write("d", "-- migrate:no-transaction")).transactional);
    // Only the first line, and only exactly that comment.
    EXPECT_TRUE(read_sql(dir.write("e", "\n-- migrate:no-transaction\nSELECT 1;\n")).transactional);
    EXPECT_TRUE(read_sql(dir.write("f", "SELECT 1; -- migrate:no-transaction\n")).transactional);
    EXPECT_TRUE(read_sql(dir.write("g", "-- migrate:no-transactions\nSELECT 1;\n")).transactional);
    EXPECT_TRUE(read_sql(dir.write("h", "")).transactional);
    std::string text = "-- migrate:no-transaction\nSELECT 1;\n";
    EXPECT_EQ(read_sql(dir.write("i", text)).text, text);
}

TEST(MigrateParseVersion, AsHistoryPrintsIt) {
    TempDir dir;
    pair(dir, "0001_a");
    pair(dir, "0002_add_index");
    pair(dir, "0003_c");
    auto files = load_migrations(dir.path());
    EXPECT_EQ(parse_version("base", files), 0);
    EXPECT_EQ(parse_version("0003", files), 3);
    EXPECT_EQ(parse_version("3", files), 3);
    EXPECT_EQ(parse_version("0002_add_index", files), 2);
    EXPECT_EQ(parse_version("0000", files), 0);
    for (const char* bad : {"", "abc", "-1", "+1", "_x", "0x10", "3a", "Base", "1234567890123456789",
                            "0004",         // no such migration
                            "0002_other",   // a name that is not the file's
                            "0002_add",     // nor a prefix of it
                            "2_add_index"}) // the name with the number as history does not print it
        EXPECT_THROW(parse_version(bad, files), UsageError) << bad;
}

// ---- find_problems: the history against the files

struct Fixture {
    TempDir dir;
    std::vector<MigrationFile> files;
    Fixture() {
        dir.write("0001_a.up.sql", "CREATE TABLE a (x int);\n");
        dir.write("0001_a.down.sql", "DROP TABLE a;\n");
        dir.write("0002_b.up.sql", "CREATE TABLE b (x int);\n");
        dir.write("0002_b.down.sql", "DROP TABLE b;\n");
        files = load_migrations(dir.path());
    }
    AppliedMigration applied(std::int64_t v) const {
        const MigrationFile& f = files[static_cast<std::size_t>(v - 1)];
        AppliedMigration m;
        m.name = f.name;
        m.checksum = file_checksum(f.up_path);
        m.down_checksum = file_checksum(f.down_path);
        m.status = "applied";
        m.applied_at = "2024-01-01T00:00:00Z";
        return m;
    }
};

std::string all(const std::vector<Problem>& problems) {
    std::string out;
    for (const Problem& p : problems) out += p.what + " / " + p.fix + "\n";
    return out;
}

TEST(MigrateFindProblems, NoneWhenHistoryAndFilesAgree) {
    Fixture fx;
    EXPECT_TRUE(find_problems({}, fx.files).empty());
    EXPECT_TRUE(find_problems({{1, fx.applied(1)}}, fx.files).empty());
    EXPECT_TRUE(find_problems({{1, fx.applied(1)}, {2, fx.applied(2)}}, fx.files).empty());
    EXPECT_NO_THROW(require_consistent({{1, fx.applied(1)}}, fx.files));
    EXPECT_EQ(current_version({{1, fx.applied(1)}, {2, fx.applied(2)}}), 2);
    EXPECT_EQ(current_version({}), 0);
}

TEST(MigrateFindProblems, FailedVersionSaysWhatToDo) {
    Fixture fx;
    AppliedMigration failed = fx.applied(2);
    failed.status = "failed";
    History h{{1, fx.applied(1)}, {2, failed}};
    auto problems = find_problems(h, fx.files);
    ASSERT_EQ(problems.size(), 1u) << all(problems);
    EXPECT_NE(problems[0].what.find("0002_b failed outside a transaction"), std::string::npos);
    EXPECT_NE(problems[0].fix.find("migrate baseline 0002"), std::string::npos);
    EXPECT_NE(problems[0].fix.find("migrate baseline 0001"), std::string::npos);
    EXPECT_EQ(current_version(h), 1);
    EXPECT_THROW(require_consistent(h, fx.files), BadMigrations);
}

TEST(MigrateFindProblems, AppliedVersionWithoutAFile) {
    Fixture fx;
    AppliedMigration third = fx.applied(2);
    third.name = "c";
    auto problems = find_problems({{1, fx.applied(1)}, {2, fx.applied(2)}, {3, third}}, fx.files);
    ASSERT_EQ(problems.size(), 1u) << all(problems);
    EXPECT_NE(problems[0].what.find("0003_c is applied in the database but has no file on disk"), std::string::npos);
}

TEST(MigrateFindProblems, RenamedFile) {
    Fixture fx;
    AppliedMigration renamed = fx.applied(2);
    renamed.name = "old_name";
    auto problems = find_problems({{1, fx.applied(1)}, {2, renamed}}, fx.files);
    ASSERT_EQ(problems.size(), 1u) << all(problems);
    EXPECT_NE(problems[0].what.find("applied as 0002_old_name but the file on disk is 0002_b"), std::string::npos);
}

TEST(MigrateFindProblems, EditedUpFileNamedByPath) {
    Fixture fx;
    History h{{1, fx.applied(1)}, {2, fx.applied(2)}};
    fx.dir.write("0001_a.up.sql", "CREATE TABLE a (x int);\r\n");  // line endings only: no edit
    fx.dir.write("0001_a.down.sql", "DROP TABLE a;\r\n");
    EXPECT_TRUE(find_problems(h, fx.files).empty()) << all(find_problems(h, fx.files));
    fx.dir.write("0001_a.up.sql", "CREATE TABLE a (x bigint);\n");
    auto problems = find_problems(h, fx.files);
    ASSERT_EQ(problems.size(), 1u) << all(problems);
    EXPECT_EQ(problems[0].what, fx.dir.path() + "/0001_a.up.sql was edited after it was applied");
    try {
        require_consistent(h, fx.files);
        ADD_FAILURE() << "require_consistent did not throw";
    } catch (const BadMigrations& e) {
        EXPECT_NE(std::string(e.what()).find("0001_a.up.sql was edited"), std::string::npos) << e.what();
    }
}

TEST(MigrateFindProblems, EditedDownFileNamedByPath) {
    Fixture fx;
    History h{{1, fx.applied(1)}, {2, fx.applied(2)}};
    fx.dir.write("0002_b.down.sql", "DROP TABLE b CASCADE;\n");
    auto problems = find_problems(h, fx.files);
    ASSERT_EQ(problems.size(), 1u) << all(problems);
    EXPECT_NE(problems[0].what.find(fx.dir.path() + "/0002_b.down.sql was edited"), std::string::npos)
        << all(problems);
}

TEST(MigrateFindProblems, FailedDownSaysWhatToDo) {
    Fixture fx;
    AppliedMigration failed = fx.applied(2);
    failed.status = "failed_down";
    History h{{1, fx.applied(1)}, {2, failed}};
    auto problems = find_problems(h, fx.files);
    ASSERT_EQ(problems.size(), 1u) << all(problems);
    EXPECT_NE(problems[0].what.find("undoing 0002_b failed"), std::string::npos) << all(problems);
    EXPECT_NE(problems[0].fix.find("migrate baseline 0001"), std::string::npos) << all(problems);
    EXPECT_THROW(require_consistent(h, fx.files), BadMigrations);
}

TEST(MigrateFindProblems, GapInTheHistory) {
    Fixture fx;
    auto problems = find_problems({{2, fx.applied(2)}}, fx.files);
    ASSERT_EQ(problems.size(), 1u) << all(problems);
    EXPECT_NE(problems[0].what.find("records 0002_b but not 0001"), std::string::npos) << all(problems);
}

// ---- plans: what runs, and what --sql prints

TEST(MigratePlan, TransactionalUpRunsTheFileWithItsRecordInOneTransaction) {
    Fixture fx;
    Plan p = plan_migration(fx.files[1], Direction::up);
    EXPECT_TRUE(p.transactional);
    ASSERT_EQ(p.steps.size(), 4u);
    EXPECT_EQ(p.steps[0].sql, "BEGIN;");
    EXPECT_EQ(p.steps[1].sql, "CREATE TABLE b (x int);\n");
    EXPECT_EQ(p.steps[1].file_offset, 0u);
    EXPECT_NE(p.steps[2].sql.find("INSERT INTO schema_migrations"), std::string::npos);
    EXPECT_NE(p.steps[2].sql.find("'" + file_checksum(fx.files[1].up_path) + "'"), std::string::npos);
    EXPECT_NE(p.steps[2].sql.find("'" + file_checksum(fx.files[1].down_path) + "'"), std::string::npos);
    EXPECT_NE(p.steps[2].sql.find("'applied'"), std::string::npos);
    EXPECT_EQ(p.steps[3].sql, "COMMIT;");
    Plan d = plan_migration(fx.files[1], Direction::down);
    ASSERT_EQ(d.steps.size(), 4u);
    EXPECT_EQ(d.steps[1].sql, "DROP TABLE b;\n");
    EXPECT_EQ(d.steps[2].sql, "DELETE FROM schema_migrations WHERE version = 2;");
}

TEST(MigratePlan, NoTransactionRecordsFailedFirstThenEachStatement) {
    TempDir dir;
    dir.write("0001_i.up.sql",
              "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i1 ON t (a);\nCREATE INDEX CONCURRENTLY i2 ON t (b);\n");
    dir.write("0001_i.down.sql", "-- migrate:no-transaction\nDROP INDEX CONCURRENTLY i2;\nDROP INDEX CONCURRENTLY i1;\n");
    auto files = load_migrations(dir.path());
    Plan p = plan_migration(files[0], Direction::up);
    EXPECT_FALSE(p.transactional);
    ASSERT_EQ(p.steps.size(), 4u);
    EXPECT_NE(p.steps[0].sql.find("'failed'"), std::string::npos);
    EXPECT_NE(p.steps[1].sql.find("CREATE INDEX CONCURRENTLY i1 ON t (a);"), std::string::npos);
    EXPECT_NE(p.steps[2].sql.find("CREATE INDEX CONCURRENTLY i2 ON t (b);"), std::string::npos);
    EXPECT_NE(p.steps[3].sql.find("SET status = 'applied'"), std::string::npos);
    for (const Step& s : p.steps) EXPECT_EQ(s.sql.find("BEGIN"), std::string::npos) << s.sql;
    std::string sql = plan_as_sql(p);
    EXPECT_NE(sql.find("(no transaction)"), std::string::npos) << sql;
    Plan d = plan_migration(files[0], Direction::down);
    ASSERT_EQ(d.steps.size(), 4u);
    EXPECT_NE(d.steps[0].sql.find("SET status = 'failed_down'"), std::string::npos);
    EXPECT_EQ(d.steps[3].sql, "DELETE FROM schema_migrations WHERE version = 1;");
}

TEST(MigratePlan, SqlTextHasEveryStepInOrder) {
    Fixture fx;
    std::string sql = plan_as_sql(plan_migration(fx.files[0], Direction::up));
    auto at = [&](const std::string& what) { return sql.find(what); };
    ASSERT_NE(at("BEGIN;"), std::string::npos) << sql;
    EXPECT_LT(at("BEGIN;"), at("CREATE TABLE a (x int);"));
    EXPECT_LT(at("CREATE TABLE a (x int);"), at("INSERT INTO schema_migrations"));
    EXPECT_LT(at("INSERT INTO schema_migrations"), at("COMMIT;"));
    EXPECT_EQ(sql.rfind("-- 0001_a up\n", 0), 0u) << sql;
}

// --sql prints "the exact SQL": a file whose last statement has no
// semicolon runs fine on its own, so the printed script must still end that
// statement before the version record.
TEST(MigratePlan, SqlTextEndsTheFilesLastStatement) {
    TempDir dir;
    dir.write("0001_a.up.sql", "CREATE TABLE a (x int)\n");
    dir.write("0001_a.down.sql", "DROP TABLE a -- no semicolon");
    auto files = load_migrations(dir.path());
    auto up = split_statements(plan_as_sql(plan_migration(files[0], Direction::up)));
    ASSERT_EQ(up.size(), 4u) << plan_as_sql(plan_migration(files[0], Direction::up));
    EXPECT_NE(up[2].text.find("INSERT INTO schema_migrations"), std::string::npos);
    EXPECT_EQ(up[2].text.find("CREATE TABLE"), std::string::npos) << up[2].text;
    auto down = split_statements(plan_as_sql(plan_migration(files[0], Direction::down)));
    ASSERT_EQ(down.size(), 4u) << plan_as_sql(plan_migration(files[0], Direction::down));
    EXPECT_NE(down[2].text.find("DELETE FROM schema_migrations"), std::string::npos);
}

}  // namespace
