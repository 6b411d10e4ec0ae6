// The helper team of helper_team.h. Each helper has one job slot with three states: IDLE, POSTED
// (a caller wrote a job and waits for it to be taken or called off) and TAKEN (the helper runs
// chunks). A caller claims a helper with a compare-and-swap on `owned`, so one caller at a time
// posts to it; the helper wakes from spinning on `state`, or from its condition variable when it
// had gone to sleep.
#include "helper_team.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define SPIN_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define SPIN_PAUSE() __asm__ volatile("yield")
#else
#define SPIN_PAUSE() ((void)0)
#endif

enum { IDLE = 0, POSTED = 1, TAKEN = 2 };

// How long a helper spins after its last job before it sleeps: longer than the gap between two
// layers of a forward (a few microseconds), shorter than the gap between frames (milliseconds), so a
// forward keeps its helper hot and an idle server burns no core.
static const int64_t SPIN_NANOSECONDS = 200 * 1000;

typedef struct {
  _Atomic int owned;     // 1 while a caller holds this helper
  _Atomic int state;     // IDLE, POSTED, TAKEN
  _Atomic int sleeping;  // 1 while the helper waits on `wake` (or is about to)
  _Atomic int parked;    // bc_team_park: sleep now instead of spinning on
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  // The posted job; written by the owner before it stores POSTED.
  void (*body)(void *, int, int);
  int worker;  // the index this helper runs the job as
  void *context;
  _Atomic int *next;
  int chunks;
} helper;

static helper helpers[BC_TEAM_MAX_HELPERS];
static _Atomic int started;  // helpers[0..<started] are running
static pthread_mutex_t start_mutex = PTHREAD_MUTEX_INITIALIZER;
static _Atomic long helper_chunks;

static int64_t now_nanoseconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

// Takes chunks from the job's counter until none are left; returns how many this thread ran.
static int run_chunks(void (*body)(void *, int, int), void *context, _Atomic int *next, int chunks,
                      int worker) {
  int ran = 0;
  for (int c; (c = atomic_fetch_add_explicit(next, 1, memory_order_relaxed)) < chunks; ran++)
    body(context, c, worker);
  return ran;
}

static void *helper_main(void *argument) {
  helper *h = argument;
  for (;;) {
    const int64_t deadline = now_nanoseconds() + SPIN_NANOSECONDS;
    for (int spins = 1; atomic_load_explicit(&h->state, memory_order_acquire) != POSTED; spins++) {
      SPIN_PAUSE();
      if (!atomic_load_explicit(&h->parked, memory_order_relaxed) &&
          (spins % 512 != 0 || now_nanoseconds() < deadline))
        continue;
      // Sleep. Dekker with the poster: sleeping is stored before state is read, and the poster
      // stores state before it reads sleeping (both seq_cst), so one of them sees the other.
      pthread_mutex_lock(&h->mutex);
      atomic_store(&h->parked, 0);
      atomic_store(&h->sleeping, 1);
      while (atomic_load(&h->state) != POSTED) pthread_cond_wait(&h->wake, &h->mutex);
      atomic_store(&h->parked, 0);  // a park that came while asleep is spent: spin after this job
      atomic_store(&h->sleeping, 0);
      pthread_mutex_unlock(&h->mutex);
    }
    int expected = POSTED;
    // Fails when the caller called the job off first; then there is nothing to do.
    if (!atomic_compare_exchange_strong_explicit(&h->state, &expected, TAKEN, memory_order_acquire,
                                                 memory_order_relaxed))
      continue;
    const int ran = run_chunks(h->body, h->context, h->next, h->chunks, h->worker);
    if (ran > 0) atomic_fetch_add_explicit(&helper_chunks, ran, memory_order_relaxed);
    atomic_store_explicit(&h->state, IDLE, memory_order_release);
  }
  return NULL;
}

// Starts helpers until `count` run (or as many as could be started).
static void start_helpers(int count) {
  pthread_mutex_lock(&start_mutex);
  int n = atomic_load(&started);
  for (; n < count; n++) {
    helper *h = &helpers[n];
    pthread_mutex_init(&h->mutex, NULL);
    pthread_cond_init(&h->wake, NULL);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 1 << 20);
    pthread_t thread;
    const int failed = pthread_create(&thread, &attributes, helper_main, h);
    pthread_attr_destroy(&attributes);
    if (failed) break;  // fewer helpers: jobs run on fewer threads, never wrongly
  }
  atomic_store(&started, n);
  pthread_mutex_unlock(&start_mutex);
}

int bc_team_run(void (*body)(void *context, int chunk, int worker), void *context, int chunks,
                int max_helpers) {
  if (chunks <= 0) return 0;
  int want = max_helpers < chunks - 1 ? max_helpers : chunks - 1;
  if (want > BC_TEAM_MAX_HELPERS) want = BC_TEAM_MAX_HELPERS;
  if (want > atomic_load(&started)) start_helpers(want);
  _Atomic int next = 0;
  helper *claimed[BC_TEAM_MAX_HELPERS];
  int count = 0;
  const int available = atomic_load(&started);
  for (int i = 0; i < available && count < want; i++) {
    helper *h = &helpers[i];
    int free = 0;
    if (atomic_load_explicit(&h->owned, memory_order_relaxed) != 0 ||
        !atomic_compare_exchange_strong_explicit(&h->owned, &free, 1, memory_order_acquire,
                                                 memory_order_relaxed))
      continue;
    h->body = body;
    h->context = context;
    h->next = &next;
    h->chunks = chunks;
    h->worker = count + 1;
    atomic_store(&h->state, POSTED);
    if (atomic_load(&h->sleeping)) {
      pthread_mutex_lock(&h->mutex);
      pthread_cond_signal(&h->wake);
      pthread_mutex_unlock(&h->mutex);
    }
    claimed[count++] = h;
  }
  const int own = run_chunks(body, context, &next, chunks, 0);
  for (int i = 0; i < count; i++) {
    helper *h = claimed[i];
    int expected = POSTED;
    // Not taken yet: call it off. Taken: wait for the helper's last chunk (short: the counter is
    // exhausted, so it is finishing at most one).
    if (!atomic_compare_exchange_strong_explicit(&h->state, &expected, IDLE, memory_order_acquire,
                                                 memory_order_acquire))
      while (atomic_load_explicit(&h->state, memory_order_acquire) != IDLE) SPIN_PAUSE();
    atomic_store_explicit(&h->owned, 0, memory_order_release);
  }
  return chunks - own;
}

void bc_team_park(int max_helpers) {
  const int available = atomic_load(&started);
  for (int i = 0; i < available && i < max_helpers; i++) atomic_store(&helpers[i].parked, 1);
}

int bc_team_helpers(void) { return atomic_load(&started); }

long bc_team_helper_chunks(void) { return atomic_load(&helper_chunks); }
