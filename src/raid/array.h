// Array: RAID-5 over N >= 3 block devices, itself a BlockDevice of num_blocks virtual blocks.
// The file system above cannot tell it from one server. Knows stripes, servers and their
// health; nothing about files.
//
// Contract (see docs/report.md, sections 2.2 to 2.7):
// - Layout: raid::Layout (left-asymmetric). The lock block (client::LockConvention: virtual
//   block 0 in the 2022 edition, i.e. server 0, physical block 0) is excluded from parity; RSM
//   is only valid on it and goes to its server only, as does its Put (the lock release). While
//   its server is failed (or answers a checksum error for it), a Get of the lock block answers
//   LockConvention::Held: what the reference's algorithm sees there during a locked command
//   (the file system reads it only by the reference's quirk of reading "block 0" past a
//   directory's last block), so such a read never fails a command.
// - Get: one Get when healthy. A checksum error reports kCorruptedBlock, rebuilds the block
//   from the other N-1 of its stripe, writes it back to heal, and returns the right bytes. A
//   failed data server: the block is rebuilt without contacting it.
// - Put: read-modify-write (old data and old parity read in parallel, then data and parity
//   written in parallel, 4 RPCs), or reconstruct-write where that needs fewer reads or where
//   old data/parity is corrupt. Degraded: data server failed -> parity only; parity server
//   failed -> data only. A write that cannot be done safely is refused before any server is
//   modified.
// - Failure detection: kUnavailable or kProtocolError from a server marks it failed at once
//   and reports kServerDisconnected once; a failed server is never contacted again until
//   Repair succeeds.
// - Double faults: a block whose own copy is unusable (server failed, or corrupt) and that
//   cannot be rebuilt because another block of its stripe is unusable too is kDataLoss, never
//   wrong bytes. The message names the lost block and both causes, e.g. "block 17 is lost:
//   server 2 failed, and block 18 on server 3 is corrupt". A corrupt block met on the way is
//   reported (kCorruptedBlock) like any other.
// - Members (membership.cc, member_record.h): the array keeps md-style records on the members
//   that can hold them (our servers): identity, geometry (-nb -bs, N, the file system's -ni
//   -is), index, a generation and the failed set. Assemble() reads them at start-up; a member
//   that is blank, of another array, or marked failed by another client is treated as failed
//   (reported once, kMemberRejected). The records change under the lock only (Publish), by
//   compare-and-set: a record other than the one expected means another client's newer view,
//   read again and converged on, never "this member failed". A member whose incarnation
//   changed (sessions()) is asked for its record before its answer is used: a blank restart
//   within a command is caught, whatever proxy sits between. Members without records (the
//   Python server) are listed once.
// - Lock, fencing and write intent (array_lock.cc): Lock() takes the lock on every live member
//   that keeps records (Claim, with the member's record read in the same round) and on the
//   lock's server (Lock: the course's RSM plus the record; a plain RSM where it keeps none),
//   in one parallel round; it is held once all of them granted it. A client holding a
//   majority of the members that keep records waits for the rest (their holders give theirs
//   back); one holding fewer gives its grants back and tries again after a random pause. So
//   two clients never hold it at once, whichever single member is lost. Each grant has an
//   epoch, sent with every request to that member while the lock is held: a member refuses
//   (kFenced) any request of a client whose grant there was broken or taken over, so a holder
//   stopped past its lease writes nothing after the next holder took the lock. The first
//   covered write of a command marks the held records dirty (one round); the release's note
//   says the generation and whether a resync is owed. A holder that died dirty (its lock
//   broken after its lease) is resynced (parity recomputed from checksum-verified data) before
//   anything is rebuilt; while that cannot be done (degraded), rebuilding is refused unless
//   ArrayOptions::force. Without a majority (two members that keep records lost) the lock is
//   the lock server's alone, as before.
// - Repair resumes: the stripes of a member already rebuilt are recorded as it goes, and that
//   member serves those stripes (and only those) until its repair completes.
// - Threads: not thread-safe, one caller at a time. Requests to different servers run in
//   parallel inside (Fanout); each device is still used by one thread at a time (fanout.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/block_device.h"
#include "client/lock_convention.h"
#include "raid/fanout.h"
#include "raid/layout.h"
#include "raid/member_record.h"
#include "raid/scrub.h"

