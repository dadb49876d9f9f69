// The shell's loop, its output helpers, the lock around commands, and the commands that change
// or read files. The inspection commands are in inspect_commands.cc, load and save in
// load_save_commands.cc, the device hooks' commands at the end of this file.
#include "shell/shell.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "client/cache_device.h"
#include "core/bytes.h"
#include "core/py_int.h"
#include "fs/fs_error.h"
#include "shell/text.h"

namespace memoryfs::shell {
namespace {

// The dialect's client layer over `device`: the 2023 block cache, printing on `out`; or null.
std::unique_ptr<client::BlockDevice> ClientLayer(client::BlockDevice& device,
                                                 const ShellOptions& options,
                                                 const Dialect& dialect, std::ostream& out) {
  client::CacheOptions cache;
  cache.client_id = options.cid;
  cache.log = options.log_cache ? &out : nullptr;
  if (!dialect.client_cache) {
    if (!options.cache) return nullptr;
    cache.coherence = client::CacheOptions::Coherence::kServerPutCount;  // 2022 -cache
    cache.server_puts = options.server_puts;
  }
  return std::make_unique<client::CacheDevice>(device, std::move(cache));
}

}  // namespace

Shell::Shell(client::BlockDevice& device, const ShellOptions& options, std::istream& in,
             std::ostream& out, std::ostream& err)
    : options_(options),
      dialect_(Dialect::For(options.geometry.edition())),
      out_(out),
      err_(err),
      client_(ClientLayer(device, options, dialect_, out)),
      fs_(client_ ? *client_ : device, options.geometry, err),
      lock_(client_ ? *client_ : device, options.geometry.lock_block()),
      start_lock_(device, options.geometry.lock_block()),
      stream_reader_(in, out) {}

int Shell::RunCommand(std::string_view line) {
  Status fits = fs_.CheckDevice();
  if (!fits.ok()) {
    PrintError(fits, false);
    out_.flush();
    return 1;
  }
  ExecuteBounded(line);
  out_.flush();
  return health_ >= 0 ? health_ : static_cast<int>(outcome_);
}

bool Shell::ExecuteBounded(std::string_view line) {
  if (hooks_.command_boundary) hooks_.command_boundary(true);
  const bool go_on = Execute(line);
  if (hooks_.command_boundary) hooks_.command_boundary(false);
  return go_on;
}

int Shell::Run() {
  Status started = Start();
  if (!started.ok()) {
    PrintError(started, false);
    out_.flush();
    return 1;
  }
  while (true) {
    const std::optional<std::string> line = reader_->ReadLine(PromptText());
    if (!line) return 0;  // end of input: a clean exit (deviation 3)
    if (!ExecuteBounded(*line)) break;
  }
  out_.flush();
  return 0;
}

std::string Shell::PromptText() const { return "[cwd=" + std::to_string(cwd_) + "]%"; }

void Shell::Prompt() {
  out_ << PromptText();
  out_.flush();
}

Status Shell::Start() {
  RETURN_IF_ERROR(fs_.CheckDevice());
  if (dialect_.announce_lock_server && hooks_.lock_server >= 0) {
    Print("RSM server " + std::to_string(hooks_.lock_server));
  }
  const int dump = std::min(dialect_.startup_dump_blocks, fs_.geometry().num_blocks());
  for (int block = 0; block < dump; ++block) {
    Result<Bytes> data = fs_.ReadBlock(block);
    // The dump is only a log: with a degraded array, carry on without it.
    if (!data.ok() && hooks_.lock_server < 0) return data.status();
  }
  if (options_.root_init) {
    Status status;
    const auto init = [&] { status = fs_.InitRoot(); };
    // On an array, under the lock like every write (the course's single server: without).
    if (hooks_.lock_server >= 0) {
      Locked(init, &start_lock_);
    } else {
      init();
    }
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
  outcome_ = Outcome::kOk;
  health_ = -1;
  const Args args = PySplit(line);
  if (args.empty()) return true;
  using Handler = void (Shell::*)(const Args&);
  struct Command {
    const char* name;
    Handler handler;
    const char* usage;  // for help
    const char* what;
  };
  static const Command kCommands[] = {
      {"cd", &Shell::Cd, "cd PATH", "change the current directory"},
      {"cat", &Shell::Cat, "cat FILE", "print a file"},
      {"ls", &Shell::Ls, "ls", "list the current directory"},
      {"showblock", &Shell::ShowBlock, "showblock N", "print block N as text and hex"},
      {"showblockslice", &Shell::ShowBlockSlice, "showblockslice N START END",
       "print bytes START..END of block N in hex"},
      {"showinode", &Shell::ShowInode, "showinode N", "print inode N"},
      {"showfsconfig", &Shell::ShowFsConfig, "showfsconfig", "print the geometry"},
      {"load", &Shell::Load, "load FILE", "replace every block with a pickled dump"},
      {"save", &Shell::Save, "save FILE", "write every block to a pickled dump"},
      {"mkdir", &Shell::Mkdir, "mkdir NAME", "create a directory"},
      {"create", &Shell::Create, "create NAME", "create an empty file"},
      {"rm", &Shell::Rm, "rm NAME", "remove a file"},
      {"append", &Shell::Append, "append FILE TEXT", "append TEXT (one word) to a file"},
      {"lnh", &Shell::Lnh, "lnh TARGET NAME", "make a hard link"},
      {"lns", &Shell::Lns, "lns TARGET NAME", "make a symbolic link"},
      {"slice", &Shell::Slice, "slice FILE OFFSET COUNT", "keep COUNT bytes from OFFSET"},
      {"mirror", &Shell::Mirror, "mirror FILE", "reverse a file's bytes"},
      {"repair", &Shell::Repair, "repair SERVER", "rebuild a replaced or restarted server"},
      {"online", &Shell::Online, "online SERVER",
       "take back a server failed by mistake, once its stripes add up"},
      {"scrub", &Shell::Scrub, "scrub [repair]", "check (and fix) every stripe"},
      {"showload", &Shell::ShowLoad, "showload", "requests per server"},
      {"status", &Shell::ShowStatus, "status", "the health of every server, and what to do"},
      {"cluster", &Shell::Cluster, "cluster status|kill K|stop K|cont K|restart K|corrupt K B",
       "the demo's servers (tools/cluster)"},
  };
  if (args[0] == "exit") return false;
  if (args[0] == "help" || args[0] == "?") {  // ours: the reference has no help
    Help(kCommands, args);
    out_.flush();
    return true;
  }
  for (const Command& command : kCommands) {
    if (Available(command.name) && args[0] == command.name) {
      (this->*command.handler)(args);
      Settle();
      out_.flush();
      err_.flush();
      return true;
    }
  }
  Fail("command " + args[0] + " not valid.\n");
  return true;
}

bool Shell::Available(const std::string& name) const {
  if (name == "repair") return static_cast<bool>(hooks_.repair);
  if (name == "online") return static_cast<bool>(hooks_.online);
  if (name == "scrub") return static_cast<bool>(hooks_.scrub);
  if (name == "showload") return static_cast<bool>(hooks_.show_load);
  if (name == "status") return static_cast<bool>(hooks_.status);
  if (name == "cluster") return static_cast<bool>(hooks_.cluster);
  if (name == "slice" || name == "mirror") return dialect_.slice_and_mirror;
  return true;
}

template <typename Table>
void Shell::Help(const Table& commands, const Args& args) {
  const auto line = [](const char* usage, const char* what) {
    std::string text = std::string("  ") + usage;
    text.resize(std::max<size_t>(text.size() + 2, 30), ' ');
    return text + what;
  };
  if (args.size() > 2) return Usage("Error: help takes at most one command name");
  for (const auto& command : commands) {
    if (args.size() == 2 && args[1] == command.name && Available(command.name)) {
      return Print(line(command.usage, command.what));
    }
  }
  if (args.size() == 2 && args[1] != "help" && args[1] != "exit") {
    return Fail("Error: no command " + args[1] + " (help lists them)");
  }
  if (args.size() == 1) Print("Commands:");
  for (const auto& command : commands) {
    if (args.size() == 1 && Available(command.name)) Print(line(command.usage, command.what));
  }
  if (args.size() == 1 || args[1] == "help")
    Print(line("help [COMMAND]", "this list, or one line (also: ?)"));
  if (args.size() == 1 || args[1] == "exit") Print(line("exit", "leave the shell"));
  if (args.size() == 1) {
    Print("At a terminal: Left/Right edit the line, Up/Down recall earlier lines, Ctrl-C drops");
    Print("the line being typed, Ctrl-D on an empty line leaves the shell.");
  }
}

// ---------------------------------------------------------------------------------------------
// Output helpers.

void Shell::Print(std::string_view text) { out_ << text << "\n"; }

void Shell::Usage(std::string_view text) {
  Print(text);
  Record(Outcome::kUsage);
}

void Shell::Fail(std::string_view text) {
  Print(text);
  Record(Outcome::kFailed);
}

void Shell::PrintError(const Status& status, bool blank_line) {
  Record(Outcome::kFailed);
  out_ << "Error: " << (fs::IsFsError(status) ? status.message() : status.ToString()) << "\n";
  if (blank_line) out_ << "\n";
  // Our errors for the reference's self-overlapping layouts come with the reason, on `err`.
  const std::string why = fs::ExplainLimit(fs_.geometry(), fs::FsErrorOf(status));
  if (!why.empty()) {
    out_.flush();
    err_ << "memoryfs: " << why << std::endl;
  }
}

void Shell::Log(std::string_view text) { err_ << text << "\n"; }

void Shell::Inspect(std::string_view text) { Inspection() << text << "\n"; }

void Shell::Locked(const std::function<void()>& body, DiskLock* lock) {
  if (lock == nullptr) lock = &lock_;
  Status acquired = lock->Acquire(hooks_.stop_requested);
  if (acquired.code() == Code::kCancelled) {  // the shell stops; nothing was done
    return Record(Outcome::kFailed);
  }
  if (!acquired.ok()) {
    if (hooks_.lock_server < 0 ||
        (acquired.code() != Code::kUnavailable && acquired.code() != Code::kChecksumError)) {
      return PrintError(acquired, false);
    }
    // Degraded: run without the lock, and do not release what we do not hold. Said once per
    // outage, on stderr so that the command's output stays exact.
    if (!running_unlocked_) {
      const std::string server = std::to_string(hooks_.lock_server);
      Log("WARNING: the lock (block " + std::to_string(lock->block()) + " on server " + server +
          ") is unavailable: " + acquired.ToString() + "; continuing without it until 'repair " +
          server + "'");
      running_unlocked_ = true;
    }
    return body();
  }
  running_unlocked_ = false;
  body();
  Status released = lock->Release();
  if (!released.ok()) PrintError(released, false);
}

// ---------------------------------------------------------------------------------------------
// Commands under the lock.

void Shell::Cd(const Args& args) {
  if (args.size() != 2) return Usage("Error: cd requires one argument");
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
    Fail("Error: not found\n");
    return std::nullopt;
  }
  Result<fs::Inode> inode = fs_.ReadInode(**found);
  if (!inode.ok()) {
    PrintError(inode.status(), false);
    return std::nullopt;
  }
  if (inode->type != type) {
    Fail(type == fs::InodeType::kDirectory ? "Error: not a directory\n" : "Error: not a file\n");
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
  if (args.size() != 2) return Usage("Error: cat requires one argument");
  Locked([&] { DoCat(args[1]); });
}

void Shell::DoCat(const std::string& path) {
  const std::optional<Opened> file = Open(path, /*follow=*/true, fs::InodeType::kFile);
  if (!file) return;
  Result<Bytes> data = fs_.Read(file->number, 0, fs_.geometry().max_file_size());
  if (!data.ok()) return PrintError(data.status(), false);
  Print(ToString(*data));
}

void Shell::Ls(const Args&) {  // extra arguments are ignored, as by the reference
  Locked([&] { DoLs(); });
}

void Shell::DoLs() {
  std::string listing;  // the lines not printed yet
  Status listed = fs_.List(cwd_, [&](const fs::ListEntry& entry) {
    listing += "[" + std::to_string(entry.refcnt) + "]:" + ToString(entry.name);
    if (entry.type == fs::InodeType::kDirectory) {
      listing += "/";
    } else if (entry.type == fs::InodeType::kSymlink) {
      listing += "@ -> " + ToString(entry.symlink_target);
    }
    listing += "\n";
    if (dialect_.ls_streams) out_ << std::exchange(listing, {});
  });
  if (!listed.ok()) return PrintError(listed, false);
  out_ << listing;
}

void Shell::Mkdir(const Args& args) {
  if (args.size() != 2) return Usage("Error: mkdir requires one argument");
  Locked([&] { DoCreate(args[1], fs::InodeType::kDirectory); });
}

void Shell::Create(const Args& args) {
  if (args.size() != 2) return Usage("Error: create requires one argument");
  Locked([&] { DoCreate(args[1], fs::InodeType::kFile); });
}

void Shell::DoCreate(const std::string& name, fs::InodeType type) {
  Result<uint32_t> created = fs_.Create(cwd_, name, type);
  if (!created.ok()) PrintError(created.status(), true);
}

void Shell::Rm(const Args& args) {
  if (args.size() != 2) return Usage("Error: rm requires one argument");
  Locked([&] { DoRm(args[1]); });
}

void Shell::DoRm(const std::string& name) {
  Status status = fs_.Unlink(cwd_, name);
  if (!status.ok()) PrintError(status, true);
}

void Shell::Append(const Args& args) {
  if (args.size() != 3) return Usage("Error: append requires two arguments");
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
  if (args.size() != 3) return Usage("Error: lnh requires two arguments");
  Locked([&] {
    Status status = fs_.Link(args[1], args[2], cwd_);
    if (!status.ok()) PrintError(status, false);
  });
}

void Shell::Lns(const Args& args) {
  if (args.size() != 3) return Usage("Error: lns requires two arguments");
  Locked([&] {
    Status status = fs_.Symlink(args[1], args[2], cwd_);
    if (!status.ok()) PrintError(status, false);
  });
}

void Shell::Slice(const Args& args) {
  if (args.size() != 4) return Usage("Error: slice requires three arguments");
  // As in the reference, the numbers are checked under the lock.
  Locked([&] {
    std::optional<PyInt> numbers[2];
    for (int i = 0; i < 2; ++i) {
      numbers[i] = PyInt::Parse(args[i + 2]);
      if (!numbers[i]) return Usage("Error: " + args[i + 2] + " not a valid Integer");
    }
    const std::optional<Opened> file = Open(args[1], /*follow=*/true, fs::InodeType::kFile);
    if (!file) return;
    Status status = fs_.Slice(file->number, numbers[0]->Clamped(), numbers[1]->Clamped());
    if (!status.ok()) PrintError(status, false);
  });
}

void Shell::Mirror(const Args& args) {
  if (args.size() != 2) return Usage("Error: mirror requires one argument");
  Locked([&] {
    const std::optional<Opened> file = Open(args[1], /*follow=*/true, fs::InodeType::kFile);
    if (!file) return;
    Status status = fs_.Mirror(file->number);
    if (!status.ok()) PrintError(status, false);
  });
}

// ---------------------------------------------------------------------------------------------
// Device commands (hooks; no lock).

void Shell::OnServer(const Args& args, const ShellHooks::ServerHook& hook) {
  if (args.size() != 2) return Usage("Error: " + args[0] + " requires one argument");
  const std::optional<PyInt> server = PyInt::Parse(args[1]);
  if (!server) return Usage("Error: " + args[1] + " not a valid Integer");
  // Any id the hook cannot take is out of range for every array.
  const int id = server->InRange(-1, 1 << 20) ? static_cast<int>(server->Clamped()) : -1;
  // As the spec says: under the lock (taken on the array, so server 0's failure is tolerated).
  Locked([&] {
    Status status = hook(id, out_);
    if (!status.ok()) PrintError(status, false);
  });
}

void Shell::Repair(const Args& args) { OnServer(args, hooks_.repair); }

void Shell::Online(const Args& args) { OnServer(args, hooks_.online); }

void Shell::Scrub(const Args& args) {
  const bool repair = args.size() == 2 && args[1] == "repair";
  if (args.size() > 2 || (args.size() == 2 && !repair)) {
    return Usage("Error: scrub takes no argument, or 'repair'");
  }
  Locked([&] {
    Result<bool> consistent = hooks_.scrub(repair, out_);
    if (!consistent.ok()) return PrintError(consistent.status(), false);
    if (!*consistent) Record(Outcome::kFailed);  // a mismatch is left: said in its report
  });
}

void Shell::ShowStatus(const Args& args) {
  if (args.size() != 1) return Usage("Error: status takes no argument");
  health_ = hooks_.status(out_);
}

void Shell::Cluster(const Args& args) {
  out_.flush();
  err_.flush();
  if (hooks_.cluster(Args(args.begin() + 1, args.end())) != 0) Record(Outcome::kFailed);
}

void Shell::ShowLoad(const Args& args) {
  if (args.size() != 1) return Usage("Error: showload do not require argument");
  hooks_.show_load(out_);
}

}  // namespace memoryfs::shell
