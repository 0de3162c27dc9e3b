// Internal to the cache's writers (RecordWriter, CatalogSettingsWriter): a
// SCAN walk over the keyspace, one step's keys at a time.
//
//   ScanKeys(client, absl::StrCat(GlobEscape(prefix), "*"), /*count=*/500,
//            deadline,
//            [](std::vector<std::string> keys, ScanStatusCallback next) {
//              ...; next(absl::OkStatus());
//            },
//            [](absl::Status s) { ... });
//
// Errors (to `done`): the SCAN's, mapped as in cache/redis_reply.h
// (Unavailable, DeadlineExceeded, ...); Internal for a reply of an
// unexpected shape; or the first error a chunk passed to its `next`.
//
// Thread safety: the callbacks run on the client's loop thread; the client
// must outlive the walk.
#ifndef AVAILABILITY_CACHE_KEY_SCAN_H_
#define AVAILABILITY_CACHE_KEY_SCAN_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cache/redis_client.h"

namespace availability::cache {

using ScanStatusCallback = std::function<void(absl::Status)>;
// Receives one SCAN step's keys and calls `next` (OK: go on; an error: stop
// with it).
using ScanChunk =
    std::function<void(std::vector<std::string> keys, ScanStatusCallback next)>;

// Escapes the glob characters of Redis' MATCH.
std::string GlobEscape(absl::string_view s);

// SCANs the whole keyspace for the keys matching the MATCH pattern `match`,
// `count` keys per step (at least 1), handing each step's keys (none: the
// step is skipped) to `chunk` before the next step; `done` gets OK after
// the last step, or the first error. The next step is asked for while a
// chunk is handled (one step ahead at most).
void ScanKeys(RedisClient& client, std::string match, int count,
              absl::Time deadline, ScanChunk chunk, ScanStatusCallback done);

}  // namespace availability::cache

#endif  // AVAILABILITY_CACHE_KEY_SCAN_H_
