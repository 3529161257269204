// WorkloadProcess: spawn ringside-workload --wait-go --json, hand it "go", collect its result.
#include "workload_process.h"

#include "child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <optional>
#include <stdexcept>

namespace ringside {
namespace {

using workload_detail::OwnedFd;
using Clock = std::chrono::steady_clock;
constexpr const char* kExeName = "ringside-workload";

int reap(pid_t pid) noexcept { return reap_child(pid); }

// Appends what `fd` has to `out`: 1 = got data, 0 = EOF, -1 = deadline passed, -2 = `stop`
// said so (checked every 50 ms while nothing arrives).
int read_some(int fd, std::string& out, std::optional<Clock::time_point> deadline, const std::function<bool()>& stop) {
  for (;;) {
    if (stop && stop()) return -2;
    int timeout_ms = stop ? 50 : 60'000;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) return -1;
      timeout_ms = int(std::min<int64_t>(left, timeout_ms));
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, timeout_ms);
    if (ready < 0 && errno != EINTR) throw std::runtime_error(fmt::format("poll failed: {}", std::strerror(errno)));
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(fmt::format("reading workload output failed: {}", std::strerror(errno)));
    if (n == 0) return 0;
    out.append(buffer, size_t(n));
    return 1;
  }
}

std::optional<Clock::time_point> deadline_after(std::chrono::milliseconds timeout) {
  if (timeout == std::chrono::milliseconds::max()) return std::nullopt;
  return Clock::now() + timeout;
}

bool is_executable(const std::filesystem::path& p) { return ::access(p.c_str(), X_OK) == 0; }

}  // namespace

std::string default_workload_exe() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && is_executable(self.parent_path() / kExeName)) return (self.parent_path() / kExeName).string();
  if (const char* env = std::getenv("RINGSIDE_WORKLOAD_EXE"); env && *env) return env;
  if (const char* path = std::getenv("PATH")) {
    std::string_view dirs = path;
    while (!dirs.empty()) {
      const auto colon = dirs.find(':');
      const std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / kExeName;
      if (!candidate.parent_path().empty() && is_executable(candidate)) return candidate.string();
      dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    }
  }
  return kExeName;
}

WorkloadProcess WorkloadProcess::spawn(const WorkloadSpec& spec, const std::string& exe) {
  SpawnOptions options;
  options.exe = exe;
  return spawn(spec, options);
}

WorkloadProcess WorkloadProcess::spawn(const WorkloadSpec& spec, const SpawnOptions& options) {
  validate(spec);
  std::vector<std::string> args = options.wrapper;
  args.push_back(options.exe);
  for (auto& a : to_args(spec)) args.push_back(std::move(a));
  args.insert(args.end(), {"--wait-go", "--json"});

  // stdin is a socket so that go() can use MSG_NOSIGNAL; every fd here is close-on-exec.
  int control[2], output[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) != 0 || ::pipe2(output, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("failed to create workload pipes: {}", std::strerror(errno)));
  WorkloadProcess p;
  p.stdin_.reset(control[0]);
  p.stdout_.reset(output[0]);
  OwnedFd child_in(control[1]), child_out(output[1]);
  p.stderr_.reset(::memfd_create("ringside-workload-stderr", MFD_CLOEXEC));
  if (!p.stderr_) throw std::runtime_error(fmt::format("failed to create stderr memfd: {}", std::strerror(errno)));

  ChildSpec child;
  child.argv = args;
  child.group = ChildSpec::Group::own_group;  // a terminal's Ctrl-C is ringside's to handle, not the workload's
  child.stdin_fd = child_in.get();
  child.stdout_fd = child_out.get();
  child.stderr_fd = p.stderr_.get();
  try {
    p.child_ = spawn_child(child);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("failed to start {}", std::string(e.what()).substr(std::strlen("cannot start "))));
  }
  child_in.reset();  // only the child may hold these ends: its exit must read as EOF here
  child_out.reset();

  // Wait for "ready <pid>\n"; on any failure p's destructor kills and reaps the child.
  const auto deadline = deadline_after(options.ready_timeout);
  size_t newline;
  while ((newline = p.output_.find('\n')) == std::string::npos) {
    const int got = read_some(p.stdout_.get(), p.output_, deadline, options.stop);
    if (got == -2) throw WorkloadInterrupted("workload interrupted before ready");
    if (got == 0) p.fail("before ready", reap(std::exchange(p.child_, -1)));
    if (got < 0)
      throw std::runtime_error(fmt::format("workload not ready after {} ms: {}", options.ready_timeout.count(),
                                           p.stderr_tail()));
  }
  const std::string line = p.output_.substr(0, newline);
  p.output_.erase(0, newline + 1);
  char* end = nullptr;
  const long pid = line.starts_with("ready ") ? std::strtol(line.c_str() + 6, &end, 10) : 0;
  if (pid <= 0 || *end != '\0')
    throw std::runtime_error(fmt::format("workload printed '{}' instead of 'ready <pid>'", line));
  p.workload_pid_ = pid_t(pid);
  p.stop_ = options.stop;
  return p;
}

