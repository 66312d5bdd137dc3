/*
 * parallel.cpp: parallel_for over std::thread with blocked signals.
 */
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "parallel.h"

#include "cpp_only.h"

namespace pgvq {

static_assert(sizeof(sigset_t) <= 128, "sigset_t larger than the guard's storage");

SignalBlockGuard::SignalBlockGuard() noexcept {
    sigset_t all;
    sigfillset(&all);
    ok_ = pthread_sigmask(SIG_SETMASK, &all, reinterpret_cast<sigset_t *>(old_)) == 0;
}

SignalBlockGuard::~SignalBlockGuard() noexcept {
    if (ok_)
        pthread_sigmask(SIG_SETMASK, reinterpret_cast<const sigset_t *>(old_), nullptr);
}

int resolve_threads(int nthreads) noexcept {
    if (nthreads > 0)
        return nthreads;
    unsigned hc = std::thread::hardware_concurrency();
    return hc > 0 ? (int)std::min(hc, 1024u) : 1;
}

int effective_threads(int nthreads, size_t nblocks) noexcept {
    size_t t = (size_t)resolve_threads(nthreads);
    if (t > nblocks)
        t = nblocks;
    return t < 1 ? 1 : (int)t;
}

void parallel_for(size_t nblocks, int nthreads, const StopChecker &stop,
                  const std::function<void(size_t, int, const StopChecker &)> &fn) {
    stop.check();
    if (nblocks == 0)
        return;
    const int nt = effective_threads(nthreads, nblocks);

    std::atomic<size_t> next{0};
    std::atomic<bool> abort{false};
    std::mutex err_mu;
    std::exception_ptr err;
    bool cancelled = false;

    auto record = [&](std::exception_ptr e) noexcept {
        std::lock_guard<std::mutex> lk(err_mu);
        if (!err)
            err = e;
        abort.store(true, std::memory_order_relaxed);
    };

    /* Workers see only the shared flag; thread 0 sees the caller's checker too. */
    const StopChecker worker_stop(nullptr, nullptr, &abort);
    const StopChecker main_stop(stop.fn(), stop.arg(), &abort);

    auto worker = [&](int tid) noexcept {
        try {
            for (;;) {
                if (abort.load(std::memory_order_relaxed))
                    return;
                size_t b = next.fetch_add(1, std::memory_order_relaxed);
                if (b >= nblocks)
                    return;
                fn(b, tid, worker_stop);
            }
        } catch (...) {
            record(std::current_exception());
        }
    };

    std::vector<std::thread> threads;
    threads.reserve((size_t)nt - 1);
    auto join_all = [&]() noexcept {
        for (auto &t : threads)
            if (t.joinable())
                t.join();
    };

    try {
        if (nt > 1) { /* no signal mask calls when no thread starts */
            SignalBlockGuard block_signals;
            for (int t = 1; t < nt; t++)
                threads.emplace_back(worker, t);
        }
    } catch (...) {
        /* Could not start a thread: stop the ones that run, then report. */
        abort.store(true, std::memory_order_relaxed);
        join_all();
        throw;
    }

    try {
        for (;;) {
            if (abort.load(std::memory_order_relaxed))
                break;
            if (stop.should_stop()) {
                cancelled = true;
                abort.store(true, std::memory_order_relaxed);
                break;
            }
            size_t b = next.fetch_add(1, std::memory_order_relaxed);
            if (b >= nblocks)
                break;
            fn(b, 0, main_stop);
        }
    } catch (...) {
        record(std::current_exception());
    }
    join_all();

    if (err)
        std::rethrow_exception(err);
    if (cancelled)
        throw Cancelled();
}

} // namespace pgvq
