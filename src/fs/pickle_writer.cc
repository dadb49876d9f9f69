#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "fs/pickle.h"
#include "fs/pickle_opcodes.h"

namespace memoryfs::fs {
namespace pickle {
namespace {

constexpr size_t kFrameSizeTarget = 64 * 1024;
constexpr size_t kFrameHeaderSize = 1 + ArgWidth(kFrame);
constexpr size_t kFrameSizeMin = 4;
constexpr size_t kBatchSize = 1000;

// The low `width` bytes of value at out, least significant first.
void StoreLittleEndian(uint64_t value, size_t width, uint8_t* out) {
  for (size_t i = 0; i < width; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

// A protocol-4 pickler reproducing CPython's C implementation byte for byte for the few types
// we write: frames of at least 64 KiB, committed when a save() starts past the target; data
// payloads of 64 KiB or more written outside frames.
class Pickler {
 public:
  Pickler() {
    out_ = {kProto, 4};
    framing_ = true;
  }

  // The entry of every save() call of the C pickler.
  void Boundary() {
    if (framing_ && frame_start_ != kNoFrame &&
        out_.size() - frame_start_ - kFrameHeaderSize >= kFrameSizeTarget) {
      CommitFrame();
    }
  }

  void Write(const uint8_t* data, size_t n) {
    if (framing_ && frame_start_ == kNoFrame) {
      frame_start_ = out_.size();
      out_.insert(out_.end(), kFrameHeaderSize, 0);
    }
    out_.insert(out_.end(), data, data + n);
  }
  void Write(std::initializer_list<uint8_t> bytes) { Write(bytes.begin(), bytes.size()); }

  void Memoize() {
    Write({kMemoize});
    ++memo_count_;
  }

  void SaveStr(std::string_view text) {  // ASCII/UTF-8 text, as str
    SaveCounted(text, kShortBinUnicode, kBinUnicode, kBinUnicode8);
  }

  void SaveBytes(const Bytes& data) {
    const std::string_view view(reinterpret_cast<const char*>(data.data()), data.size());
    SaveCounted(view, kShortBinBytes, kBinBytes, kBinBytes8);
  }

  // bytearray under protocol 4: REDUCE(builtins.bytearray, (bytes(b),)).
  void SaveByteArray(const Bytes& data) {
    Boundary();
    // save(cls)
    Boundary();
    if (bytearray_memo_ < 0) {
      SaveStr("builtins");
      SaveStr("bytearray");
      Write({kStackGlobal});
      bytearray_memo_ = memo_count_;
      Memoize();
    } else {
      WriteOp(bytearray_memo_ < 256 ? kBinGet : kLongBinGet,
              static_cast<uint64_t>(bytearray_memo_));
    }
    // save(args)
    Boundary();
    if (data.empty()) {
      Write({kEmptyTuple});
    } else {
      SaveBytes(data);
      Write({kTuple1});
      Memoize();
    }
    Write({kReduce});
    Memoize();
  }

  Bytes Finish() {
    Write({kStop});
    CommitFrame();
    return std::move(out_);
  }

 private:
  static constexpr size_t kNoFrame = static_cast<size_t>(-1);

  void CommitFrame() {
    if (!framing_ || frame_start_ == kNoFrame) return;
    const size_t length = out_.size() - frame_start_ - kFrameHeaderSize;
    if (length >= kFrameSizeMin) {
      out_[frame_start_] = kFrame;
      StoreLittleEndian(length, ArgWidth(kFrame), &out_[frame_start_ + 1]);
    } else {
      out_.erase(out_.begin() + frame_start_, out_.begin() + frame_start_ + kFrameHeaderSize);
    }
    frame_start_ = kNoFrame;
  }

  // The opcode, then arg in its ArgWidth(opcode) bytes.
  void WriteOp(uint8_t opcode, uint64_t arg) {
    uint8_t header[1 + 8] = {opcode};
    StoreLittleEndian(arg, ArgWidth(opcode), header + 1);
    Write(header, 1 + ArgWidth(opcode));
  }

  // A str or bytes save(): the payload under the opcode for a 1-, 4- or 8-byte length, the
  // shortest that holds its size.
  void SaveCounted(std::string_view payload, uint8_t opcode1, uint8_t opcode4, uint8_t opcode8) {
    Boundary();
    const size_t n = payload.size();
    WriteCounted(n < 256 ? opcode1 : n <= 0xFFFFFFFFu ? opcode4 : opcode8, payload);
    Memoize();
  }

  void WriteCounted(uint8_t opcode, std::string_view payload) {
    // Large payloads bypass the frame (CPython's _Pickler_write_bytes).
    const bool bypass = payload.size() >= kFrameSizeTarget && framing_;
    if (bypass) {
      CommitFrame();
      framing_ = false;
    }
    WriteOp(opcode, payload.size());
    Write(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
    if (bypass) framing_ = true;
  }

  Bytes out_;
  bool framing_ = false;
  size_t frame_start_ = kNoFrame;
  int64_t memo_count_ = 0;
  int64_t bytearray_memo_ = -1;
};

}  // namespace

Bytes DumpStr(std::string_view text) {
  Pickler pickler;
  pickler.SaveStr(text);
  return pickler.Finish();
}

Bytes DumpByteArrayList(const std::vector<Bytes>& items) {
  Pickler pickler;
  pickler.Boundary();
  pickler.Write({kEmptyList});
  pickler.Memoize();
  if (items.size() == 1) {
    pickler.SaveByteArray(items[0]);
    pickler.Write({kAppend});
  } else if (items.size() > 1) {
    size_t total = 0;
    while (total < items.size()) {
      pickler.Write({kMark});
      for (size_t batch = 0; batch < kBatchSize && total < items.size(); ++batch, ++total) {
        pickler.SaveByteArray(items[total]);
      }
      pickler.Write({kAppends});
    }
  }
  return pickler.Finish();
}

}  // namespace pickle
}  // namespace memoryfs::fs