namespace memoryfs::raid {

struct ArrayEvent {
  // kMemberRejected: a member treated as failed for what its record says (text: why).
  // kNotice: information for the user's log (stderr), not one of the assignment's messages.
  enum class Kind { kServerDisconnected, kCorruptedBlock, kMemberRejected, kNotice };
  Kind kind = Kind::kServerDisconnected;
  std::string op;  // kServerDisconnected: "GET", "PUT" or "RSM"
  int server = -1;
  int block = -1;    // kCorruptedBlock: the virtual block, or -1 for a parity block
  int stripe = -1;   // kCorruptedBlock of a parity block: its stripe
  std::string text;  // kMemberRejected, kNotice
  // kServerDisconnected: the virtual block of the request that met the failure, or -1 (a
  // parity block, or no block: a metadata request).
  int request_block = -1;
  // "SERVER_DISCONNECTED PUT 2", "CORRUPTED_BLOCK 17", "CORRUPTED_BLOCK parity 5 server 2",
  // "server 1 is blank (...): treated as failed until 'repair 1'", or the notice's text.
  // With name_blocks (the 2023 RAID project's convention: messages carry the block number),
  // a disconnect names the request's virtual block: "SERVER_DISCONNECTED GET 17", or "...
  // GET server 2" when the request was for no data block (which the 2023 shell never prints:
  // raid::DisconnectNamer names a block for those, disconnect_namer.h).
  std::string ToString(bool name_blocks = false) const;
};

// I/O errors met on one member since the array was made, as zpool status counts them: READ
// (a Get or RSM with no answer), WRITE (a Put with no answer), CKSUM (a block that failed its
// checksum, in a read or a scrub).
struct MemberErrors {
  int64_t read = 0;
  int64_t write = 0;
  int64_t checksum = 0;
};

struct ArrayOptions {
  client::LockConvention lock = client::kLock2022;
  // md's --force: rebuild from a dirty degraded array (parity of stripes a dead client was
  // writing may be stale) instead of refusing.
  bool force = false;
  // The file system's -ni and -is: recorded with a new array, and an array recorded with
  // others is refused at Assemble (0: not checked).
  int num_inodes = 0;
  int inode_size = 0;
};

class Array : public client::BlockDevice {
 public:
  using EventSink = std::function<void(const ArrayEvent&)>;
  // Progress of a repair: stripes done out of total.
  using Progress = std::function<void(int done, int total)>;

  // servers: N >= 3 devices of at least Layout(N).ServerBlocksFor(num_blocks) blocks each,
  // all of block_size bytes (checked in debug builds); not owned, used only by this array.
  // sink: called on every event, from any of the array's threads, one call at a time.
  // lock: the edition's lock convention (which virtual block is the lock).
  Array(std::vector<client::BlockDevice*> servers, int num_blocks, int block_size, EventSink sink,
        ArrayOptions options);

  Result<Bytes> Get(int block) override;
  Status Put(int block, const Bytes& data) override;
  Result<Bytes> RSM(int block) override;
  // The recorded lock (see the contract): holder is the caller's text; the reply's holder is
  // the text of the previous holder when the lock was held or broken. kUnimplemented when the
  // lock's server keeps no records (the caller then uses RSM).
  Result<client::LockReply> Lock(int block, const Bytes& holder, int lease_ms) override;
  Status Unlock(int block, const Bytes& holder, const Bytes& note) override;

  // Start-up (membership.cc): reads every member's records and decides which members are
  // failed, creating the records of a new array; kInvalidArgument when the servers are an
  // array of another size or geometry, or listed in another order (nothing written).
  Status Assemble();
  // The end of a command (or of the start-up): publishes a changed failed set, clears a write
  // intent left by writes made without the lock.
  Status Settle();
  // Renews the lease of the lock this array holds, when a third of it has passed.
  Status RenewLease();
  int num_blocks() const override { return num_blocks_; }
  int block_size() const override { return block_size_; }

