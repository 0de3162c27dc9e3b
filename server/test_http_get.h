// The loopback HTTP GET of the end-to-end tests now lives in testing/
// (testing/http_get.h); these names keep the tests' spelling.
#ifndef AVAILABILITY_SERVER_TEST_HTTP_GET_H_
#define AVAILABILITY_SERVER_TEST_HTTP_GET_H_

#include "testing/http_get.h"

namespace availability::server {
using ::availability::testing::HttpAnswer;
using ::availability::testing::HttpGet;
}  // namespace availability::server

#endif  // AVAILABILITY_SERVER_TEST_HTTP_GET_H_
