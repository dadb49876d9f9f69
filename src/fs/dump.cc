#include "fs/dump.h"

#include "fs/pickle.h"

namespace memoryfs::fs {
namespace {

Status Improper(const std::string& what) {
  return Status::Error(Code::kInvalidArgument,
                       "Error: File not in proper format, encountered " + what + " error ");
}

Status FromPickleError(const Status& status) {
  return Improper(status.code() == Code::kOutOfRange ? "EOFError" : "UnpicklingError");
}

}  // namespace

Bytes SerializeDump(const Geometry& geometry, const std::vector<Bytes>& blocks) {
  Bytes out = pickle::DumpStr(geometry.ConstantsString());
  const Bytes list = pickle::DumpByteArrayList(blocks);
  out.insert(out.end(), list.begin(), list.end());
  return out;
}

Result<std::vector<Bytes>> ParseDump(const Bytes& file, const Geometry& geometry) {
  pickle::Unpickler unpickler(file);
  Result<pickle::ObjectPtr> constants = unpickler.Load();
  if (!constants.ok()) return FromPickleError(constants.status());
  const std::string ours = geometry.ConstantsString();
  if ((*constants)->kind != pickle::Object::Kind::kStr) return Improper("type");
  if ((*constants)->data != ours) {
    return Status::Error(Code::kInvalidArgument,
                         "Error: File System constants of File :" + (*constants)->data +
                             " do not match with current file system constants :" + ours);
  }
  Result<pickle::ObjectPtr> list = unpickler.Load();
  if (!list.ok()) return FromPickleError(list.status());
  if ((*list)->kind != pickle::Object::Kind::kList) return Improper("type");
  const auto& items = (*list)->items;
  if (items.size() < static_cast<size_t>(geometry.num_blocks())) return Improper("IndexError");
  std::vector<Bytes> blocks;
  blocks.reserve(geometry.num_blocks());
  for (int i = 0; i < geometry.num_blocks(); ++i) {
    if (!items[i]->is_bytes_like()) return Improper("type");
    if (items[i]->data.size() > static_cast<size_t>(geometry.block_size())) {
      return Improper("ValueError");
    }
    blocks.push_back(ToBytes(items[i]->data));
  }
  return blocks;
}

}  // namespace memoryfs::fs