  const Layout& layout() const { return layout_; }
  int num_servers() const { return layout_.num_servers(); }
  int server_blocks() const { return server_blocks_; }
  bool failed(int server) const { return failed_[server]; }
  // Whether the member keeps records (false: a Python server), after Assemble().
  bool checkable(int server) const { return checkable_[server]; }
  int64_t generation() const { return view_.generation; }
  // Stripes of a failed member already rebuilt by an interrupted repair.
  int rebuilt(int server) const { return rebuilt_[server]; }
  bool dirty() const { return dirty_; }
  // Whether the members held this array's records at Assemble (it was made before, and holds
  // a file system), rather than being new.
  bool existed() const { return existed_; }
  // The member's error counts (see MemberErrors), and why it is failed ("" when it is not):
  // "no answer to a GET", or what its record said ("it restarted blank...").
  MemberErrors errors(int server) const;
  std::string failure(int server) const;
  // Asks every live member once, in one parallel round: its member and lock records where it
  // keeps them (a blank restart is caught), a Get of its first block otherwise. A member that
  // does not answer is marked failed (and reported); a blank one is rejected; nothing is
  // written (the records change under the lock only). For `status`, without the lock.
  void CheckMembers();
  // What CheckMembers last read: the lock's holder where a member's lock record is held (with
  // what it is doing, e.g. "repair 2"), and the newest member record (another client's view of
  // the failed members, and how far a repair under way has got).
  struct Observed {
    std::optional<LockRecord> holder;
    std::optional<MemberRecord> newest;
  };
  const Observed& observed() const { return observed_; }
  // Where the lock lives: its virtual block, and the server holding it.
  int lock_block() const { return lock_block_; }
  int lock_server() const { return lock_at_.server; }

  // Rebuilds every physical block of a failed server that has come back (blank or not) from
  // the others, then marks it healthy. Refuses (kInvalidArgument / kUnavailable, nothing
  // written) when the id is out of range, the server is not failed, another server is
  // failed, or the server is unreachable or has the wrong geometry. A server not marked
  // failed is asked first (one Get): if it does not answer it is marked failed and reported
  // (kServerDisconnected), then refused as unreachable. If anything fails midway the server
  // stays failed. Defined in repair.cc.
  Status Repair(int server, const Progress& progress);

  // `online <server>`: takes back a member failed by mistake (a timeout, a stopped server or
  // shell) without rebuilding it, once every stripe with it adds up and every block passes its
  // checksum (a scrub that writes nothing): it missed no write. Another failed member that
  // answers is read for the check and stays failed ('online' it next: a way back from FAILED
  // when two were failed by mistake). Refuses, nothing written, when it is not failed, another
  // failed member does not answer, it is unreachable, blank or of another array, or a stripe
  // does not add up (kDataLoss: then 'repair'). Returns the stripes checked.
  // Defined in online.cc.
  Result<int> Online(int server, const Progress& progress);

  // Reads every stripe (all N servers, in batches read in parallel) and checks each block's
  // checksum and each stripe's parity; the lock block is not file-system data and is skipped.
  // With `repair`: a stripe with one block failing its checksum gets that block rebuilt from
  // the others; a stripe whose blocks all pass their checksums but whose parity does not match
  // gets its parity recomputed from the (checksum-verified) data; a stripe with two failing
  // blocks is reported and left alone. Nothing is written without `repair`, nor for a clean
  // stripe. Refuses (kUnavailable, nothing read) while a server is failed; a server failing
  // during the scrub stops it with that error. Defined in scrub.cc.
  Result<ScrubReport> Scrub(bool repair, const Progress& progress);

 private:
  // One request to one server; a failed server is not contacted (kUnavailable); a
  // transport failure marks it failed.
  Result<Bytes> ServerGet(Location at);
  Status ServerPut(Location at, const Bytes& data);
  // Several requests, in parallel across servers; results in the order asked.
  std::vector<Result<Bytes>> GetMany(const std::vector<Location>& at);
  std::vector<Status> PutMany(const std::vector<std::pair<Location, Bytes>>& writes);

