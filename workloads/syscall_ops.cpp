// One traced syscall per op: write/openat/getppid/execve/connect, and the mix cycle.
#include "syscall_ops.h"

extern "C" {
#include <linux/types.h>

#include "syscall_tap.h"
}

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace ringside::workload_detail {
namespace {

constexpr const char* kTruePath = "/bin/true";
char kTrueArg0[] = "true";
char* const kTrueArgv[] = {kTrueArg0, nullptr};
char* const kEmptyEnv[] = {nullptr};

Syscall syscall_of_kind(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::write: return Syscall::kWrite;
    case WorkloadKind::openat: return Syscall::kOpenat;
    case WorkloadKind::getppid: return Syscall::kGetppid;
    case WorkloadKind::exec: return Syscall::kExecve;
    case WorkloadKind::connect: return Syscall::kConnect;
    case WorkloadKind::mixed: break;
  }
  throw std::invalid_argument(fmt::format("no single syscall for workload kind '{}'", to_string(kind)));
}

uint64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no syscall on the usual clocksources
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

}  // namespace

std::string_view syscall_name(Syscall s) noexcept {
  constexpr std::string_view names[kSyscallKinds] = {"write", "openat", "getppid", "execve", "connect"};
  return names[static_cast<int>(s)];
}

std::vector<Syscall> op_cycle(const WorkloadSpec& spec) {
  if (spec.kind != WorkloadKind::mixed) return {syscall_of_kind(spec.kind)};
  std::vector<std::pair<Syscall, int64_t>> weights;
  int64_t divisor = 0;
  for (const auto& [name, weight] : effective_mix(spec)) {
    if (weight == 0) continue;
    weights.emplace_back(syscall_of_kind(parse_enum<WorkloadKind>(name).value_or_throw("mix")), weight);
    divisor = std::gcd(divisor, int64_t{weight});
  }
  int64_t total = 0;
  for (auto& [s, w] : weights) total += (w /= divisor);
  // Smooth weighted round robin: every step each kind gains its weight, the richest is
  // picked and pays the total; over `total` steps each kind is picked exactly w times.
  std::vector<int64_t> credit(weights.size(), 0);
  std::vector<Syscall> cycle;
  for (int64_t step = 0; step < total; ++step) {
    size_t pick = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      credit[i] += weights[i].second;
      if (credit[i] > credit[pick]) pick = i;
    }
    credit[pick] -= total;
    cycle.push_back(weights[pick].first);
  }
  return cycle;
}

OpEnvironment::OpEnvironment(const WorkloadSpec& spec)
    : devnull_(::open("/dev/null", O_RDWR | O_CLOEXEC)) {
  if (!devnull_) throw std::runtime_error(fmt::format("failed to open /dev/null: {}", std::strerror(errno)));
  if (spec.kind == WorkloadKind::connect) listener_ = std::make_unique<LoopbackListener>();
  if (spec.kind == WorkloadKind::exec && ::access(kTruePath, X_OK) != 0)
    throw std::runtime_error(fmt::format("cannot execute {}: {}", kTruePath, std::strerror(errno)));
  ::posix_spawn_file_actions_init(&spawn_actions_);  // last: nothing below throws
  if (spec.kind == WorkloadKind::exec) {
    // Keep the exec'd children off our stdin/stdout (the control channel).
    ::posix_spawn_file_actions_adddup2(&spawn_actions_, devnull(), STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&spawn_actions_, devnull(), STDOUT_FILENO);
  }
}

OpEnvironment::~OpEnvironment() { ::posix_spawn_file_actions_destroy(&spawn_actions_); }

OpIssuer::OpIssuer(const OpEnvironment& env, std::vector<Syscall> cycle) : env_(&env), cycle_(std::move(cycle)) {
  const rs_user_tag tag{RS_USER_TAG, 0};
  std::memcpy(write_buffer_.data(), &tag, sizeof(tag));
  for (size_t i = sizeof(tag); i < write_buffer_.size(); ++i) write_buffer_[i] = static_cast<unsigned char>(i);
}

void OpIssuer::issue(ThreadTally& tally) noexcept {
  const Syscall s = cycle_[next_];
  if (++next_ == cycle_.size()) next_ = 0;
  bool issued = true;
  bool ok = false;
  switch (s) {
    case Syscall::kWrite: ok = do_write(); break;
    case Syscall::kOpenat: ok = do_openat(); break;
    case Syscall::kGetppid: ok = do_getppid(); break;
    case Syscall::kExecve: ok = do_execve(issued); break;
    case Syscall::kConnect: ok = do_connect(issued); break;
  }
  ++tally.ops;
  if (issued) ++tally.issued[static_cast<int>(s)];
  if (!ok) ++tally.errors;
}

bool OpIssuer::do_write() noexcept {
  // t_user is the last thing before the syscall: the BPF side measures syscall→hook from it.
  const uint64_t t_user = monotonic_ns();
  std::memcpy(write_buffer_.data() + offsetof(rs_user_tag, t_user), &t_user, sizeof(t_user));
  return ::write(env_->devnull(), write_buffer_.data(), write_buffer_.size()) == ssize_t(write_buffer_.size());
}

bool OpIssuer::do_openat() noexcept {
  const int fd = ::openat(AT_FDCWD, "/dev/null", O_RDONLY);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// getppid() cannot fail (it returns 0 when the parent is outside our pid namespace).
bool OpIssuer::do_getppid() noexcept { return ::syscall(SYS_getppid) >= 0; }

bool OpIssuer::do_execve(bool& issued) noexcept {
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, kTruePath, env_->spawn_actions(), nullptr, kTrueArgv, kEmptyEnv);
  if (rc != 0) {
    issued = rc != EAGAIN && rc != ENOMEM;  // those come from clone(): no execve was issued
    return false;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool OpIssuer::do_connect(bool& issued) noexcept {
  LoopbackListener& peer = *env_->listener();
  peer.wait_for_room();
  OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    issued = false;
    return false;
  }
  // Reset on close: no TIME_WAIT pile-up exhausting ephemeral ports at high rates.
  const linger reset{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  const int rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&peer.address()), sizeof(sockaddr_in));
  if (rc == 0) peer.note_connected();  // a refused connect never reaches the accept queue
  return rc == 0;
}

}  // namespace ringside::workload_detail
