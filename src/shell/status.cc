#include "shell/status.h"

#include <cstdlib>
#include <iomanip>

namespace memoryfs::shell {
namespace {

struct Row {
  std::string name;
  std::string endpoint;
  std::string state;
  raid::MemberErrors errors;
  bool counted = true;  // false: no counts (one server)
};

void PrintTable(const std::vector<Row>& rows, std::ostream& out) {
  out << "config:\n\n";
  const auto line = [&out](const std::string& name, const std::string& endpoint,
                           const std::string& state, const std::string& read,
                           const std::string& write, const std::string& checksum) {
    out << "        " << std::left << std::setw(8) << name << std::setw(24) << endpoint
        << std::setw(10) << state << std::right << std::setw(6) << read << std::setw(7) << write
        << std::setw(7) << checksum << "\n";
  };
  line("NAME", "ENDPOINT", "STATE", "READ", "WRITE", "CKSUM");
  for (const Row& row : rows) {
    const auto count = [&row](int64_t n) { return row.counted ? std::to_string(n) : "-"; };
    line(row.name, row.endpoint, row.state, count(row.errors.read), count(row.errors.write),
         count(row.errors.checksum));
  }
}

std::string List(const std::vector<int>& servers) {
  std::string text;
  for (int s : servers) text += (text.empty() ? "" : ", ") + std::to_string(s);
  return text;
}

// The "status:" and "action:" lines of an array in `health` with `failed` members.
void PrintAdvice(const raid::Array& array, Health health, const std::vector<int>& failed,
                 std::ostream& out) {
  if (health == Health::kOnline) {
    out << " status: every server is online; any one of them may fail without data loss.\n";
    return;
  }
  if (health == Health::kDegraded) {
    const int s = failed.front();
    out << " status: server " << s << " is FAILED (" << array.failure(s)
        << "). Every block still reads, rebuilt from parity,\n"
        << "         but one more failure would lose data.\n"
        << " action: restart server " << s << " (blank is fine) and type 'repair " << s << "'.\n";
    return;
  }
  out << " status: servers " << List(failed) << " are FAILED: the blocks they held cannot be\n"
      << "         rebuilt; reads of them fail rather than return wrong bytes.\n"
      << " action: bring back all but one of them with their blocks; then repair the last.\n";
}

// A repair that another client runs now: its lock record says so (LockRecord::doing) and the
// newest member record how far it got.
std::string RepairUnderWay(const raid::Array& array) {
  const raid::Array::Observed& seen = array.observed();
  if (!seen.holder || seen.holder->doing.rfind("repair ", 0) != 0 || !seen.newest) return "";
  const int server = std::atoi(seen.holder->doing.c_str() + 7);
  const auto it = seen.newest->failed.find(server);
  if (it == seen.newest->failed.end()) return "";
  return "repair of server " + std::to_string(server) + " in progress by " + seen.holder->holder +
         ": " + std::to_string(it->second) + " of " + std::to_string(array.server_blocks()) +
         " stripes rebuilt";
}

std::string Scan(const raid::Array& array, const std::vector<int>& failed,
                 const std::string& last_scrub) {
  if (std::string running = RepairUnderWay(array); !running.empty()) return running;
  for (int s : failed) {
    if (array.rebuilt(s) > 0) {
      return "repair of server " + std::to_string(s) + " stopped at stripe " +
             std::to_string(array.rebuilt(s)) + " of " + std::to_string(array.server_blocks()) +
             ": 'repair " + std::to_string(s) + "' resumes it";
    }
  }
  return last_scrub.empty() ? "none requested (type 'scrub' to check every stripe)" : last_scrub;
}

Health PrintArrayStatus(raid::Array& array,
                        const std::vector<std::unique_ptr<client::RemoteDevice>>& remotes,
                        const std::string& last_scrub, std::ostream& out) {
  array.CheckMembers();
  std::vector<int> failed;
  std::vector<Row> rows(1);
  for (int s = 0; s < array.num_servers(); ++s) {
    if (array.failed(s)) failed.push_back(s);
    Row row{std::to_string(s), remotes[s]->endpoint().ToString(),
            array.failed(s) ? "FAILED" : "ONLINE", array.errors(s)};
    if (!array.checkable(s) && !array.failed(s)) row.state = "ONLINE*";
    rows[0].errors.read += row.errors.read;
    rows[0].errors.write += row.errors.write;
    rows[0].errors.checksum += row.errors.checksum;
    rows.push_back(row);
  }
  const Health health = failed.empty()       ? Health::kOnline
                        : failed.size() == 1 ? Health::kDegraded
                                             : Health::kFailed;
  rows[0].name = "raid5";
  rows[0].state = HealthName(health);
  out << "  array: RAID-5 over " << array.num_servers() << " servers, -nb " << array.num_blocks()
      << " -bs " << array.block_size() << " (" << array.server_blocks()
      << " blocks per server), generation " << array.generation() << "\n"
      << "  state: " << HealthName(health) << "\n";
  const raid::Array::Observed& seen = array.observed();
  out << "   lock: "
      << (seen.holder
              ? "held by " + seen.holder->holder +
                    (seen.holder->doing.empty() ? "" : ", running '" + seen.holder->doing + "'")
              : std::string("free"))
      << "\n";
  PrintAdvice(array, health, failed, out);
  out << "   scan: " << Scan(array, failed, last_scrub) << "\n";
  PrintTable(rows, out);
  bool unrecorded = false;
  for (int s = 0; s < array.num_servers(); ++s) unrecorded |= !array.checkable(s);
  if (unrecorded) out << "\n        * keeps no array records (a Python server)\n";
  out << "\nerrors: "
      << (health == Health::kFailed ? "the blocks of the failed servers cannot be read (DATA_LOSS)"
          : array.dirty() ? "a client died while writing: the parity of the stripes it wrote "
                            "may be stale;\n        rebuilding is refused without -force 1"
                          : "No known data errors")
      << "\n";
  return health;
}

Health PrintServerStatus(client::RemoteDevice& server, std::ostream& out) {
  const Result<Bytes> answer = server.Get(0);
  const Health health = answer.ok() ? Health::kOnline : Health::kFailed;
  out << "  array: one server (no RAID-5), -nb " << server.num_blocks() << " -bs "
      << server.block_size() << "\n"
      << "  state: " << HealthName(health) << "\n";
  if (!answer.ok()) out << " status: " << answer.status().ToString() << "\n";
  PrintTable({Row{"0", server.endpoint().ToString(), HealthName(health), {}, false}}, out);
  return health;
}

}  // namespace

const char* HealthName(Health health) {
  switch (health) {
    case Health::kOnline:
      return "ONLINE";
    case Health::kDegraded:
      return "DEGRADED";
    case Health::kFailed:
      return "FAILED";
  }
  return "?";
}

Health PrintStatus(raid::Array* array,
                   const std::vector<std::unique_ptr<client::RemoteDevice>>& remotes,
                   const std::string& last_scrub, std::ostream& out) {
  return array != nullptr ? PrintArrayStatus(*array, remotes, last_scrub, out)
                          : PrintServerStatus(*remotes.front(), out);
}

}  // namespace memoryfs::shell