  // What marks a server failed: kUnavailable or kProtocolError from it.
  static bool IsServerFailure(const Status& s);
  // at: the slot of the request that met the failure, when it had one (for the message).
  void MarkFailed(int server, const char* op, std::optional<Location> at = std::nullopt);
  // Both: the server marked failed (once; a new failure forgets a partial rebuild) and the
  // failure reported, and published before the next write round.
  void Fail(int server, ArrayEvent event);
  // A member treated as failed for what its record says: reported as kMemberRejected.
  void Reject(int server, const std::string& why);
  // Whether slot `at` cannot be used: its server is failed and, if being rebuilt, not yet
  // that far.
  bool Down(Location at) const { return failed_[at.server] && at.block >= rebuilt_[at.server]; }
  // After a call to `server`: when its connection was re-opened since it was last checked,
  // its record must still be what this array wrote there (else it is rejected, kUnavailable).
  Status CheckSession(int server);
  // The record `key` of `server`, read without this client's epoch (reading is no write: it is
  // answered whether or not our grant there is still current).
  Result<Bytes> ReadRecord(int server, const char* key);
  // `record`, just read from `server`, is what this array last saw there (or another client's
  // newer view of it); otherwise the member is rejected (kUnavailable).
  Status CheckRecord(int server, const Result<Bytes>& record);

  // membership.cc. The member records read from every server, and what they mean.
  struct MemberRead {
    Result<Bytes> member = Status::Error(Code::kInternal, "not read");
  };
  std::vector<MemberRead> ReadRecords();
  Status Reconcile(std::vector<MemberRead>& reads, bool initial);
  // The array's file system was made with other -ni/-is than this shell's: kInvalidArgument.
  Status CheckFileSystem(const MemberRecord& truth) const;
  Status AdoptTruth(const MemberRecord& truth,
                    const std::vector<std::optional<MemberRecord>>& records);
  // Members without records (Python servers): one reading as zeros where its first stripes'
  // parity says otherwise is rejected as blank.
  void CheckUnrecordedBlank(const std::vector<int>& unchecked);
  // Takes back a member this client saw fail, when its record shows it repaired since.
  void Readmit(int server, const MemberRecord& truth);
  // Writes the current view to every member whose record differs (the live ones, and the one
  // being rebuilt); bumps the generation when the failed set changed.
  Status Publish();
  Status PublishIfPending() { return publish_pending_ ? Publish() : Status::Ok(); }
  // One member's answer to Publish's compare-and-set: kept, or a conflict (another client's
  // record there), or the member's failure; kFenced stops the publication.
  Status TakePublished(int server, const Result<Bytes>& answer, const Bytes& wanted,
                       bool* conflict);
  MemberRecord RecordFor(int server) const;
  // Runs `tasks` and, in the same parallel round, reads the record of every other live member
  // that keeps one and checks it (CheckRecord): a blank restart is caught before the command.
  void RunWithMemberChecks(std::vector<Fanout::Task> tasks);

