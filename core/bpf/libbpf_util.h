// Small pieces every libbpf user here needs: error text, libbpf's log routing, RAII for
// skeletons and links.
#pragma once

#include <bpf/libbpf.h>

#include <functional>
#include <string>
#include <vector>

namespace ringside {

// "operation not permitted (needs CAP_BPF and CAP_PERFMON, or root)" for -EPERM / EPERM.
std::string err_text(int err);

// Routes libbpf's own messages: warnings to stderr with a "libbpf: " prefix, debug only with
// RINGSIDE_DEBUG=1 in the environment.
void install_libbpf_logging();

// Runs `fn` with libbpf's messages captured instead of printed (probing, verifier logs);
// returns what libbpf said.
std::string capture_libbpf_log(const std::function<void()>& fn);

// RAII over a bpftool-generated skeleton (T::open, T::load, T::destroy).
template <class T>
class Skeleton {
 public:
  Skeleton() : skel_(T::open()) {}
  ~Skeleton() {
    if (skel_) T::destroy(skel_);
  }
  Skeleton(const Skeleton&) = delete;
  Skeleton& operator=(const Skeleton&) = delete;
  [[nodiscard]] bool opened() const noexcept { return skel_ != nullptr; }
  T* operator->() const noexcept { return skel_; }
  T* get() const noexcept { return skel_; }

 private:
  T* skel_;
};

// The links of an attached program set: fds, never pinned, so nothing outlives the process.
class LinkSet {
 public:
  LinkSet() = default;
  ~LinkSet() { clear(); }
  LinkSet(const LinkSet&) = delete;
  LinkSet& operator=(const LinkSet&) = delete;
  // Takes `link`; a null link throws std::runtime_error("failed to attach <what>: <errno text>").
  void add(bpf_link* link, const std::string& what);
  void clear() noexcept;
  [[nodiscard]] bool empty() const noexcept { return links_.empty(); }

 private:
  std::vector<bpf_link*> links_;
};

}  // namespace ringside
