#ifndef BC_HELPER_TEAM_H
#define BC_HELPER_TEAM_H
// Helper threads for splitting one short job (tens of microseconds: one layer of a batch-1
// forward) across cores. A dispatch that costs tens of microseconds per call would eat the gain,
// so the handoff is a store the helper is spinning on; a helper spins for a short while after its
// last job, then sleeps on a condition variable until the next one.
//
// A job is `chunks` calls of `body(context, chunk, worker)`, handed out in order from a shared
// counter to the calling thread and whichever helpers it could claim. A helper busy with another
// caller's job is not waited for: that caller's chunks then run on fewer threads. A helper that
// has not started by the time the caller ran out of chunks is called off, so a sleeping helper
// costs the caller nothing but the chunks it would have taken. Which thread ran which chunk must
// not change what a chunk computes (callers split by output rows or channels), so results do not
// depend on scheduling.

// Calls body(context, c, worker) once for every c in 0..<chunks, on the calling thread (worker 0)
// and up to max_helpers idle helpers (workers 1...max_helpers; no two concurrent calls of one job
// share a worker index, so per-worker scratch needs no lock), and returns when every call has
// returned. Helpers are started on first use, up to max_helpers (at most BC_TEAM_MAX_HELPERS in
// all). Safe to call from several threads. Returns how many of the chunks helpers ran.
int bc_team_run(void (*body)(void *context, int chunk, int worker), void *context, int chunks,
                int max_helpers);

enum { BC_TEAM_MAX_HELPERS = 63 };

// Sends up to max_helpers idle helpers to sleep now rather than at the end of their spin: a
// spinning helper holds a core, and a thread woken next (the client a reply goes to) then waits
// for it. A job posted later wakes them as usual.
void bc_team_park(int max_helpers);

// Helper threads started so far.
int bc_team_helpers(void);

// Chunks run by helpers since the process started (tests check the handoff happens at all).
long bc_team_helper_chunks(void);
#endif
