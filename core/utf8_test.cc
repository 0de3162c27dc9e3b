#include "core/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace availability::core {
namespace {

TEST(Utf8Test, AcceptsWellFormed) {
  for (const std::string& s :
       {std::string(), std::string("MB-01"), std::string("\xC3\xA9"),
        std::string("\xE2\x82\xAC"), std::string("\xF0\x9F\x98\x80"),
        std::string("a\0b", 3)}) {
    EXPECT_TRUE(IsValidUtf8(s)) << s;
  }
  EXPECT_EQ(Utf8CharLength("\xE2\x82\xAC-"), 3u);
  EXPECT_EQ(Utf8CharLength("x"), 1u);
}

TEST(Utf8Test, RejectsMalformed) {
  const char* const cases[] = {
      "\xFF",              // never a UTF-8 byte
      "\x80",              // lone continuation
      "\xC3",              // truncated
      "\xC0\xAF",          // overlong '/'
      "\xE0\x80\xAF",      // overlong
      "\xED\xA0\x80",      // surrogate U+D800
      "\xF4\x90\x80\x80",  // above U+10FFFF
      "BAD-\xFF",
  };
  for (const char* s : cases) {
    EXPECT_FALSE(IsValidUtf8(s)) << s;
  }
  EXPECT_EQ(Utf8CharLength("\xFF"), 0u);
  EXPECT_EQ(Utf8CharLength(""), 0u);
}

}  // namespace
}  // namespace availability::core
