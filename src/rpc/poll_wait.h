// PollWait: poll() until a deadline, spinning briefly before it sleeps.
//
// Why: the replies of a server on loopback or a LAN usually come within tens of µs, and on a
// virtual machine whose idle vCPU takes tens of µs to wake (an interrupt to a halted vCPU), a
// poll that sleeps pays that on every reply; polling without sleeping for a moment keeps the
// vCPU awake (what the kernel's busy_poll does for devices). Adaptive, so that it does not
// take CPU from the servers on a busy machine: a spin that ends without an event makes this
// thread's next waits sleep at once (1, 2, 4, ... up to 64 of them), a spin that catches one
// lets the next wait spin again.
//
// Per thread, off (no spin) unless the thread called SetSpinMicros: the shell's own thread
// spins (its rounds wait for answers that come in µs); the servers' threads and the fan-out's
// worker threads (raid/fanout.h, bulk work on a busy machine) never do.
#pragma once

#include <poll.h>

#include "rpc/socket.h"

namespace memoryfs::rpc {

// The longest spin of each of the calling thread's waits, in µs; 0 (the default) never spins.
void SetSpinMicros(int us);
int SpinMicros();

// poll(fds, n) that returns at the deadline at the latest (0: nothing happened), after
// spinning first as above; the return value and errno are poll()'s.
int PollWait(pollfd* fds, nfds_t n, Deadline deadline);

}  // namespace memoryfs::rpc
