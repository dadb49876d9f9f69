// RequestCounts: how many requests of each kind one server received (its Stats method) or one
// client sent to it. Shared by the server and the client so that both count the same things.
#pragma once

#include <cstdint>

namespace memoryfs {

struct RequestCounts {
  int64_t gets = 0;
  int64_t puts = 0;
  int64_t rsms = 0;
  int64_t checksum_errors = 0;  // Get/RSM/Lock answered with a checksum error
  int64_t meta = 0;             // GetMeta/PutMeta/Lock/Unlock (counted here only, not as RSM/Put)
};

}  // namespace memoryfs