  // The lock (array_lock.cc). How this client holds it on one member: by Lock (RSM of the
  // lock block and the record, on the lock's server), by Claim (the record alone), or by a
  // plain RSM (a lock server without records).
  enum class GrantKind { kNone, kLock, kClaim, kPlain };
  struct Grant {
    GrantKind kind = GrantKind::kNone;
    Result<client::LockReply> reply = Status::Error(Code::kInternal, "not asked");
  };
  // What one attempt learnt: the previous records of the members granted, the lock broken
  // (its previous holder's record), who holds it where it was not granted.
  struct LockView {
    std::vector<client::LockReply> previous;
    std::optional<client::LockReply> broken;
    std::optional<client::LockReply> holder;
  };
  // The epoch of this client's grant on `server` (0: none): what its requests carry.
  int64_t EpochOf(int server) const;
  // A majority of the members that keep records (counting failed ones).
  int LockQuorum() const;
  // The members the lock must be held on: every live member that keeps records and the lock's
  // server (by RSM when it keeps none); only the lock's server when no majority is left.
  std::vector<int> LockMembers() const;
  // record_only: Claim even on the lock's server (its block is unreadable).
  Grant AskLock(int server, const Bytes& mine, int lease_ms, bool record_only = false);
  static bool Granted(const Grant& grant);
  // `reply` with its holder record reduced to the holder text: who holds the lock where it was
  // refused (or whose lock it broke); empty for a plain RSM holder or a note.
  static client::LockReply HolderOf(const client::LockReply& reply);
  // One parallel round asking the members not yet granted.
  std::vector<Grant> LockRound(const std::vector<int>& members, const Bytes& mine, int lease_ms);
  // Keeps the grants, sets each member's epoch, checks the records read with them.
  void TakeGrants(std::vector<Grant>& grants, LockView* view);
  bool HoldsAll(const std::vector<int>& members) const;
  // Whether this client's grants are on a majority of the members that keep records.
  bool KeepsMajority() const;
  // Not every member granted: a majority is kept (the others will give theirs back), a
  // minority given back; answers "held" with who holds it.
  client::LockReply WaitForLock(LockView view);
  // Gives every grant back (Unlock, Release, or the plain Put), leaving `note`.
  Status ReleaseGrants(const Bytes& note);
  // PutMeta of the lock record on every member granted (a renewal, the intent): kFenced when
  // any of them is no longer ours. what: what that means for the command.
  Status OnEveryGrant(const Bytes& value, const char* what);
  // The member a repair writes: granted too, so that its writes are fenced like the others'.
  Status ClaimTarget(int server);
  // Records what the holder is doing (LockRecord::doing) on every member granted.
  Status Announce(const std::string& doing);
  // After the lock is taken: learn what changed, resync after a dead writer.
  Status AfterLock(const LockView& lock);
  Status Resync(const std::string& why);
  // The write intent: before the first covered write of a command, the lock records on every
  // member granted say "dirty" (cleared by the release's note).
  Status SetIntent();
  std::string DirtyRefusal(Location at) const;
  void Report(const ArrayEvent& event);
  enum class ErrorKind { kRead, kWrite, kChecksum };
  void CountError(int server, ErrorKind kind);
  void ReportCorrupt(Location at);
  bool IsLockSlot(Location at) const { return at == lock_at_; }
  // A Get of the lock block (see the contract above).
  Result<Bytes> GetLock(Location at);
  // The other slots of stripe that parity covers, without `except` (and never the lock slot).
  std::vector<Location> CoveredSlots(int stripe, Location except) const;

  // Texts of double-fault errors. Describe: "block 17" or "the parity of stripe 5".
  std::string Describe(Location at) const;
  // Why the read of `at` failed ("server 3 failed", "block 18 on server 3 is corrupt"...);
  // reports a checksum error as kCorruptedBlock.
  std::string ReadFailure(Location at, const Status& error);
  // kDataLoss: "<Describe(target)> <what>: <cause>, and <ReadFailure(other, error)>".
  Status Lost(Location target, const char* what, const std::string& cause, Location other,
              const Status& error);

  // The bytes of slot `at` rebuilt as the XOR of the other covered slots of its stripe; the
  // target's own copy is unusable for `cause` (for the error text). kDataLoss when another
  // read fails.
  Result<Bytes> Rebuild(Location at, const std::string& cause);
  // The same for many slots, all their reads in one parallel round. The lock slot is not
  // covered by parity: it rebuilds as the released lock, without any read.
  Result<std::vector<Bytes>> RebuildMany(const std::vector<Location>& targets,
                                         const std::string& cause);

