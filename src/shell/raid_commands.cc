#include "shell/raid_commands.h"

#include <iomanip>
#include <memory>
#include <sstream>
#include <string>

#include "shell/status.h"

namespace memoryfs::shell {

namespace {

// Draws "repair server 2 [#########           ]  45% (39/86)" in place, on long rebuilds only.
class ProgressBar {
 public:
  // label: what is drawn before the bar, "repair server 2" or "scrub".
  ProgressBar(std::ostream& out, std::string label) : out_(out), label_(std::move(label)) {}
  void Update(int done, int total) {
    if (total < kMinStripes) return;
    const int width = 30;
    const int filled = static_cast<int>(static_cast<long long>(done) * width / total);
    const int percent = static_cast<int>(static_cast<long long>(done) * 100 / total);
    if (percent == last_percent_ && done != total) return;
    last_percent_ = percent;
    out_ << "\r" << label_ << " [" << std::string(filled, '#') << std::string(width - filled, ' ')
         << "] " << std::setw(3) << percent << "% (" << done << "/" << total << ")"
         << (done == total ? "\n" : "") << std::flush;
  }
  // A repair that stopped midway ends its line.
  void Abandon() {
    if (last_percent_ >= 0 && last_percent_ < 100) out_ << std::endl;
  }

 private:
  static constexpr int kMinStripes = 64;
  std::ostream& out_;
  std::string label_;
  int last_percent_ = -1;
};

std::string Cell(const Result<client::ServerInfo>& info, int64_t RequestCounts::*field) {
  return info.ok() ? std::to_string(info->counts.*field) : "-";
}

// repair and online: `run` on the array with a progress bar, its report printed on `out`.
template <typename Run>
ShellHooks::ServerHook ServerCommand(raid::Array* array, std::ostream& progress,
                                     const std::string& name, Run run) {
  return [array, &progress, name, run](int server, std::ostream& out) -> Status {
    if (array == nullptr) {
      return Status::Error(Code::kInvalidArgument,
                           name + " needs a RAID-5 array (-ns 3 or more servers)");
    }
    ProgressBar bar(progress, name + " server " + std::to_string(server));
    Result<std::string> report = run(
        server, raid::Array::Progress([&bar](int done, int total) { bar.Update(done, total); }));
    if (!report.ok()) {
      bar.Abandon();
      return report.status();
    }
    out << *report << "\n";
    return Status::Ok();
  };
}

}  // namespace

ShellHooks MakeRaidHooks(raid::Array* array,
                         const std::vector<std::unique_ptr<client::RemoteDevice>>& remotes,
                         std::ostream& progress) {
  ShellHooks hooks;
  hooks.lock_server = array != nullptr ? array->lock_server() : -1;
  if (array != nullptr) {
    hooks.settle = [array] { return array->Settle(); };
    hooks.lock.recorded = true;
  }
  hooks.repair = ServerCommand(
      array, progress, "repair", [array](int server, const auto& bar) -> Result<std::string> {
        RETURN_IF_ERROR(array->Repair(server, bar));
        return Result<std::string>("Server " + std::to_string(server) + " repaired: " +
                                   std::to_string(array->server_blocks()) + " blocks rebuilt");
      });
  hooks.online = ServerCommand(
      array, progress, "online", [array](int server, const auto& bar) -> Result<std::string> {
        ASSIGN_OR_RETURN(const int checked, array->Online(server, bar));
        return Result<std::string>("Server " + std::to_string(server) + " is online: its " +
                                   std::to_string(checked) + " stripes add up, nothing rebuilt");
      });
  // The last scrub's summary, for status.
  auto last_scrub = std::make_shared<std::string>();
  hooks.status = [array, &remotes, last_scrub](std::ostream& out) {
    return static_cast<int>(PrintStatus(array, remotes, *last_scrub, out));
  };
  hooks.scrub = [array, &progress, last_scrub](bool repair, std::ostream& out) -> Result<bool> {
    if (array == nullptr) {
      return Status::Error(Code::kInvalidArgument,
                           "scrub needs a RAID-5 array (-ns 3 or more servers)");
    }
    ProgressBar bar(progress, repair ? "scrub repair" : "scrub");
    Result<raid::ScrubReport> report =
        array->Scrub(repair, [&bar](int done, int total) { bar.Update(done, total); });
    if (!report.ok()) {
      bar.Abandon();
      return report.status();
    }
    for (const raid::ScrubFinding& finding : report->findings) out << finding.ToString() << "\n";
    out << report->Summary() << "\n";
    *last_scrub = report->Summary() + " (this shell's last)";
    return report->repaired() == static_cast<int>(report->findings.size());
  };
  hooks.show_load = [array, &remotes](std::ostream& out) {
    std::ostringstream table;
    table << std::left << std::setw(8) << "server" << std::setw(22) << "address" << std::setw(8)
          << "state" << std::right << std::setw(9) << "Get" << std::setw(9) << "Put" << std::setw(9)
          << "RSM"
          << " | " << std::setw(9) << "srv Get" << std::setw(9) << "srv Put" << std::setw(9)
          << "srv RSM" << std::setw(9) << "srv csum"
          << "\n";
    RequestCounts total;
    for (size_t i = 0; i < remotes.size(); ++i) {
      const int id = static_cast<int>(i);
      const bool failed = array != nullptr && array->failed(id);
      RequestCounts sent = remotes[i]->sent();
      total.gets += sent.gets;
      total.puts += sent.puts;
      total.rsms += sent.rsms;
      // A failed server is not contacted until repaired; a Python server has no Stats.
      Result<client::ServerInfo> info =
          failed ? Result<client::ServerInfo>(Status::Error(Code::kUnavailable, ""))
                 : remotes[i]->Stats();
      table << std::left << std::setw(8) << id << std::setw(22) << remotes[i]->endpoint().ToString()
            << std::setw(8) << (failed ? "FAILED" : "ok") << std::right << std::setw(9) << sent.gets
            << std::setw(9) << sent.puts << std::setw(9) << sent.rsms << " | " << std::setw(9)
            << Cell(info, &RequestCounts::gets) << std::setw(9) << Cell(info, &RequestCounts::puts)
            << std::setw(9) << Cell(info, &RequestCounts::rsms) << std::setw(9)
            << Cell(info, &RequestCounts::checksum_errors) << "\n";
    }
    table << std::left << std::setw(38) << "total" << std::right << std::setw(9) << total.gets
          << std::setw(9) << total.puts << std::setw(9) << total.rsms << "\n";
    out << table.str();
  };
  return hooks;
}

}  // namespace memoryfs::shell
