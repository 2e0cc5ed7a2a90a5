import Synchronization
import Testing
@testable import NNTensor

struct WorkerPoolTests {
    @Test(arguments: [1, 2, 4])
    func everyIndexRunsExactlyOnce(threads: Int) {
        let pool = WorkerPool(threads: threads)
        for count in [0, 1, 2, 3, 17, 1000] {
            // Each index is written by the one call that owns it, so plain memory is enough.
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
            defer { hits.deallocate() }
            hits.initialize(repeating: 0)
            pool.run(count: count) { i in hits[i] += 1 }
            #expect(hits.prefix(count).allSatisfy { $0 == 1 }, "count \(count)")
        }
    }

    @Test func manyLoopsBackToBack() {
        let pool = WorkerPool(threads: 2)
        let total = Atomic<Int>(0)
        for _ in 0..<2000 {
            pool.run(count: 8) { i in total.add(i, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 2000 * 28)
    }

    @Test func nestedLoopsRunInline() {
        let pool = WorkerPool(threads: 2)
        let total = Atomic<Int>(0)
        pool.run(count: 4) { _ in
            pool.run(count: 3) { _ in total.add(1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 12)
    }
}
