#include "raid/member_record.h"

#include <doctest/doctest.h>

namespace memoryfs::raid {
namespace {

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST_CASE("member records round-trip, failed set and rebuild progress included") {
  MemberRecord r;
  r.array_id = "0123456789abcdef0123456789abcdef";
  r.num_blocks = 256;
  r.block_size = 128;
  r.members = 5;
  r.index = 3;
  r.generation = 17;
  CHECK(DecodeMember(EncodeMember(r)).value() == r);
  r.failed = {{1, 0}, {4, 33}};
  const Bytes encoded = EncodeMember(r);
  CHECK(std::string(encoded.begin(), encoded.end()).find("failed 1:0 4:33\n") != std::string::npos);
  CHECK(DecodeMember(encoded).value() == r);
}

TEST_CASE("malformed member records are refused, naming what is wrong") {
  CHECK(DecodeMember(B("")).status().message() == "not a member record");
  CHECK(DecodeMember(B("memoryfs-raid5-member 1\narray x\n")).status().message() ==
        "member record: missing or bad 'nb'");
  const std::string head = "memoryfs-raid5-member 1\narray x\nnb 8\nbs 8\nmembers 4\n";
  CHECK(DecodeMember(B(head + "index 4\ngeneration 1\nfailed\n")).status().message() ==
        "member record: missing or bad 'index'");
  CHECK(DecodeMember(B(head + "index 1\ngeneration 1\nfailed 9:0\n")).status().message() ==
        "member record: missing or bad 'failed'");
  CHECK(DecodeMember(B(head + "index 1\ngeneration x\nfailed\n")).status().code() ==
        Code::kInvalidArgument);
}

TEST_CASE("lock records: a holder with its intent, and the note left at release") {
  LockRecord held;
  held.holder = "pid 42 on host, cid 0, since 2026-12-01 10:00:00";
  held.dirty = true;
  held.doing = "repair 2";
  CHECK(DecodeLock(EncodeLock(held)).value() == held);
  LockRecord released;
  released.kind = LockRecord::Kind::kReleased;
  released.generation = 9;
  CHECK(DecodeLock(EncodeLock(released)).value() == released);
  CHECK(!DecodeLock(B("pid 42")).ok());
}

}  // namespace
}  // namespace memoryfs::raid
