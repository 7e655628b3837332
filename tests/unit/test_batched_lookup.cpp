#include "libcommon/batched_lookup.hpp"

#include <gtest/gtest.h>

namespace usersuite {
namespace {

TEST(PgTextArray, QuotesEveryItemAndEscapesQuotesAndBackslashes) {
    EXPECT_EQ(pg_text_array({}), "{}");
    EXPECT_EQ(pg_text_array({"a@example.com"}), R"({"a@example.com"})");
    EXPECT_EQ(pg_text_array({"1", "22"}), R"({"1","22"})");
    EXPECT_EQ(pg_text_array({R"(a"b)", R"(c\d)"}), R"({"a\"b","c\\d"})");
    EXPECT_EQ(pg_text_array({"{x,y}", "NULL", ""}), R"({"{x,y}","NULL",""})");
}

}  // namespace
}  // namespace usersuite
