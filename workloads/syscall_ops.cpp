// The ops: write/openat/getppid/execve/connect (one syscall each), file (openat + unlinkat of a
// name of a chosen length), call (one call of an exported function), alloc (malloc, calloc,
// realloc, free, free), and the mix cycle.
#include "syscall_ops.h"

extern "C" {
#include <linux/types.h>

#include "rs_record.h"
}

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <stdexcept>

// The function the `calls` workload calls exactly once per op (function_timing's default
// target): exported, never inlined, and with a side effect the optimiser cannot drop.
extern "C" __attribute__((noinline, used, visibility("default"))) uint64_t ringside_workload_call(uint64_t x) {
  asm volatile("" : "+r"(x));
  return x * 2654435761u + 1;
}

namespace ringside::workload_detail {
namespace {

constexpr const char* kTruePath = "/bin/true";
char kTrueArg0[] = "true";
char kTrueArg1[] = "--ringside-exec";
char kTrueArg2[] = "argument-two";
char kTrueArg3[] = "a-third-argument-somewhat-longer-than-the-others";
char* const kTrueArgv[] = {kTrueArg0, kTrueArg1, kTrueArg2, kTrueArg3, nullptr};
char* const kEmptyEnv[] = {nullptr};

// The allocator, called through pointers the optimiser cannot see through (it would otherwise
// fold a malloc/free pair away).
void* (*volatile g_malloc)(size_t) = std::malloc;
void* (*volatile g_calloc)(size_t, size_t) = std::calloc;
void* (*volatile g_realloc)(void*, size_t) = std::realloc;
void (*volatile g_free)(void*) = std::free;
uint64_t (*volatile g_call)(uint64_t) = ringside_workload_call;

// Name lengths the files workload cycles through by default: empty, short, long, exactly the
// 256-byte capture cap, and over it (the last two exceed NAME_MAX: the syscalls still enter).
const std::vector<uint32_t> kDefaultPathLengths = {0, 1, 17, 64, 128, 200, 255, 256, 300};

Op op_of(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::write: return Op::kWrite;
    case WorkloadKind::openat: return Op::kOpenat;
    case WorkloadKind::getppid: return Op::kGetppid;
    case WorkloadKind::exec: return Op::kExecve;
    case WorkloadKind::connect: return Op::kConnect;
    case WorkloadKind::files: return Op::kFile;
    case WorkloadKind::calls: return Op::kCall;
    case WorkloadKind::alloc: return Op::kAlloc;
    case WorkloadKind::mixed: break;
  }
  throw std::invalid_argument(fmt::format("no single op for workload kind '{}'", to_string(kind)));
}

uint64_t monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);  // vDSO: no syscall on the usual clocksources
  return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

bool uses(const WorkloadSpec& spec, WorkloadKind kind) {
  if (spec.kind == kind) return true;
  if (spec.kind != WorkloadKind::mixed) return false;
  const auto mix = effective_mix(spec);
  const auto it = mix.find(std::string(to_string(kind)));
  return it != mix.end() && it->second > 0;
}

inline void tally(ThreadTally& t, Call c) noexcept { ++t.issued[static_cast<int>(c)]; }

}  // namespace

std::string_view call_name(Call c) noexcept {
  constexpr std::string_view names[kCallKinds] = {"write",   "openat", "getppid", "execve", "connect", "unlinkat",
                                                  "call",    "malloc", "calloc",  "realloc", "free"};
  return names[static_cast<int>(c)];
}

std::vector<Call> calls_of(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::write: return {Call::write};
    case WorkloadKind::openat: return {Call::openat};
    case WorkloadKind::getppid: return {Call::getppid};
    case WorkloadKind::exec: return {Call::execve};
    case WorkloadKind::connect: return {Call::connect};
    case WorkloadKind::files: return {Call::openat, Call::unlinkat};
    case WorkloadKind::calls: return {Call::call};
    case WorkloadKind::alloc: return {Call::malloc, Call::calloc, Call::realloc, Call::free};
    case WorkloadKind::mixed: break;
  }
  return {};
}