  // kInvalidArgument unless 0 <= server < N (repair's and online's first check).
  Status CheckServerId(int server) const;
  // Online's refusals (see Online), checked before anything is read.
  Status CheckOnlineable(int server);
  // Repair's refusals (see Repair), checked before anything is written.
  Status CheckRepairable(int server);
  // Where a repair of `server` starts (rebuilt_): after an interrupted one, where it stopped.
  Status ResumePoint(int server);
  // Rebuilds the stripes [start, end) of `server`, recording the progress as it goes.
  Status RebuildFrom(int server, int start, const Progress& progress);
  // What each server answered to one GetBlocks of a batch.
  using BatchReads = std::vector<Result<std::vector<Result<Bytes>>>>;
  // The rebuilt blocks of stripes [first, first + count) of `server`, the XOR of the other
  // servers' answers `reads` (the lock slot aside). Any unusable answer (a server failed, a
  // block corrupt) sends the batch through RebuildMany instead, whose errors name the lost
  // block and why.
  Result<std::vector<Bytes>> XorBatch(int server, int first, int count, BatchReads& reads,
                                      const std::string& cause);
  // Stripes per batch of a repair or scrub: what every server's batch calls carry, at least
  // 32 (the servers without them are read block by block, in parallel across servers).
  int BatchStripes() const;
  // How repair and scrub fan out (raid/fanout.h): on threads when a member is a server
  // without our extensions (the Python reference: single-threaded, a connection per call,
  // CPU-bound, so the client's work per call must not wait for one thread's share of a busy
  // core), in lanes otherwise (our servers answer in µs: no hand-offs).
  Fanout::Mode BulkMode() const;
  // GetBlocks of [first, first + count) on `server`, the lock slot left out (its place holds
  // an error).
  Result<std::vector<Result<Bytes>>> ReadAround(int server, int first, int count);
  // Scrub of stripes [first, first + count): its findings appended to *report.
  Status ScrubBatch(int first, int count, bool repair, ScrubReport* report);
  // One stripe whose reads are `reads` (one per server, the lock slot's unused).
  Status ScrubStripe(int stripe, std::vector<Result<Bytes>>& reads, bool repair,
                     ScrubReport* report);

  Status PutCovered(int block, Location data_at, const Bytes& data);
  Status ReadModifyWrite(int block, Location data_at, const Bytes& data);
  Status WriteDataAndParity(Location data_at, const Bytes& data, Location parity_at,
                            const Bytes& parity);
  // Parity from the new data and every other covered data block of the stripe, then the
  // parity alone (the data server failed: write_data false) or both. cause: why the old data
  // or parity cannot be used, for the error text ("" when both are fine).
  Status ReconstructWrite(Location data_at, const Bytes& data, bool write_data,
                          const std::string& cause);

  Layout layout_;
  std::vector<client::BlockDevice*> servers_;
  int num_blocks_;
  int block_size_;
  int server_blocks_;
  EventSink sink_;
  bool force_;
  ArrayOptions options_;
  int lock_block_;  // from the lock convention given at construction
  Location lock_at_;
  mutable std::mutex mu_;                  // serialises failure marking and events
  std::vector<MemberErrors> errors_;       // under mu_
  std::vector<std::string> failure_;       // under mu_
  std::vector<std::atomic<bool>> failed_;  // written under mu_
  std::vector<std::atomic<int>> rebuilt_;  // written under mu_ or by Repair
  std::atomic<bool> publish_pending_{false};

  // Membership. Per-server entries are touched by that server's task or by the caller's
  // thread between rounds, never by two threads at once.
  std::vector<bool> checkable_;
  std::vector<Bytes> seen_;         // the member record last read or written there
  std::vector<uint64_t> sessions_;  // sessions() when that member was last checked
  MemberRecord view_;               // the array's view; index unused
  bool assembled_ = false;
  // The lock and the write intent.
  std::optional<LockRecord> held_;  // our record beside the lock, while held
  Bytes held_bytes_;                // its bytes, as on every member granted
  Bytes pending_bytes_;             // the record asked for by the attempt under way
  std::vector<Grant> grants_;       // per member
  int lease_ms_ = 0;
  int64_t renewed_at_ms_ = 0;  // steady clock
  int repairing_ = -1;         // the member Repair is writing (its record is kept)
  bool intent_set_ = false;
  bool fresh_ = false;            // no records at Assemble, none published by us yet
  bool existed_ = false;          // records at Assemble
  bool records_changed_ = false;  // a member's record changed under another client
  Observed observed_;
  bool lock_healed_ = false;  // a corrupt lock block was written back once (Lock)
  bool dirty_ = false;
  std::string dirty_why_;
  Fanout fanout_;
};

}  // namespace memoryfs::raid
