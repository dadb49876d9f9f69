// XOR of blocks, the arithmetic of RAID-5 parity.
#pragma once

#include "core/bytes.h"

namespace memoryfs {

// acc ^= other, byte by byte. Both must have the same size.
void XorInto(Bytes& acc, const Bytes& other);

// True when every byte is zero.
bool IsAllZero(const Bytes& data);

}  // namespace memoryfs