std::vector<Op> op_cycle(const WorkloadSpec& spec) {
  if (spec.kind != WorkloadKind::mixed) return {op_of(spec.kind)};
  std::vector<std::pair<Op, int64_t>> weights;
  int64_t divisor = 0;
  for (const auto& [name, weight] : effective_mix(spec)) {
    if (weight == 0) continue;
    weights.emplace_back(op_of(parse_enum<WorkloadKind>(name).value_or_throw("mix")), weight);
    divisor = std::gcd(divisor, int64_t{weight});
  }
  int64_t total = 0;
  for (auto& [s, w] : weights) total += (w /= divisor);
  // Smooth weighted round robin: every step each kind gains its weight, the richest is
  // picked and pays the total; over `total` steps each kind is picked exactly w times.
  std::vector<int64_t> credit(weights.size(), 0);
  std::vector<Op> cycle;
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
    : devnull_(::open("/dev/null", O_RDWR | O_CLOEXEC)), write_bytes_(spec.write_bytes) {
  if (!devnull_) throw std::runtime_error(fmt::format("failed to open /dev/null: {}", std::strerror(errno)));
  if (uses(spec, WorkloadKind::connect)) listener_ = std::make_unique<LoopbackListener>();
  if (uses(spec, WorkloadKind::exec) && ::access(kTruePath, X_OK) != 0)
    throw std::runtime_error(fmt::format("cannot execute {}: {}", kTruePath, std::strerror(errno)));
  if (uses(spec, WorkloadKind::files)) {
    // a private directory, on tmpfs when there is one: the names come and go, the disk is not the point
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    files_path_ = fmt::format("{}/ringside-files-{}", base, ::getpid());
    if (::mkdir(files_path_.c_str(), 0700) != 0 && errno != EEXIST)
      throw std::runtime_error(fmt::format("cannot create {}: {}", files_path_, std::strerror(errno)));
    files_dir_.reset(::open(files_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!files_dir_) throw std::runtime_error(fmt::format("cannot open {}: {}", files_path_, std::strerror(errno)));
    path_lengths_ = spec.path_bytes > 0 ? std::vector<uint32_t>{spec.path_bytes} : kDefaultPathLengths;
  }
  ::posix_spawn_file_actions_init(&spawn_actions_);  // last: nothing below throws
  if (uses(spec, WorkloadKind::exec)) {
    // Keep the exec'd children off our stdin/stdout (the control channel).
    ::posix_spawn_file_actions_adddup2(&spawn_actions_, devnull(), STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&spawn_actions_, devnull(), STDOUT_FILENO);
  }
}

OpEnvironment::~OpEnvironment() {
  ::posix_spawn_file_actions_destroy(&spawn_actions_);
  if (!files_path_.empty()) ::rmdir(files_path_.c_str());  // best effort: names were removed per op
}

OpIssuer::OpIssuer(const OpEnvironment& env, std::vector<Op> cycle, int thread_index)
    : env_(&env), cycle_(std::move(cycle)), write_buffer_(env.write_bytes()) {
  const rs_user_tag tag{RS_USER_TAG, 0};
  std::memcpy(write_buffer_.data(), &tag, sizeof(tag));
  for (size_t i = sizeof(tag); i < write_buffer_.size(); ++i) write_buffer_[i] = static_cast<unsigned char>(i);
  // Names of each length, unique per thread where the length allows ("t3-xxxx…").
  for (uint32_t len : env.path_lengths()) {
    std::string name = fmt::format("t{}-", thread_index);
    if (name.size() > len) name.resize(len);
    name.resize(len, 'x');
    names_.push_back(std::move(name));
  }
}

void OpIssuer::issue(ThreadTally& t) noexcept {
  const Op op = cycle_[next_];
  if (++next_ == cycle_.size()) next_ = 0;
  bool issued = true;
  bool ok = false;
  switch (op) {
    case Op::kWrite: ok = do_write(t); break;
    case Op::kOpenat: ok = do_openat(); break;
    case Op::kGetppid: ok = do_getppid(); break;
    case Op::kExecve: ok = do_execve(issued); break;
    case Op::kConnect: ok = do_connect(issued); break;
    case Op::kFile: ok = do_file(t); break;
    case Op::kCall: ok = do_call(t); break;
    case Op::kAlloc: ok = do_alloc(t); break;
  }
  ++t.ops;
  if (issued) {
    switch (op) {
      case Op::kWrite: tally(t, Call::write); break;
      case Op::kOpenat: tally(t, Call::openat); break;
      case Op::kGetppid: tally(t, Call::getppid); break;
      case Op::kExecve: tally(t, Call::execve); break;
      case Op::kConnect: tally(t, Call::connect); break;
      default: break;  // the multi-call ops count their own calls
    }
  }
  if (!ok) ++t.errors;
}

bool OpIssuer::do_write(ThreadTally& t) noexcept {
  // t_user is the last thing before the syscall: the BPF side measures syscall→hook from it.
  const uint64_t t_user = monotonic_ns();
  std::memcpy(write_buffer_.data() + offsetof(rs_user_tag, t_user), &t_user, sizeof(t_user));
  const bool ok = ::write(env_->devnull(), write_buffer_.data(), write_buffer_.size()) == ssize_t(write_buffer_.size());
  t.write_ns += monotonic_ns() - t_user;  // what tracing adds to each write shows here (traced vs not)
  return ok;
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

// openat(dir, name, O_CREAT) then unlinkat(dir, name): two syscalls that carry a path, whatever
// happens to them (a name over NAME_MAX fails with ENAMETOOLONG after entering the kernel).
bool OpIssuer::do_file(ThreadTally& t) noexcept {
  const std::string& name = names_[next_name_];
  if (++next_name_ == names_.size()) next_name_ = 0;
  const int fd = ::openat(env_->files_dir(), name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  tally(t, Call::openat);
  if (fd >= 0) ::close(fd);
  const int rc = ::unlinkat(env_->files_dir(), name.c_str(), 0);
  tally(t, Call::unlinkat);
  return fd >= 0 && rc == 0;
}

bool OpIssuer::do_call(ThreadTally& t) noexcept {
  calls_ = g_call(calls_);
  tally(t, Call::call);
  return true;
}

// malloc, calloc, realloc, free, free: sizes cycle within the allocator's small bins.
bool OpIssuer::do_alloc(ThreadTally& t) noexcept {
  const size_t size = 32 + (calls_++ % 16) * 24;
  void* a = g_malloc(size);
  tally(t, Call::malloc);
  void* b = g_calloc(1, size);
  tally(t, Call::calloc);
  void* c = g_realloc(a, size * 2);
  tally(t, Call::realloc);
  if (!c) c = a;  // realloc failed: a is still ours
  g_free(c);
  tally(t, Call::free);
  g_free(b);
  tally(t, Call::free);
  return a && b;
}

}  // namespace ringside::workload_detail
