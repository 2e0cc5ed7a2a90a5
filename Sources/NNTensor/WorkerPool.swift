import Glibc
import Synchronization

/// A persistent pool of worker threads for data-parallel loops (im2col over batch chunks, large
/// elementwise kernels). `DispatchQueue.concurrentPerform` costs about 10 µs a call on this
/// project's machines and gives no speed-up below ~1 ms per chunk; a pool whose threads wait by
/// spinning briefly on an atomic generation counter (then sleeping on a condition variable) starts
/// work in about a microsecond.
///
/// `run(count:body:)` calls `body(i)` for every i in 0..<count, spread over the caller and the
/// workers; it returns when all calls have returned. Calls must be independent. The pool runs one
/// loop at a time (callers are serialised); nested calls run inline.
public final class WorkerPool: @unchecked Sendable {
    /// The process-wide pool: `NNRUN_THREADS` threads in all (the caller included), default the
    /// number of online cores.
    public static let shared = WorkerPool(threads: WorkerPool.threadsFromEnvironment())

    public static func threadsFromEnvironment() -> Int {
        if let raw = getenv("NNRUN_THREADS"), let n = Int(String(cString: raw)), (1...64).contains(n) { return n }
        return max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 64))
    }

    /// Threads that run loop bodies, the caller included.
    public let threads: Int

    private let generation = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private var count = 0
    private var body: ((Int) -> Void)?
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    private var busy = pthread_mutex_t()
    private var inLoop = false

    public init(threads: Int) {
        self.threads = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&wake, nil)
        pthread_mutex_init(&busy, nil)
        for _ in 1..<self.threads {
            let box = Unmanaged.passRetained(self)
            var thread = pthread_t()
            pthread_create(&thread, nil, { raw in
                let pool = Unmanaged<WorkerPool>.fromOpaque(raw!).takeRetainedValue()
                pool.workerLoop()
                return nil
            }, box.toOpaque())
            pthread_detach(thread)
        }
    }

    /// Calls `body(i)` for i in 0..<count on the pool's threads and waits for all of them.
    public func run(count: Int, _ body: (Int) -> Void) {
        if count <= 1 || threads == 1 || inLoop {
            for i in 0..<count { body(i) }
            return
        }
        pthread_mutex_lock(&busy)
        inLoop = true
        withoutActuallyEscaping(body) { escaping in
            self.count = count
            self.body = escaping
            nextIndex.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            pthread_mutex_lock(&mutex)
            generation.add(1, ordering: .releasing)
            pthread_cond_broadcast(&wake)
            pthread_mutex_unlock(&mutex)
            work()
            // Wait until every worker has left this loop (so `body` is no longer referenced).
            var spins = 0
            while finished.load(ordering: .acquiring) < threads - 1 {
                spins += 1
                if spins > 1000 { sched_yield() }
            }
            self.body = nil
        }
        inLoop = false
        pthread_mutex_unlock(&busy)
    }

    /// Splits 0..<count into one contiguous range per thread (in order) and runs `body` on each;
    /// below `2 * minimum` items it runs inline. For elementwise kernels, whose results do not
    /// depend on where the ranges split.
    public func forRanges(count: Int, minimum: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, max(1, count / max(minimum, 1)))
        guard parts > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        run(count: parts) { p in body((p * count / parts)..<((p + 1) * count / parts)) }
    }

    /// Takes indices until none are left.
    private func work() {
        guard let body else { return }
        while true {
            let i = nextIndex.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(i)
        }
    }

    private func workerLoop() {
        var seen = 0
        while true {
            // Spin briefly for the next loop (they come back to back in training), then sleep.
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && spins < 20_000 { spins += 1 }
            if generation.load(ordering: .acquiring) == seen {
                pthread_mutex_lock(&mutex)
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(&wake, &mutex) }
                pthread_mutex_unlock(&mutex)
            }
            seen = generation.load(ordering: .acquiring)
            work()
            finished.add(1, ordering: .releasing)
        }
    }
}
