#include "libbpf_util.h"

#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>

namespace ringside {
namespace {

int print_to_stderr(enum libbpf_print_level level, const char* format, va_list args) {
  static const bool debug = std::getenv("RINGSIDE_DEBUG") != nullptr;
  if ((level == LIBBPF_DEBUG || level == LIBBPF_INFO) && !debug) return 0;
  std::fputs("libbpf: ", stderr);
  return std::vfprintf(stderr, format, args);
}

std::string* g_capture = nullptr;
std::mutex g_capture_mu;

int print_to_capture(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG || !g_capture) return 0;
  char buf[4096];
  std::vsnprintf(buf, sizeof(buf), format, args);
  *g_capture += buf;
  return 0;
}

}  // namespace

std::string err_text(int err) {
  err = err < 0 ? -err : err;
  std::string s = std::strerror(err);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (err == EPERM || err == EACCES) s += " (needs CAP_BPF and CAP_PERFMON, or root)";
  return s;
}

void install_libbpf_logging() { libbpf_set_print(print_to_stderr); }

std::string capture_libbpf_log(const std::function<void()>& fn) {
  std::lock_guard lock(g_capture_mu);
  std::string out;
  g_capture = &out;
  libbpf_print_fn_t previous = libbpf_set_print(print_to_capture);
  try {
    fn();
  } catch (...) {
    libbpf_set_print(previous);
    g_capture = nullptr;
    throw;
  }
  libbpf_set_print(previous);
  g_capture = nullptr;
  return out;
}

void LinkSet::add(bpf_link* link, const std::string& what) {
  if (!link) {
    const int err = errno;
    throw std::runtime_error("failed to attach " + what + ": " + err_text(err));
  }
  links_.push_back(link);
}

void LinkSet::clear() noexcept {
  for (bpf_link* l : links_) bpf_link__destroy(l);
  links_.clear();
}

}  // namespace ringside
