#include "cache/script_sha1.h"

#include <string>

#include "gtest/gtest.h"

namespace availability::cache {
namespace {

TEST(ScriptSha1Test, KnownVectors) {
  struct Case {
    const char* name;
    std::string input;
    const char* sha1;
  };
  const Case cases[] = {
      {"empty", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {"abc", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {"two_blocks_of_padding",
       "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
      {"million_a", std::string(1000000, 'a'),
       "34aa973cd4c4daa4f61eeb2bdbad27316534016f"},
      {"binary", std::string("\0\xff", 2),
       "aa3e5dcdd77b153f2e59bd0d8794fde33cb4e486"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ScriptSha1(c.input), c.sha1);
  }
}

}  // namespace
}  // namespace availability::cache
