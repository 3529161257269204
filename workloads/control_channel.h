// The child side of the ringside-workload control protocol, built only on syscalls no
// workload traces: output goes through writev(2) (never write(2)), input through read(2).
//   child → parent (stdout): "ready <pid>\n"; "done\n" once every op is issued (every thread
//                            parked); then, after stdin's EOF, one result line
//   parent → child (stdin):  "go\n" (EOF before it means "abandon the run"); EOF after "done"
//                            means "the tracer has stopped: finish"
#pragma once

#include <string_view>

namespace ringside::workload_detail {

// Writes all of `text` with writev(2); false on error (the reader is gone).
bool writev_all(int fd, std::string_view text) noexcept;

// Blocks until a "go" line (true) or EOF (false); throws std::runtime_error on any other line.
bool wait_for_go(int fd);

// Blocks until EOF (or an error) on `fd`, ignoring anything read.
void wait_for_eof(int fd) noexcept;

}  // namespace ringside::workload_detail
