// tcp_connect: one 72-byte record per TCP connect attempt with its 4-tuple, from the
// sock:inet_sock_set_state tracepoint (a socket moving to SYN_SENT) (bpf/tcp_connect.bpf.c).
#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>

#include "catalog_program.h"
#include "registry.h"

extern "C" {
#include <linux/types.h>

#include "tcp_connect.h"
}
#include "tcp_connect.skel.h"

namespace ringside {
namespace {

static_assert(sizeof(rs_tcp_event) == 72, "tcp_connect records stay 72 bytes (shared with BPF)");

class TcpConnect final : public CatalogProgram<tcp_connect> {
 public:
  explicit TcpConnect(const LoadOptions& o) : CatalogProgram("tcp_connect", 1, o) { open_and_load(); }

 private:
  void configure(tcp_connect* skel) override { activate(skel->progs.tcp_state); }
  void attach_all(const AttachContext&) override {
    links_.add(bpf_program__attach_tracepoint(skel_->progs.tcp_state, "sock", "inet_sock_set_state"),
               "sock:inet_sock_set_state");
  }
};

std::string address(uint16_t family, const uint8_t* a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, text, sizeof(text));
  return text;
}

void to_json(const uint8_t* record, uint32_t size, std::string& out) {
  if (size < sizeof(rs_tcp_event)) return;
  rs_tcp_event e;
  std::memcpy(&e, record, sizeof(e));
  fmt::format_to(std::back_inserter(out), "\"family\":{},\"saddr\":\"{}\",\"sport\":{},\"daddr\":\"{}\",\"dport\":{}",
                 e.family, address(e.family, e.saddr), e.sport, address(e.family, e.daddr), e.dport);
}

ProgramFormat format(const LoadOptions&) {
  ProgramFormat f;
  f.name = "tcp_connect";
  f.prog_id = RS_PROG_TCP_CONNECT;
  f.min_bytes = f.max_bytes = sizeof(rs_tcp_event);
  f.kinds = 1;
  f.stages = kAllStages & ~stage_bit(Stage::syscall_to_hook);
  f.to_json = to_json;
  return f;
}

std::unique_ptr<LoadedProgram> load(const LoadOptions& o) { return std::make_unique<TcpConnect>(o); }

std::string kind_name(uint16_t) { return "connect"; }

}  // namespace

const ProgramSpec kTcpConnectSpec = {
    .id = ProgramId::tcp_connect,
    .summary = "one record per TCP connect attempt (socket to SYN_SENT) with the 4-tuple",
    .default_workload = WorkloadKind::connect,
    .kinds = 1,
    .aggregates = true,
    .format = format,
    .load = load,
    .kind_name = kind_name,
};

}  // namespace ringside
