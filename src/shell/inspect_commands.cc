// The shell's inspection commands: showblock, showblockslice, showinode, showfsconfig. None
// takes the lock. Their output goes where the dialect says (Shell::Inspection), showinode's to
// the logger's stream.
#include <string>

#include "core/bytes.h"
#include "core/py_int.h"
#include "shell/shell.h"
#include "shell/text.h"

namespace memoryfs::shell {
namespace {

// `text` with each "{}" replaced by the next of `values`.
std::string Fill(std::string_view text, std::initializer_list<int> values) {
  std::string out;
  auto value = values.begin();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "{}") == 0 && value != values.end()) {
      out += std::to_string(*value++);
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::optional<PyInt> Shell::ParseIndex(const std::string& word, const char* what, int count) {
  const std::optional<PyInt> n = PyInt::Parse(word);
  if (!n) {
    Usage("Error: " + word + " not a valid Integer");
    return std::nullopt;
  }
  if (!n->InRange(0, count - 1)) {
    Usage(std::string("Error: ") + what + " " + n->ToString() + " not in valid range [0, " +
          std::to_string(count - 1) + "]");
    return std::nullopt;
  }
  return n;
}

void Shell::ShowBlock(const Args& args) {
  if (args.size() != 2) return Usage("Error: showblock requires one argument");
  const std::optional<PyInt> n = ParseIndex(args[1], "block number", fs_.geometry().num_blocks());
  if (!n) return;
  const int64_t block = n->Clamped();
  Result<Bytes> first = fs_.ReadBlock(block);
  if (!first.ok()) return PrintError(first.status(), false);
  const std::string at = " [" + n->ToString() + "] : \n";
  Inspect(dialect_.block_text_title + at + Utf8DecodeIgnore(*first));
  Result<Bytes> second = fs_.ReadBlock(block);
  if (!second.ok()) return PrintError(second.status(), false);
  Inspect(dialect_.block_hex_title + at + HexEncode(*second));
}

void Shell::ShowBlockSlice(const Args& args) {
  if (args.size() != 4) return Usage("Error: showblockslice requires three arguments");
  std::optional<PyInt> numbers[3];
  for (int i = 0; i < 3; ++i) {
    numbers[i] = PyInt::Parse(args[i + 1]);
    if (!numbers[i]) return Usage("Error: " + args[i + 1] + " not a valid Integer");
  }
  const PyInt& n = *numbers[0];
  const PyInt& start = *numbers[1];
  const PyInt& end = *numbers[2];
  const int nb = fs_.geometry().num_blocks();
  const int bs = fs_.geometry().block_size();
  if (!n.InRange(0, nb - 1)) {
    return Usage("Error: block number " + n.ToString() + " not in valid range [0, " +
                 std::to_string(nb - 1) + "]");
  }
  if (!start.InRange(0, bs - 1)) {
    return Usage("Error: start " + start.ToString() + "not in valid range [0, " +
                 std::to_string(bs - 1) + "]");
  }
  if (!end.InRange(0, bs - 1) || end.Clamped() <= start.Clamped()) {
    return Usage("Error: end " + end.ToString() + "not in valid range [0, " +
                 std::to_string(bs - 1) + "]");
  }
  Result<Bytes> block = fs_.ReadBlock(n.Clamped());
  if (!block.ok()) return PrintError(block.status(), false);
  const Bytes slice(block->begin() + start.Clamped(), block->begin() + end.Clamped() + 1);
  Inspect("Block (raw hex block) [" + n.ToString() + "] : \n" + HexEncode(slice));
}

void Shell::ShowInode(const Args& args) {
  if (args.size() != 2) return Usage("Error: showinode requires one argument");
  const std::optional<PyInt> n = ParseIndex(args[1], "inode number", fs_.geometry().max_inodes());
  if (!n) return;
  Result<fs::Inode> inode = fs_.ReadInode(n->Clamped());
  if (!inode.ok()) return PrintError(inode.status(), false);
  Log("Inode size   : " + std::to_string(inode->size));
  Log("Inode type   : " + std::to_string(static_cast<uint16_t>(inode->type)));
  Log("Inode refcnt : " + std::to_string(inode->refcnt));
  if (dialect_.show_gencnt) Log("Inode gencnt : " + std::to_string(inode->gencnt));
  Log("Block numbers: ");
  std::string numbers;
  for (uint32_t block : inode->blocks) numbers += std::to_string(block) + ",";
  Log(numbers);
}

void Shell::ShowFsConfig(const Args& args) {
  if (args.size() != 1) return Usage("Error: showfsconfig do not require argument");
  const fs::Geometry& g = fs_.geometry();
  const std::string config =
      Fill(R"(#### File system information:
Number of blocks          : {}
Block size (Bytes)        : {}
Number of inodes          : {}
inode size (Bytes)        : {}
inodes per block          : {}
Free bitmap offset        : {}
Free bitmap size (blocks) : {}
Inode table offset        : {}
Inode table size (blocks) : {}
Max blocks per file       : {}
Data blocks offset        : {}
Data block size (blocks)  : {})",
           {g.num_blocks(), g.block_size(), g.max_inodes(), g.inode_size(), g.inodes_per_block(),
            g.bitmap_offset(), g.bitmap_blocks(), g.inode_table_offset(), g.inode_table_blocks(),
            g.max_blocks_per_file(), g.data_offset(), g.data_blocks()});
  Inspect(config);
  Inspect("Raw block layer layout: (B: boot, S: superblock, F: free bitmap, I: inode, D: data");
  std::string layout = "BS";
  std::string ids = "01";
  int id = 2;
  const auto add = [&](char kind, int count) {
    for (int i = 0; i < count; ++i) {
      layout.push_back(kind);
      ids.push_back(static_cast<char>('0' + id));
      id = (id + 1) % 10;
    }
  };
  add('F', g.bitmap_blocks());
  add('I', g.inode_table_blocks());
  add('D', g.data_blocks());
  Inspect(ids);
  Inspect(layout);
}

}  // namespace memoryfs::shell
