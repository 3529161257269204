// WorkloadProcess: ringside-workload as a child process, the form `ringside run` traces.
//
//   auto child = WorkloadProcess::spawn(spec);  // set up; returns once it printed "ready <pid>"
//   attach_tracer(child.pid());                 // nothing traced has been issued yet
//   child.go();                                 // the child starts issuing
//   child.wait_done();                          // every op issued; stop tracing here
//   WorkloadResult truth = child.wait();        // its ground-truth JSON line
//
// The child gets its own stdin (a socket, so go() never raises SIGPIPE) and stdout pipe;
// its stderr goes to a memfd whose tail is quoted in every error. No other fd of the
// parent is inherited. It runs in its own process group (a terminal's Ctrl-C reaches ringside
// only, which stops it) and dies with ringside (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "owned_fd.h"
#include "workload.h"

namespace ringside {

// `ringside-workload` next to /proc/self/exe, else $RINGSIDE_WORKLOAD_EXE, else the first
// executable one on $PATH, else the bare name (spawn then fails with a clear error).
std::string default_workload_exe();

struct SpawnOptions {
  std::string exe = default_workload_exe();
  std::vector<std::string> wrapper;  // argv prefix, e.g. {"taskset", "-c", "1"}; looked up on $PATH
  std::chrono::milliseconds ready_timeout{10'000};
  // Checked while waiting on the child (every 50 ms): true kills it and throws WorkloadInterrupted.
  std::function<bool()> stop;
};

// The wait was given up because the caller's stop check said so (Ctrl-C); the child is gone.
struct WorkloadInterrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class WorkloadProcess {
 public:
  // Validates `spec` (std::invalid_argument), starts the child with --wait-go --json and
  // waits for its ready line; throws std::runtime_error with its stderr tail on failure.
  static WorkloadProcess spawn(const WorkloadSpec& spec, const std::string& exe = default_workload_exe());
  static WorkloadProcess spawn(const WorkloadSpec& spec, const SpawnOptions& options);

  WorkloadProcess(WorkloadProcess&& other) noexcept;
  WorkloadProcess& operator=(WorkloadProcess&& other) noexcept;
  WorkloadProcess(const WorkloadProcess&) = delete;
  WorkloadProcess& operator=(const WorkloadProcess&) = delete;
  ~WorkloadProcess();  // SIGKILL and reap the child if it is still running

  // The workload's pid as it announced it (the one to trace; differs from the spawned
  // process only under a wrapper).
  pid_t pid() const noexcept { return workload_pid_; }

  // Tells the child to start issuing; throws std::runtime_error if it already exited.
  void go();

  // Waits until the child has issued every op and holds still (its "done" line): stop tracing
  // now and the window holds exactly the workload's ops. Throws std::runtime_error when the
  // child exits or the timeout passes first (the child is killed).
  void wait_done(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());

  // Closes the child's stdin, reads its output to EOF, reaps it and parses the result line.
  // Throws std::runtime_error on a timeout (the child is killed), a non-zero exit or bad
  // output. Without go() first the child exits 3 having issued nothing, so this throws.
  WorkloadResult wait(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());

 private:
  WorkloadProcess() = default;
  void kill_and_reap() noexcept;
  std::string stderr_tail() const;
  [[noreturn]] void fail(const std::string& what, int status);

  pid_t child_ = -1;        // the process we spawned and must reap
  pid_t workload_pid_ = -1;
  workload_detail::OwnedFd stdin_, stdout_, stderr_;
  std::string output_;      // stdout bytes after the ready line
  std::function<bool()> stop_;
};

}  // namespace ringside
