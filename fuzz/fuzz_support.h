// Shared by the fuzz targets: reporting a finding, and handing input to readers that take a path.
#pragma once

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ringside::fuzz {

// A broken property is a finding like a crash: libFuzzer keeps the input that caused the abort.
template <class... Args>
[[noreturn]] void finding(fmt::format_string<Args...> what, Args&&... args) {
  std::fputs(fmt::format("fuzz finding: {}\n", fmt::format(what, std::forward<Args>(args)...)).c_str(), stderr);
  std::abort();
}

// The usage-error contract main relies on: one line ("ringside: <what>\n"), never empty.
inline void expect_one_line(std::string_view message, std::string_view where) {
  if (message.empty()) finding("{}: empty error message", where);
  if (message.find_first_of("\n\r") != std::string_view::npos) finding("{}: error is not one line: {}", where, message);
}

// A file whose contents are the current input, for entry points that read a path. A memfd:
// no disk traffic per input, and nothing left behind when a run is killed.
class InputFile {
 public:
  InputFile() : fd_(memfd_create("fuzz-input", MFD_CLOEXEC)) {
    if (fd_ < 0) finding("memfd_create failed");
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  const std::string& write(const uint8_t* data, size_t size) {
    if (ftruncate(fd_, 0) != 0) finding("ftruncate failed");
    for (size_t done = 0; done < size;) {
      const ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(done));
      if (n <= 0) finding("pwrite failed");
      done += static_cast<size_t>(n);
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace ringside::fuzz
