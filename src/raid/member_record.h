// The records an array keeps on its members, beside their blocks (BlockDevice::GetMeta/PutMeta,
// docs/protocol.md), and their text encoding. Pure values: no I/O.
//
// MemberRecord (meta key "member", one per member), md's superblock: the array's identity and
// geometry, the member's own index, and the array's view of its members' health: a generation
// (event count) that grows whenever the set of failed members changes, and that set. A member
// being rebuilt carries how many of its stripes are rebuilt so far (a resumable repair).
//
// LockRecord (meta key "lock" on every member the lock is held on): who holds the lock, what
// long command it runs, and whether that holder may have left stripes inconsistent (write
// intent, md's bitmap at the granularity of the whole array). When released, the record becomes
// a note of the array's generation and dirtiness at release, so the next holder learns both
// from its Lock and Claim replies without another request.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/bytes.h"
#include "core/status.h"

namespace memoryfs::raid {

inline constexpr char kMemberKey[] = "member";
inline constexpr char kLockKey[] = "lock";

struct MemberRecord {
  std::string array_id;  // 32 hex digits, chosen when the array is created
  int num_blocks = 0;    // the array's -nb and -bs
  int block_size = 0;
  int members = 0;  // N
  int index = -1;   // this member's place, 0..N-1
  // The file system's -ni and -is, as the shell that made the array was given them (0: not
  // recorded, an array made before they were).
  int num_inodes = 0;
  int inode_size = 0;
  int64_t generation = 0;
  // Failed members: index -> stripes rebuilt so far (0 unless a repair of it was interrupted).
  std::map<int, int> failed;

  bool operator==(const MemberRecord&) const = default;
};

Bytes EncodeMember(const MemberRecord& record);
// kInvalidArgument naming the first thing wrong for anything else than EncodeMember's output.
Result<MemberRecord> DecodeMember(const Bytes& bytes);

struct LockRecord {
  enum class Kind { kHeld, kReleased };
  Kind kind = Kind::kHeld;
  std::string holder;      // kHeld: who ("pid 4242 on host, cid 0, since 2026-12-01 10:00:00")
  bool dirty = false;      // stripes may be inconsistent (kHeld: this holder writes; kReleased:
                           // left by a dead holder, not yet resynced)
  std::string doing;       // kHeld: a long command under way ("repair 2"), for `status`
  int64_t generation = 0;  // kReleased: the array's generation at release

  bool operator==(const LockRecord&) const = default;
};

Bytes EncodeLock(const LockRecord& record);
Result<LockRecord> DecodeLock(const Bytes& bytes);

}  // namespace memoryfs::raid
