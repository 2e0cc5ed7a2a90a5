/// xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators", 2018),
/// seeded through SplitMix64. Small, fast, and its whole state is four words that a checkpoint can
/// save and restore, so a resumed run continues the same random stream.
///
/// Every random thing in nnrun takes one of these explicitly. Independent streams come from
/// `RNG(seed:stream:)`: the same (seed, stream) always gives the same sequence, and different
/// streams (weight init, dropout, the shuffle of epoch 3, ...) do not overlap in practice.
public struct RNG: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = seed
        state = (RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm))
    }

    /// An independent stream for `purpose` (and optional `index`, e.g. the epoch) under `seed`.
    public init(seed: UInt64, stream purpose: String, index: UInt64 = 0) {
        // FNV-1a of the purpose, mixed with the seed and index through SplitMix64.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in purpose.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        var sm = seed ^ h
        _ = RNG.splitMix(&sm)
        sm ^= index &* 0x9e37_79b9_7f4a_7c15
        self.init(seed: RNG.splitMix(&sm))
    }

    /// Restores a saved state (from `stateWords`).
    public init(stateWords w: [UInt64]) {
        precondition(w.count == 4)
        state = (w[0], w[1], w[2], w[3])
    }

    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (a: RNG, b: RNG) -> Bool { a.stateWords == b.stateWords }

    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * nextDouble()
    }

    /// Standard normal by the Box-Muller transform (one draw per call; no cached spare, so the
    /// state alone determines the stream).
    public mutating func normal() -> Double {
        var u1 = nextDouble()
        while u1 <= .leastNormalMagnitude { u1 = nextDouble() }
        let u2 = nextDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * .pi * u2)
    }

    /// Normal truncated to two standard deviations by redrawing (Keras' `truncated_normal`).
    public mutating func truncatedNormal() -> Double {
        while true {
            let z = normal()
            if abs(z) <= 2 { return z }
        }
    }

    /// Uniform integer in 0..<n without modulo bias (Lemire, "Fast random integer generation in an
    /// interval", 2019). Written out rather than the standard library's `next(upperBound:)`, whose
    /// algorithm may change between Swift versions: shuffles must stay the same for a seed.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }

    /// A permutation of 0..<n (Fisher-Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    /// Shuffles `a` in place (Fisher-Yates, from the back).
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, below(i + 1))
        }
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9e37_79b9_7f4a_7c15
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
