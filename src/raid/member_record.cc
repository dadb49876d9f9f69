#include "raid/member_record.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace memoryfs::raid {

namespace {

constexpr char kMemberMagic[] = "memoryfs-raid5-member 1";
constexpr char kLockMagic[] = "memoryfs-raid5-lock 1";

// "key value" lines after a magic first line.
class Lines {
 public:
  static Result<Lines> Parse(const Bytes& bytes, const char* magic, const char* what) {
    std::istringstream in(std::string(bytes.begin(), bytes.end()));
    std::string line;
    if (!std::getline(in, line) || line != magic) {
      return Status::Error(Code::kInvalidArgument, std::string("not a ") + what + " record");
    }
    Lines lines;
    lines.what_ = what;
    while (std::getline(in, line)) {
      const size_t space = line.find(' ');
      lines.fields_[line.substr(0, space)] =
          space == std::string::npos ? "" : line.substr(space + 1);
    }
    return lines;
  }
  Result<std::string> Text(const char* key) const {
    auto it = fields_.find(key);
    if (it == fields_.end()) return Bad(key);
    return it->second;
  }
  Result<int64_t> Int(const char* key) const {
    ASSIGN_OR_RETURN(const std::string text, Text(key));
    char* end = nullptr;
    const long long n = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') return Bad(key);
    return static_cast<int64_t>(n);
  }
  Status Bad(const char* key) const {
    return Status::Error(Code::kInvalidArgument,
                         std::string(what_) + " record: missing or bad '" + key + "'");
  }

 private:
  const char* what_ = "";
  std::map<std::string, std::string> fields_;
};

}  // namespace

Bytes EncodeMember(const MemberRecord& r) {
  std::ostringstream out;
  out << kMemberMagic << "\narray " << r.array_id << "\nnb " << r.num_blocks << "\nbs "
      << r.block_size << "\nmembers " << r.members << "\nindex " << r.index << "\ngeneration "
      << r.generation << "\nfs " << r.num_inodes << " " << r.inode_size << "\nfailed";
  for (const auto& [member, rebuilt] : r.failed) out << " " << member << ":" << rebuilt;
  out << "\n";
  return ToBytes(out.str());
}

Result<MemberRecord> DecodeMember(const Bytes& bytes) {
  ASSIGN_OR_RETURN(const Lines lines, Lines::Parse(bytes, kMemberMagic, "member"));
  MemberRecord r;
  ASSIGN_OR_RETURN(r.array_id, lines.Text("array"));
  ASSIGN_OR_RETURN(const int64_t nb, lines.Int("nb"));
  ASSIGN_OR_RETURN(const int64_t bs, lines.Int("bs"));
  ASSIGN_OR_RETURN(const int64_t members, lines.Int("members"));
  ASSIGN_OR_RETURN(const int64_t index, lines.Int("index"));
  ASSIGN_OR_RETURN(r.generation, lines.Int("generation"));
  r.num_blocks = static_cast<int>(nb);
  r.block_size = static_cast<int>(bs);
  r.members = static_cast<int>(members);
  r.index = static_cast<int>(index);
  if (r.members < 1 || r.index < 0 || r.index >= r.members) return lines.Bad("index");
  if (Result<std::string> fs = lines.Text("fs"); fs.ok()) {
    std::istringstream in(*fs);
    if (!(in >> r.num_inodes >> r.inode_size) || r.num_inodes < 0 || r.inode_size < 0) {
      return lines.Bad("fs");
    }
  }
  ASSIGN_OR_RETURN(const std::string failed, lines.Text("failed"));
  std::istringstream in(failed);
  std::string item;
  while (in >> item) {
    int member = -1, rebuilt = -1;
    char colon = 0;
    std::istringstream one(item);
    if (!(one >> member >> colon >> rebuilt) || colon != ':' || member < 0 || member >= r.members ||
        rebuilt < 0) {
      return lines.Bad("failed");
    }
    r.failed[member] = rebuilt;
  }
  return r;
}

Bytes EncodeLock(const LockRecord& r) {
  std::ostringstream out;
  out << kLockMagic << "\n";
  if (r.kind == LockRecord::Kind::kHeld) {
    std::string holder = r.holder;  // one line
    std::replace(holder.begin(), holder.end(), '\n', ' ');
    std::string doing = r.doing;
    std::replace(doing.begin(), doing.end(), '\n', ' ');
    out << "held " << holder << "\n";
    if (!doing.empty()) out << "doing " << doing << "\n";
  } else {
    out << "released\ngeneration " << r.generation << "\n";
  }
  out << "dirty " << (r.dirty ? 1 : 0) << "\n";
  return ToBytes(out.str());
}

Result<LockRecord> DecodeLock(const Bytes& bytes) {
  ASSIGN_OR_RETURN(const Lines lines, Lines::Parse(bytes, kLockMagic, "lock"));
  LockRecord r;
  ASSIGN_OR_RETURN(const int64_t dirty, lines.Int("dirty"));
  r.dirty = dirty != 0;
  if (Result<std::string> holder = lines.Text("held"); holder.ok()) {
    r.kind = LockRecord::Kind::kHeld;
    r.holder = *holder;
    if (Result<std::string> doing = lines.Text("doing"); doing.ok()) r.doing = *doing;
    return r;
  }
  r.kind = LockRecord::Kind::kReleased;
  ASSIGN_OR_RETURN(r.generation, lines.Int("generation"));
  return r;
}

}  // namespace memoryfs::raid
