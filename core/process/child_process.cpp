#include "child_process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ringside {
namespace {

// In the child between fork and exec: async-signal-safe calls only. A failing step writes its
// errno to `report` and exits 127.
[[noreturn]] void exec_child(const ChildSpec& spec, char* const* argv, pid_t parent, int devnull, int report) {
  const auto fail = [report](int err) {
    (void)!::write(report, &err, sizeof(err));
    ::_exit(127);
  };
  if (spec.die_with_parent) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(errno);
    if (::getppid() != parent) ::_exit(127);  // the parent died before the line above
  }
  if (spec.group == ChildSpec::Group::own_session && ::setsid() < 0) fail(errno);
  if (spec.group == ChildSpec::Group::own_group && ::setpgid(0, 0) != 0) fail(errno);
  const int fds[3] = {spec.stdin_fd >= 0 ? spec.stdin_fd : devnull, spec.stdout_fd, spec.stderr_fd};
  for (int target = 0; target < 3; ++target)
    if (fds[target] >= 0 && fds[target] != target && ::dup2(fds[target], target) < 0) fail(errno);
  // Nothing else of ours leaks in (the report pipe is close-on-exec).
  if (::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 1024; ++fd)
      if (fd != report) ::close(fd);
  // A clean signal state: ringside blocks or catches signals for its own reasons.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execvp(argv[0], argv);
  fail(errno);
  ::_exit(127);  // not reached: fail() exits
}

}  // namespace

pid_t spawn_child(const ChildSpec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("spawn_child: no argv");
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int report[2];  // the child's exec errno; EOF once exec succeeded (close-on-exec)
  if (devnull < 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    const int err = errno;
    if (devnull >= 0) ::close(devnull);
    throw std::runtime_error("cannot start " + spec.argv[0] + ": " + std::strerror(err));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(spec, argv.data(), parent, devnull, report[1]);
  const int fork_err = errno;
  ::close(report[1]);
  ::close(devnull);
  if (pid < 0) {
    ::close(report[0]);
    throw std::runtime_error("cannot start " + spec.argv[0] + ": fork: " + std::strerror(fork_err));
  }
  int child_err = 0;
  ssize_t n;
  while ((n = ::read(report[0], &child_err, sizeof(child_err))) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n > 0) {
    reap_child(pid);
    throw std::runtime_error("cannot start " + spec.argv[0] + ": " + std::strerror(child_err));
  }
  return pid;
}

int reap_child(pid_t pid) noexcept {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = strsignal(WTERMSIG(status));
    return "signal " + std::to_string(WTERMSIG(status)) + (name ? std::string(" (") + name + ")" : "");
  }
  return "wait status " + std::to_string(status);
}

}  // namespace ringside
