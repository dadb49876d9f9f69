#include "shell/shell.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "core/bytes.h"
#include "core/py_int.h"
#include "fs/dump.h"
#include "fs/fs_error.h"
#include "shell/text.h"

namespace memoryfs::shell {
namespace {

// The reference dumps blocks 0..15 to its log file at start-up.
constexpr int kStartupDumpBlocks = 16;

std::string AsText(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

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

Shell::Shell(client::BlockDevice& device, const ShellOptions& options, std::istream& in,
             std::ostream& out, std::ostream& err)
    : options_(options),
      in_(in),
      out_(out),
      err_(err),
      fs_(device, options.geometry, err),
      lock_(device, options.geometry.lock_block()) {}

int Shell::Run() {
  Status started = Start();
  if (!started.ok()) {
    PrintError(started, false);
    out_.flush();
    return 1;
  }
  std::string line;
  while (true) {
    out_ << "[cwd=" << cwd_ << "]%";
    out_.flush();
    if (!std::getline(in_, line)) return 0;  // end of input: a clean exit (deviation 3)
    if (hooks_.command_boundary) hooks_.command_boundary(true);
    const bool go_on = Execute(line);
    if (hooks_.command_boundary) hooks_.command_boundary(false);
    if (!go_on) break;
  }
  out_.flush();
  return 0;
}

Status Shell::Start() {
  RETURN_IF_ERROR(fs_.CheckDevice());
  for (int block = 0; block < kStartupDumpBlocks && block < fs_.geometry().num_blocks(); ++block) {
    Result<Bytes> data = fs_.ReadBlock(block);
    // The dump is only a log: with a degraded array, carry on without it.
    if (!data.ok() && hooks_.lock_server < 0) return data.status();
  }
  if (options_.root_init) {
    Status status = fs_.InitRoot();
    if (!status.ok()) {
      if (!fs::IsFsError(status)) return status;
      PrintError(status, false);
    }
  }
  Settle();
  return Status::Ok();
}

void Shell::Settle() {
  if (!hooks_.settle) return;
  if (Status s = hooks_.settle(); !s.ok()) Log("WARNING: " + s.ToString());
}

bool Shell::Execute(std::string_view line) {
  const Args args = PySplit(line);
  if (args.empty()) return true;
  using Handler = void (Shell::*)(const Args&);
  struct Command {
    const char* name;
    Handler handler;
  };
  static const Command kCommands[] = {
      {"cd", &Shell::Cd},
      {"cat", &Shell::Cat},
      {"ls", &Shell::Ls},
      {"showblock", &Shell::ShowBlock},
      {"showblockslice", &Shell::ShowBlockSlice},
      {"showinode", &Shell::ShowInode},
      {"showfsconfig", &Shell::ShowFsConfig},
      {"load", &Shell::Load},
      {"save", &Shell::Save},
      {"mkdir", &Shell::Mkdir},
      {"create", &Shell::Create},
      {"rm", &Shell::Rm},
      {"append", &Shell::Append},
      {"lnh", &Shell::Lnh},
      {"lns", &Shell::Lns},
      {"repair", &Shell::Repair},
      {"scrub", &Shell::Scrub},
      {"showload", &Shell::ShowLoad},
  };
  if (args[0] == "exit") return false;
  const bool hooked = (args[0] != "repair" || hooks_.repair) &&
                      (args[0] != "scrub" || hooks_.scrub) &&
                      (args[0] != "showload" || hooks_.show_load);
  for (const Command& command : kCommands) {
    if (hooked && args[0] == command.name) {
      (this->*command.handler)(args);
      Settle();
      out_.flush();
      err_.flush();
      return true;
    }
  }
  Print("command " + args[0] + " not valid.\n");
  return true;
}

// ---------------------------------------------------------------------------------------------
// Output helpers.

void Shell::Print(std::string_view text) { out_ << text << "\n"; }

void Shell::PrintError(const Status& status, bool blank_line) {
  out_ << "Error: " << (fs::IsFsError(status) ? status.message() : status.ToString()) << "\n";
  if (blank_line) out_ << "\n";
}

void Shell::Log(std::string_view text) { err_ << text << "\n"; }

void Shell::Locked(const std::function<void()>& body) {
  Status acquired = lock_.Acquire(hooks_.stop_requested);
  if (acquired.code() == Code::kCancelled) return;  // the shell stops; nothing was done
  if (!acquired.ok()) {
    if (hooks_.lock_server < 0 ||
        (acquired.code() != Code::kUnavailable && acquired.code() != Code::kChecksumError)) {
      return PrintError(acquired, false);
    }
    // Degraded: run without the lock, and do not release what we do not hold. Said once per
    // outage, on stderr so that the command's output stays exact.
    if (!running_unlocked_) {
      const std::string server = std::to_string(hooks_.lock_server);
      Log("WARNING: the lock (block " + std::to_string(lock_.block()) + " on server " + server +
          ") is unavailable: " + acquired.ToString() + "; continuing without it until 'repair " +
          server + "'");
      running_unlocked_ = true;
    }
    return body();
  }
  running_unlocked_ = false;
  body();
  Status released = lock_.Release();
  if (!released.ok()) PrintError(released, false);
}

// ---------------------------------------------------------------------------------------------
// Commands under the lock.

void Shell::Cd(const Args& args) {
  if (args.size() != 2) return Print("Error: cd requires one argument");
  Locked([&] { DoCd(args[1]); });
}

std::optional<Shell::Opened> Shell::Open(const std::string& path, bool follow, fs::InodeType type) {
  Result<std::optional<uint32_t>> found =
      follow ? fs_.ResolveFollow(path, cwd_) : fs_.Resolve(path, cwd_);
  if (!found.ok()) {
    PrintError(found.status(), false);
    return std::nullopt;
  }
  if (!found->has_value()) {
    Print("Error: not found\n");
    return std::nullopt;
  }
  Result<fs::Inode> inode = fs_.ReadInode(**found);
  if (!inode.ok()) {
    PrintError(inode.status(), false);
    return std::nullopt;
  }
  if (inode->type != type) {
    Print(type == fs::InodeType::kDirectory ? "Error: not a directory\n" : "Error: not a file\n");
    return std::nullopt;
  }
  return Opened{**found, std::move(inode).value()};
}

void Shell::DoCd(const std::string& path) {
  if (std::optional<Opened> dir = Open(path, /*follow=*/false, fs::InodeType::kDirectory)) {
    cwd_ = dir->number;
  }
}

void Shell::Cat(const Args& args) {
  if (args.size() != 2) return Print("Error: cat requires one argument");
  Locked([&] { DoCat(args[1]); });
}

void Shell::DoCat(const std::string& path) {
  const std::optional<Opened> file = Open(path, /*follow=*/true, fs::InodeType::kFile);
  if (!file) return;
  Result<Bytes> data = fs_.Read(file->number, 0, fs_.geometry().max_file_size());
  if (!data.ok()) return PrintError(data.status(), false);
  Print(AsText(*data));
}

void Shell::Ls(const Args&) {  // extra arguments are ignored, as by the reference
  Locked([&] { DoLs(); });
}

void Shell::DoLs() {
  Result<std::vector<fs::ListEntry>> entries = fs_.List(cwd_);
  if (!entries.ok()) return PrintError(entries.status(), false);
  for (const fs::ListEntry& entry : *entries) {
    std::string line = "[" + std::to_string(entry.refcnt) + "]:" + AsText(entry.name);
    if (entry.type == fs::InodeType::kDirectory) {
      line += "/";
    } else if (entry.type == fs::InodeType::kSymlink) {
      line += "@ -> " + AsText(entry.symlink_target);
    }
    Print(line);
  }
}

void Shell::Mkdir(const Args& args) {
  if (args.size() != 2) return Print("Error: mkdir requires one argument");
  Locked([&] { DoCreate(args[1], fs::InodeType::kDirectory); });
}

void Shell::Create(const Args& args) {
  if (args.size() != 2) return Print("Error: create requires one argument");
  Locked([&] { DoCreate(args[1], fs::InodeType::kFile); });
}

void Shell::DoCreate(const std::string& name, fs::InodeType type) {
  Result<uint32_t> created = fs_.Create(cwd_, name, type);
  if (!created.ok()) PrintError(created.status(), true);
}

void Shell::Rm(const Args& args) {
  if (args.size() != 2) return Print("Error: rm requires one argument");
  Locked([&] { DoRm(args[1]); });
}

void Shell::DoRm(const std::string& name) {
  Status status = fs_.Unlink(cwd_, name);
  if (!status.ok()) PrintError(status, true);
}

void Shell::Append(const Args& args) {
  if (args.size() != 3) return Print("Error: append requires two arguments");
  Locked([&] { DoAppend(args[1], args[2]); });
}

void Shell::DoAppend(const std::string& path, const std::string& text) {
  const std::optional<Opened> file = Open(path, /*follow=*/false, fs::InodeType::kFile);
  if (!file) return;
  Result<uint32_t> written = fs_.Write(file->number, file->inode.size, ToBytes(text));
  if (!written.ok()) return PrintError(written.status(), false);
  Print("Successfully appended " + std::to_string(*written) + " bytes.");
}

void Shell::Lnh(const Args& args) {
  if (args.size() != 3) return Print("Error: lnh requires two arguments");
  Locked([&] {
    Status status = fs_.Link(args[1], args[2], cwd_);
    if (!status.ok()) PrintError(status, false);
  });
}

void Shell::Lns(const Args& args) {
  if (args.size() != 3) return Print("Error: lns requires two arguments");
  Locked([&] {
    Status status = fs_.Symlink(args[1], args[2], cwd_);
    if (!status.ok()) PrintError(status, false);
  });
}

// ---------------------------------------------------------------------------------------------
// Inspection commands (no lock; output on the logger's stream).

std::optional<PyInt> Shell::ParseIndex(const std::string& word, const char* what, int count) {
  const std::optional<PyInt> n = PyInt::Parse(word);
  if (!n) {
    Print("Error: " + word + " not a valid Integer");
    return std::nullopt;
  }
  if (!n->InRange(0, count - 1)) {
    Print(std::string("Error: ") + what + " " + n->ToString() + " not in valid range [0, " +
          std::to_string(count - 1) + "]");
    return std::nullopt;
  }
  return n;
}

void Shell::ShowBlock(const Args& args) {
  if (args.size() != 2) return Print("Error: showblock requires one argument");
  const std::optional<PyInt> n = ParseIndex(args[1], "block number", fs_.geometry().num_blocks());
  if (!n) return;
  const int64_t block = n->Clamped();
  Result<Bytes> first = fs_.ReadBlock(block);
  if (!first.ok()) return PrintError(first.status(), false);
  Log("Block (strings in block) [" + n->ToString() + "] : \n" + Utf8DecodeIgnore(*first));
  Result<Bytes> second = fs_.ReadBlock(block);
  if (!second.ok()) return PrintError(second.status(), false);
  Log("Block (raw hex block) [" + n->ToString() + "] : \n" + HexEncode(*second));
}

void Shell::ShowBlockSlice(const Args& args) {
  if (args.size() != 4) return Print("Error: showblockslice requires three arguments");
  std::optional<PyInt> numbers[3];
  for (int i = 0; i < 3; ++i) {
    numbers[i] = PyInt::Parse(args[i + 1]);
    if (!numbers[i]) return Print("Error: " + args[i + 1] + " not a valid Integer");
  }
  const PyInt& n = *numbers[0];
  const PyInt& start = *numbers[1];
  const PyInt& end = *numbers[2];
  const int nb = fs_.geometry().num_blocks();
  const int bs = fs_.geometry().block_size();
  if (!n.InRange(0, nb - 1)) {
    return Print("Error: block number " + n.ToString() + " not in valid range [0, " +
                 std::to_string(nb - 1) + "]");
  }
  if (!start.InRange(0, bs - 1)) {
    return Print("Error: start " + start.ToString() + "not in valid range [0, " +
                 std::to_string(bs - 1) + "]");
  }
  if (!end.InRange(0, bs - 1) || end.Clamped() <= start.Clamped()) {
    return Print("Error: end " + end.ToString() + "not in valid range [0, " +
                 std::to_string(bs - 1) + "]");
  }
  Result<Bytes> block = fs_.ReadBlock(n.Clamped());
  if (!block.ok()) return PrintError(block.status(), false);
  const Bytes slice(block->begin() + start.Clamped(), block->begin() + end.Clamped() + 1);
  Log("Block (raw hex block) [" + n.ToString() + "] : \n" + HexEncode(slice));
}

void Shell::ShowInode(const Args& args) {
  if (args.size() != 2) return Print("Error: showinode requires one argument");
  const std::optional<PyInt> n = ParseIndex(args[1], "inode number", fs_.geometry().max_inodes());
  if (!n) return;
  Result<fs::Inode> inode = fs_.ReadInode(n->Clamped());
  if (!inode.ok()) return PrintError(inode.status(), false);
  Log("Inode size   : " + std::to_string(inode->size));
  Log("Inode type   : " + std::to_string(static_cast<uint16_t>(inode->type)));
  Log("Inode refcnt : " + std::to_string(inode->refcnt));
  Log("Inode gencnt : " + std::to_string(inode->gencnt));
  Log("Block numbers: ");
  std::string numbers;
  for (uint32_t block : inode->blocks) numbers += std::to_string(block) + ",";
  Log(numbers);
}

void Shell::ShowFsConfig(const Args& args) {
  if (args.size() != 1) return Print("Error: showfsconfig do not require argument");
  const fs::Geometry& g = fs_.geometry();
  Log(Fill(R"(#### File system information:
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
            g.max_blocks_per_file(), g.data_offset(), g.data_blocks()}));
  Log("Raw block layer layout: (B: boot, S: superblock, F: free bitmap, I: inode, D: data");
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
  Log(ids);
  Log(layout);
}

// ---------------------------------------------------------------------------------------------
// Device commands (hooks; no lock).

void Shell::Repair(const Args& args) {
  if (args.size() != 2) return Print("Error: repair requires one argument");
  const std::optional<PyInt> server = PyInt::Parse(args[1]);
  if (!server) return Print("Error: " + args[1] + " not a valid Integer");
  // Any id the hook cannot take is out of range for every array.
  const int id = server->InRange(-1, 1 << 20) ? static_cast<int>(server->Clamped()) : -1;
  // As the spec says: under the lock (taken on the array, so server 0's failure is tolerated).
  Locked([&] {
    Status status = hooks_.repair(id, out_);
    if (!status.ok()) PrintError(status, false);
  });
}

void Shell::Scrub(const Args& args) {
  const bool repair = args.size() == 2 && args[1] == "repair";
  if (args.size() > 2 || (args.size() == 2 && !repair)) {
    return Print("Error: scrub takes no argument, or 'repair'");
  }
  Locked([&] {
    Status status = hooks_.scrub(repair, out_);
    if (!status.ok()) PrintError(status, false);
  });
}

void Shell::ShowLoad(const Args& args) {
  if (args.size() != 1) return Print("Error: showload do not require argument");
  hooks_.show_load(out_);
}

// ---------------------------------------------------------------------------------------------
// load / save (no lock, as in the reference).

void Shell::Load(const Args& args) {
  if (args.size() != 2) return Print("Error: load requires 1 argument");
  const std::string& path = args[1];
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return Print("Error: Please provide valid file");
  }
  Log("Reading blocks from pickled file " + path);
  std::ifstream file(path, std::ios::binary);
  const Bytes contents((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (!file.good() && !file.eof()) {
    Print("Error: cannot read file " + path);
  } else {
    Result<std::vector<Bytes>> blocks = fs::ParseDump(contents, fs_.geometry());
    if (!blocks.ok()) {
      Print(blocks.status().message());
    } else {
      for (size_t i = 0; i < blocks->size(); ++i) {
        Status status = fs_.WriteBlock(static_cast<int64_t>(i), (*blocks)[i]);
        if (!status.ok()) {
          PrintError(status, false);
          break;
        }
      }
    }
  }
  cwd_ = 0;  // the reference resets cwd after any load attempt on an existing file
}

void Shell::Save(const Args& args) {
  if (args.size() != 2) return Print("Error: save requires 1 argument");
  const std::string& path = args[1];
  Log("Dumping pickled blocks to file " + path);
  // The lock block is not file-system data: it is saved released, so that loading the dump
  // can never leave the disk locked.
  const fs::Geometry& g = fs_.geometry();
  std::vector<Bytes> blocks;
  for (int i = 0; i < g.num_blocks(); ++i) {
    if (i == g.lock_block()) {
      blocks.push_back(client::LockConvention::Released(g.block_size()));
      continue;
    }
    Result<Bytes> block = fs_.ReadBlock(i);
    if (!block.ok()) return PrintError(block.status(), false);
    blocks.push_back(std::move(block).value());
  }
  const Bytes dump = fs::SerializeDump(fs_.geometry(), blocks);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(reinterpret_cast<const char*>(dump.data()), static_cast<std::streamsize>(dump.size()));
  file.close();
  if (!file) Print("Error: cannot write file " + path);
}

}  // namespace memoryfs::shell
