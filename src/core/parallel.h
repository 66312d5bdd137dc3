/*
 * parallel.h: the core's threading: a blocked parallel-for over std::thread
 * workers, with signals blocked in every worker and cooperative cancellation.
 *
 * Rules (see STYLE.md "Threads and signals"):
 *  - Workers are created while every signal is blocked in the creating thread
 *    (SignalBlockGuard, noexcept), so they inherit a fully blocked mask and a
 *    Postgres signal handler never runs on a worker.  The creating thread's mask
 *    is restored right after creation, so the backend keeps receiving
 *    SIGINT/SIGTERM while the work runs.
 *  - Only the calling thread (thread 0) ever calls the user's should_stop
 *    callback, between blocks.  When it returns true the calling thread raises
 *    a shared atomic flag; workers poll the flag between blocks.  After the join
 *    the caller throws Cancelled.
 *  - An exception in any block stops the others and is rethrown in the calling
 *    thread after every worker has been joined (no exception escapes a thread).
 */
#ifndef PGVQ_PARALLEL_H
#define PGVQ_PARALLEL_H

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>

#include "errors.h"
#include "pgvq_core.h"

#include "cpp_only.h"

namespace pgvq {

/* Polls cancellation: the user's callback (only in the thread that owns it)
 * and/or a shared flag raised by a cancelling thread. */
class StopChecker {
  public:
    StopChecker() noexcept = default;
    StopChecker(pgvq_should_stop_fn fn, void *arg) noexcept : fn_(fn), arg_(arg) {}
    StopChecker(pgvq_should_stop_fn fn, void *arg, const std::atomic<bool> *flag) noexcept
        : fn_(fn), arg_(arg), flag_(flag) {}

    bool should_stop() const noexcept {
        if (flag_ && flag_->load(std::memory_order_relaxed))
            return true;
        return fn_ != nullptr && fn_(arg_) != 0;
    }
    void check() const {
        if (should_stop())
            throw Cancelled();
    }
    pgvq_should_stop_fn fn() const noexcept { return fn_; }
    void *arg() const noexcept { return arg_; }

  private:
    pgvq_should_stop_fn fn_ = nullptr;
    void *arg_ = nullptr;
    const std::atomic<bool> *flag_ = nullptr;
};

/* Blocks every signal in the current thread for its lifetime.  noexcept. */
class SignalBlockGuard {
  public:
    SignalBlockGuard() noexcept;
    ~SignalBlockGuard() noexcept;
    SignalBlockGuard(const SignalBlockGuard &) = delete;
    SignalBlockGuard &operator=(const SignalBlockGuard &) = delete;

  private:
    unsigned char old_[128]; /* sigset_t storage (kept out of this header) */
    bool ok_;
};

/* nthreads <= 0 means hardware concurrency. */
int resolve_threads(int nthreads) noexcept;

/* Threads parallel_for will use for nblocks blocks (>= 1). */
int effective_threads(int nthreads, size_t nblocks) noexcept;

/*
 * Runs fn(block, thread_id, stop) for block in [0, nblocks) on
 * effective_threads(nthreads, nblocks) threads (thread 0 is the caller).  Blocks
 * are taken dynamically, so fn must write only to per-block outputs and to
 * per-thread scratch indexed by thread_id.  `stop` is the checker fn should
 * pass to nested long work: the caller's checker on thread 0, the shared flag
 * elsewhere.  Throws Cancelled, or the first exception a block threw.
 */
void parallel_for(size_t nblocks, int nthreads, const StopChecker &stop,
                  const std::function<void(size_t, int, const StopChecker &)> &fn);

} // namespace pgvq

#endif
