// What a SIGINT, SIGTERM or SIGHUP to ringside does while it runs agents: each registered agent's
// process group is stopped with the same escalation as AgentProcess::stop() (SIGINT, 2 s, SIGTERM,
// 2 s, SIGKILL), then the signal takes its previous course: a handler installed before (stop_signal.h) runs, otherwise ringside dies of it. A
// signal that was ignored when the handlers were installed (a background job's SIGINT) stays
// ignored. Installing also makes ringside the child subreaper (PR_SET_CHILD_SUBREAPER), so
// processes an agent orphans come back to ringside to be reaped.
#pragma once

#include <sys/types.h>

namespace ringside {

void install_agent_signal_handlers();  // idempotent

// AgentProcess registers its process group here; false when all 16 slots are taken.
bool guard_agent_on_signal(pid_t pgid);
void unguard_agent_on_signal(pid_t pgid);

}  // namespace ringside
