// FUZZ_CHECK(cond) << "details": the invariant check of the fuzz targets.
// Unlike assert() it stays on in every build type; on failure it prints the
// condition, its place and the streamed details, then aborts, which
// libFuzzer reports as a crash and saves the input.
//
//   FUZZ_CHECK(d.in_stock_qty >= 0) << "in_stock_qty " << d.in_stock_qty;
#ifndef AVAILABILITY_FUZZ_FUZZ_CHECK_H_
#define AVAILABILITY_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace availability::fuzz {

// Collects the streamed details and aborts when destroyed.
class CheckFailure {
 public:
  CheckFailure(const char* condition, const char* file, int line) {
    out_ << file << ":" << line << ": FUZZ_CHECK(" << condition << ") failed: ";
  }
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  ~CheckFailure() {
    std::fprintf(stderr, "%s\n", out_.str().c_str());
    std::abort();
  }
  std::ostream& stream() { return out_; }

 private:
  std::ostringstream out_;
};

// Turns the streamed expression into void, so that FUZZ_CHECK is one
// expression (safe inside an unbraced if/else). `&` binds looser than `<<`.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace availability::fuzz

#define FUZZ_CHECK(condition)                                                  \
  (condition)                                                                  \
      ? (void)0                                                                \
      : ::availability::fuzz::Voidify() &                                      \
            ::availability::fuzz::CheckFailure(#condition, __FILE__, __LINE__) \
                .stream()

#endif  // AVAILABILITY_FUZZ_FUZZ_CHECK_H_