WorkloadProcess::WorkloadProcess(WorkloadProcess&& other) noexcept
    : child_(std::exchange(other.child_, -1)),
      workload_pid_(std::exchange(other.workload_pid_, -1)),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)),
      output_(std::move(other.output_)),
      stop_(std::move(other.stop_)) {}

WorkloadProcess& WorkloadProcess::operator=(WorkloadProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    child_ = std::exchange(other.child_, -1);
    workload_pid_ = std::exchange(other.workload_pid_, -1);
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    stderr_ = std::move(other.stderr_);
    output_ = std::move(other.output_);
    stop_ = std::move(other.stop_);
  }
  return *this;
}

WorkloadProcess::~WorkloadProcess() { kill_and_reap(); }

void WorkloadProcess::kill_and_reap() noexcept {
  if (child_ <= 0) return;
  ::kill(child_, SIGKILL);
  reap(std::exchange(child_, -1));
}

void WorkloadProcess::go() {
  if (!stdin_) throw std::runtime_error("workload was already told to go or waited for");
  if (::send(stdin_.get(), "go\n", 3, MSG_NOSIGNAL) != 3)
    throw std::runtime_error(fmt::format("workload exited before go: {}", stderr_tail()));
}

void WorkloadProcess::wait_done(std::chrono::milliseconds timeout) {
  if (child_ <= 0) throw std::runtime_error("workload was already waited for");
  const auto deadline = deadline_after(timeout);
  while (output_.find("done\n") == std::string::npos) {
    const int got = read_some(stdout_.get(), output_, deadline, stop_);
    if (got == -2) {
      kill_and_reap();
      throw WorkloadInterrupted("workload interrupted");
    }
    if (got == 0) fail("before done", reap(std::exchange(child_, -1)));
    if (got < 0) {
      kill_and_reap();
      throw std::runtime_error(fmt::format("workload not done after {} ms, killed it", timeout.count()));
    }
  }
}

WorkloadResult WorkloadProcess::wait(std::chrono::milliseconds timeout) {
  if (child_ <= 0) throw std::runtime_error("workload was already waited for");
  stdin_.reset();  // EOF after "go": the child reads nothing more (and exits 3 without go)
  const auto deadline = deadline_after(timeout);
  for (int got; (got = read_some(stdout_.get(), output_, deadline, stop_)) != 0;) {
    if (got == -2) {
      kill_and_reap();
      throw WorkloadInterrupted("workload interrupted");
    }
    if (got < 0) {
      kill_and_reap();
      throw std::runtime_error(fmt::format("workload still running after {} ms, killed it", timeout.count()));
    }
  }
  const int status = reap(std::exchange(child_, -1));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("", status);
  // The result is the last non-empty line.
  std::string_view text = output_;
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  const std::string_view line = text.substr(text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1);
  try {
    return WorkloadResult::from_json(nlohmann::json::parse(line));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("workload printed no result line ('{}'): {}", line.substr(0, 200), e.what()));
  }
}

std::string WorkloadProcess::stderr_tail() const {
  // Last few lines of what the child wrote to stderr, joined on one line.
  constexpr off_t kTail = 512;
  const off_t size = ::lseek(stderr_.get(), 0, SEEK_END);
  std::string text(size_t(std::min(size > 0 ? size : 0, kTail)), '\0');
  const ssize_t n = ::pread(stderr_.get(), text.data(), text.size(), std::max<off_t>(0, size - kTail));
  text.resize(n > 0 ? size_t(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (char& c : text)
    if (c == '\n') c = '|';
  return text.empty() ? "(nothing on stderr)" : text;
}

void WorkloadProcess::fail(const std::string& what, int status) {
  throw std::runtime_error(fmt::format("workload ended ({}){}{}: {}", describe_wait_status(status), what.empty() ? "" : " ",
                                       what, stderr_tail()));
}

}  // namespace ringside
