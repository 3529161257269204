#include "output_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "privileges.h"
#include "usage_error.h"

namespace ringside {
namespace {

std::string reason(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// Writes all of `data`, retrying short writes; false with errno set on failure.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

OutputDir::OutputDir(std::string path, bool for_dropped_capabilities) : path_(std::move(path)) {
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  if (ec) throw UsageError(fmt::format("cannot create --out {}: {}", path_, ec.message()));
  fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw UsageError(fmt::format("cannot open --out {}: {}", path_, reason(errno)));
  if (::faccessat(fd_, ".", W_OK, AT_EACCESS) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw UsageError(fmt::format("cannot write to --out {}: {}", path_, reason(err)));
  }
  // Writable only through CAP_DAC_OVERRIDE (another user's 0700 directory, as root): the results
  // would be lost at the end, after the capabilities are gone. Say so now.
  if (const int err = for_dropped_capabilities ? access_without_dac_override(fd_, W_OK | X_OK) : 0) {
    ::close(fd_);
    fd_ = -1;
    throw UsageError(fmt::format("cannot write to --out {}: {} without CAP_DAC_OVERRIDE, which ringside drops before "
                                 "it writes results (use a directory this user owns)",
                                 path_, reason(err)));
  }
}

OutputDir::~OutputDir() {
  if (fd_ >= 0) ::close(fd_);
}

void OutputDir::write_file(const std::string& name, const std::string& content) const {
  static std::atomic<unsigned> seq{0};
  const std::string tmp = fmt::format(".{}.{}.{}.tmp", name, ::getpid(), seq.fetch_add(1));
  const int fd = ::openat(fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw UsageError(fmt::format("cannot write {}/{}: {}", path_, name, reason(errno)));
  const bool ok = write_all(fd, content.data(), content.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::renameat(fd_, tmp.c_str(), fd_, name.c_str()) != 0) {
    const int e = ok ? errno : err;
    ::unlinkat(fd_, tmp.c_str(), 0);
    throw UsageError(fmt::format("cannot write {}/{}: {}", path_, name, reason(e)));
  }
  ::fsync(fd_);
}

}  // namespace ringside
