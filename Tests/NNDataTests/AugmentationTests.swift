import Foundation
import NNConfig
import NNTensor
import Testing
@testable import NNData

/// `data.augmentation` (decoding, errors) and `Augmenter` (exact pixels for whole-pixel shifts and
/// 90° rotations, scipy's bilinear warp for the rest, determinism).
struct AugmentationTests {
    struct Fixture: Decodable {
        struct Case: Decodable { var name: String; var dy, dx, degrees, scale: Double; var flip: Bool; var output: [Double] }
        var versions: [String: String]
        var shape: [Int]
        var image: [Double]
        var cases: [Case]
    }

    static let fixture: Fixture? = Bundle.module.url(forResource: "augment", withExtension: "json", subdirectory: "Fixtures")
        .flatMap { try? Data(contentsOf: $0) }.flatMap { try? JSONDecoder().decode(Fixture.self, from: $0) }

    /// 3x4 image, one channel, values 1...12 row by row.
    static let small: [Double] = (1...12).map(Double.init)

    static func warp(_ src: [Double], _ shape: [Int], _ t: Augmenter.Transform) -> [Double] {
        var out = [Double](repeating: -1, count: src.count)
        out.withUnsafeMutableBufferPointer { p in
            Augmenter.warp(src, into: p.baseAddress!, height: shape[0], width: shape[1], channels: shape[2], t)
        }
        return out
    }

