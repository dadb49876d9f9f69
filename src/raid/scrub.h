// What a scrub of a RAID-5 array finds (Array::Scrub, scrub.cc), as values: the raid layer
// reports, the shell prints.
#pragma once

#include <string>
#include <vector>

namespace memoryfs::raid {

struct ScrubFinding {
  enum class Kind {
    kChecksum,      // the block failed its checksum on its server
    kParity,        // every block passed its checksum, but the parity does not match the data
    kUnrepairable,  // the block failed its checksum and so did another block of its stripe
  };
  Kind kind = Kind::kChecksum;
  int stripe = 0;
  int server = 0;
  int block = -1;         // the virtual block, or -1 for the stripe's parity
  bool repaired = false;  // scrub repair rewrote it

  // "stripe 5, server 2, block 17: checksum error (rebuilt)",
  // "stripe 9, server 3, parity: does not match the data (rewritten)",
  // "stripe 4, server 1, block 13: checksum error, another block of the stripe too: not
  // repairable".
  std::string ToString() const;
};

struct ScrubReport {
  int stripes = 0;  // stripes checked
  std::vector<ScrubFinding> findings;
  int repaired() const;
  // "scrub: 86 stripes checked, no mismatch" or "scrub: 86 stripes checked, 2 mismatches,
  // 2 repaired".
  std::string Summary() const;
};

}  // namespace memoryfs::raid