    @Test func wholePixelShiftMovesPixelsAndFillsZeros() {
        let out = Self.warp(Self.small, [3, 4, 1], .init(dy: 1, dx: -1))
        #expect(out == [0, 0, 0, 0,
                        2, 3, 4, 0,
                        6, 7, 8, 0])
    }

    @Test func ninetyDegreesCounterClockwiseOnASquareImage() {
        // 3x3, two channels (the second is the first + 100).
        let src: [Double] = (0..<9).flatMap { [Double($0 + 1), Double($0 + 101)] }
        let out = Self.warp(src, [3, 3, 2], .init(degrees: 90))
        // [[1,2,3],[4,5,6],[7,8,9]] rotated counter-clockwise: [[3,6,9],[2,5,8],[1,4,7]].
        #expect(stride(from: 0, to: 18, by: 2).map { out[$0] } == [3, 6, 9, 2, 5, 8, 1, 4, 7])
        #expect(stride(from: 1, to: 18, by: 2).map { out[$0] } == [103, 106, 109, 102, 105, 108, 101, 104, 107])
        #expect(Self.warp(src, [3, 3, 2], .init(flip: true)).prefix(6) == [3, 103, 2, 102, 1, 101])
    }

    @Test func matchesScipyAffineTransformOrder1() throws {
        let fixture = try #require(Self.fixture, "Fixtures/augment.json missing")
        #expect(fixture.versions["scipy"] == "1.17.1")
        #expect(fixture.cases.count == 5)
        for c in fixture.cases {
            let t = Augmenter.Transform(dy: c.dy, dx: c.dx, degrees: c.degrees, scale: c.scale, flip: c.flip)
            let out = Self.warp(fixture.image, fixture.shape, t)
            let worst = zip(out, c.output).map { abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-9, "\(c.name): largest difference \(worst)")
        }
    }

    static func batch(_ dtype: DType) -> Tensor {
        Tensor(shape: [5, 6, 6, 1], doubles: (0..<180).map { Double($0 % 17) / 16 }, dtype: dtype)
    }

    @Test(arguments: [DType.float32, .float64])
    func sameSeedSameBatchAndOnlyTheSeedMatters(dtype: DType) throws {
        let augmenter = try Augmenter(Augmentation(shift: 1.5, rotation: 15, zoom: 0.1, horizontalFlip: true, noise: 0.05),
                                      sampleShape: [6, 6, 1])
        func run(_ seed: UInt64) -> [Double] {
            let x = Self.batch(dtype)
            var rng = RNG(seed: seed)
            augmenter.apply(to: x, rng: &rng)
            return x.doubles
        }
        let a = run(3)
        #expect(a == run(3))
        #expect(a != run(4))
        #expect(a != Self.batch(dtype).doubles)
        // Samples get different transforms: sample 0 and sample 5 of the input pattern differ after.
        #expect(Array(a[0..<36]) != Array(a[36..<72]))
        // The generator advanced by exactly one draw.
        var rng = RNG(seed: 3), reference = RNG(seed: 3)
        augmenter.apply(to: Self.batch(dtype), rng: &rng)
        _ = reference.next()
        #expect(rng == reference)
    }

    @Test func noiseOnlyHasTheRequestedStandardDeviation() throws {
        let augmenter = try Augmenter(Augmentation(noise: 0.5), sampleShape: [10, 10, 2])
        let x = Tensor(zeros: [20, 10, 10, 2], dtype: .float64)
        var rng = RNG(seed: 1)
        augmenter.apply(to: x, rng: &rng)
        let v = x.doubles, mean = v.reduce(0, +) / Double(v.count)
        let std = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count)).squareRoot()
        // 4,000 draws: the sample std is within 0.5 ± 4·0.5/√8000.
        #expect(abs(std - 0.5) < 0.023 && abs(mean) < 0.032, "mean \(mean) std \(std)")
    }

    @Test func identityAugmentationLeavesTheBatchAndTheGeneratorAlone() throws {
        let augmenter = try Augmenter(Augmentation(), sampleShape: [6, 6, 1])
        let x = Self.batch(.float32)
        var rng = RNG(seed: 3)
        augmenter.apply(to: x, rng: &rng)
        #expect(x.doubles == Self.batch(.float32).doubles && rng == RNG(seed: 3))
        #expect(throws: Augmenter.ShapeError.self) { try Augmenter(Augmentation(shift: 1), sampleShape: [64]) }
    }

    // MARK: data.augmentation

    @Test func decodesWithDefaultsAndEncodesEveryOption() {
        let (config, errors) = decodeData(Node.map([("source", Node.s("digits")), ("shape", Node.list([Node.s("8"), Node.s("8"), Node.s("1")])),
                                                    ("augmentation", Node.map([("shift", Node.s("2")), ("rotation", Node.s("10"))]))]))
        #expect(errors.isEmpty)
        #expect(config?.augmentation == Augmentation(shift: 2, rotation: 10))
        #expect(config?.encode()["augmentation"]?.entries?.map(\.key) == ["shift", "rotation", "zoom", "horizontal_flip", "noise"])
        let reparsed = config.flatMap { decodeData($0.encode()).0 }
        #expect(reparsed?.augmentation == Augmentation(shift: 2, rotation: 10))
        let (plain, _) = decodeData(Node.map([("source", Node.s("digits"))]))
        #expect(plain?.augmentation.isIdentity == true)
        #expect(plain?.encode()["augmentation"]?.entries?.map { "\($0.key)=\($0.value.scalarText ?? "?")" }
            == ["shift=0.0", "rotation=0.0", "zoom=0.0", "horizontal_flip=false", "noise=0.0"])
    }

    @Test func badAugmentationIsAConfigError() {
        let shape = ("shape", Node.list([Node.s("8"), Node.s("8"), Node.s("1")]))
        let cases: [([(String, ConfigNode)], String)] = [
            ([shape, ("augmentation", Node.map([("rotation", Node.s("-5", 3, 20))]))],
             "test.yaml:3:20: data.augmentation.rotation: received -5, expected a number from 0 to 180"),
            ([shape, ("augmentation", Node.map([("zoom", Node.s("1", 3, 20))]))], "data.augmentation.zoom: received 1"),
            ([shape, ("augmentation", Node.map([("rotaton", Node.s("5", 3, 20))]))], #"(did you mean "rotation"?)"#),
            ([("augmentation", Node.map([("shift", Node.s("2"))], 4, 3))],
             "test.yaml:4:3: data.augmentation: received augmentation for flat samples (no data.shape); augmentation needs image samples [height, width, channels]: set data.shape, e.g. shape: [8, 8, 1] for the digits"),
            ([("shape", Node.list([Node.s("64")])), ("augmentation", Node.map([("noise", Node.s("0.1"))], 4, 3))],
             "received augmentation for samples of shape [64]"),
        ]
        for (pairs, expected) in cases {
            let (_, errors) = decodeData(Node.map([("source", Node.s("digits"))] + pairs))
            #expect(errors.count == 1, "\(errors)")
            #expect(errors.first?.description.contains(expected) == true, "\(errors.first?.description ?? "none") should contain \(expected)")
        }
    }
}
