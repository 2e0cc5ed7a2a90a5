import Foundation
import NNTensor

/// Applies `Augmentation` to a batch of images [batch, H, W, C] (NHWC) in place.
///
/// For every sample, one random transform is drawn (`Transform.draw`) and the image is resampled
/// through its inverse map: output pixel (y, x) reads the input at
///
///     [y_in − c_y]   1  [ cos θ   sin θ] [y − c_y − t_y]
///     [x_in − c_x] = — ·[−f·sin θ  f·cos θ] [x − c_x − t_x],     c = ((H − 1)/2, (W − 1)/2)
///                   s
///
/// (θ the counter-clockwise rotation as displayed, s the magnification, t the shift in pixels,
/// f = −1 for a horizontal flip, else 1), with bilinear interpolation and zeros outside the image
/// (scipy's `ndimage.affine_transform(order=1, mode="grid-constant")`). Gaussian noise of std
/// `noise` is then added to every value. Each sample has its own generator, seeded from one draw
/// of the caller's `rng` per batch, so the result depends on the seed only (not on threads).
public struct Augmenter: Sendable {
    /// One sample's transformation.
    public struct Transform: Sendable, Equatable {
        /// Shift in pixels, down and right.
        public var dy: Double, dx: Double
        /// Counter-clockwise rotation in degrees.
        public var degrees: Double
        /// Magnification (1: none).
        public var scale: Double
        public var flip: Bool

        public init(dy: Double = 0, dx: Double = 0, degrees: Double = 0, scale: Double = 1, flip: Bool = false) {
            self.dy = dy
            self.dx = dx
            self.degrees = degrees
            self.scale = scale
            self.flip = flip
        }

        /// Uniform draws within the configured ranges (shift, shift, rotation, zoom, flip, in that
        /// order; options that are off draw nothing).
        public static func draw(_ a: Augmentation, _ rng: inout RNG) -> Transform {
            var t = Transform()
            if a.shift > 0 { t.dy = rng.uniform(-a.shift, a.shift); t.dx = rng.uniform(-a.shift, a.shift) }
            if a.rotation > 0 { t.degrees = rng.uniform(-a.rotation, a.rotation) }
            if a.zoom > 0 { t.scale = rng.uniform(1 - a.zoom, 1 + a.zoom) }
            if a.horizontalFlip { t.flip = rng.next() >> 63 == 1 }
            return t
        }

        /// The inverse map as (matrix [[a, b], [c, d]], offset) in (y, x) coordinates:
        /// input = matrix · output + offset.
        public func inverse(height: Int, width: Int) -> (matrix: [Double], offset: [Double]) {
            let theta = degrees * Double.pi / 180, f: Double = flip ? -1 : 1
            let m = [cos(theta) / scale, sin(theta) / scale, -f * sin(theta) / scale, f * cos(theta) / scale]
            let cy = Double(height - 1) / 2, cx = Double(width - 1) / 2
            let (py, px) = (cy + dy, cx + dx)
            return (m, [cy - (m[0] * py + m[1] * px), cx - (m[2] * py + m[3] * px)])
        }
    }

    /// Why an augmenter cannot be made.
    public struct ShapeError: Error, CustomStringConvertible {
        public var description: String
    }

    public let augmentation: Augmentation
    /// [H, W, C].
    public let sampleShape: [Int]

    /// Fails unless `sampleShape` is an image [height, width, channels].
    public init(_ augmentation: Augmentation, sampleShape: [Int]) throws(ShapeError) {
        guard sampleShape.count == 3, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError(description: "augmentation needs image samples [height, width, channels], but the data's samples have shape [\(sampleShape.map(String.init).joined(separator: ", "))]; set data.shape, e.g. [8, 8, 1] for the digits")
        }
        self.augmentation = augmentation
        self.sampleShape = sampleShape
    }

    /// Transforms every sample of `x` ([batch, H, W, C], float32 or float64) in place, drawing one
    /// seed from `rng`.
    public func apply(to x: Tensor, rng: inout RNG) {
        guard !augmentation.isIdentity else { return }
        let seed = rng.next(), size = sampleShape.reduce(1, *), batch = x.count / size
        WorkerPool.shared.run(count: batch) { n in
            var r = RNG(seed: seed, stream: "augment", index: UInt64(n))
            let t = Transform.draw(augmentation, &r)
            switch x.dtype {
            case .float32: transform(x.f32 + n * size, t, &r)
            case .float64: transform(x.f64 + n * size, t, &r)
            }
        }
    }

    /// One image (H·W·C values at `image`) through `t`, then noise from `rng`.
    func transform<T: TensorScalar>(_ image: UnsafeMutablePointer<T>, _ t: Transform, _ rng: inout RNG) {
        let (h, w, c) = (sampleShape[0], sampleShape[1], sampleShape[2]), size = h * w * c
        if augmentation.isGeometric {
            let source = Array(UnsafeBufferPointer(start: image, count: size))
            Self.warp(source, into: image, height: h, width: w, channels: c, t)
        }
        if augmentation.noise > 0 {
            for i in 0..<size { image[i] += T(augmentation.noise * rng.normal()) }
        }
    }

    /// dst(y, x, ·) = bilinear sample of `src` at the inverse map of (y, x), zero outside.
    public static func warp<T: TensorScalar>(_ src: [T], into dst: UnsafeMutablePointer<T>, height h: Int, width w: Int,
                                             channels c: Int, _ t: Transform) {
        let (m, o) = t.inverse(height: h, width: w)
        func pixel(_ y: Int, _ x: Int, _ k: Int) -> Double {
            y < 0 || y >= h || x < 0 || x >= w ? 0 : Double(src[(y * w + x) * c + k])
        }
        for y in 0..<h {
            for x in 0..<w {
                let sy = m[0] * Double(y) + m[1] * Double(x) + o[0], sx = m[2] * Double(y) + m[3] * Double(x) + o[1]
                // Snap values within 1e-9 of a whole pixel (rotations by multiples of 90° in floating point).
                let fy = abs(sy - sy.rounded()) < 1e-9 ? sy.rounded() : sy, fx = abs(sx - sx.rounded()) < 1e-9 ? sx.rounded() : sx
                let y0 = Int(fy.rounded(.down)), x0 = Int(fx.rounded(.down))
                let ay = fy - Double(y0), ax = fx - Double(x0)
                for k in 0..<c {
                    let top = pixel(y0, x0, k) * (1 - ax) + (ax == 0 ? 0 : pixel(y0, x0 + 1, k) * ax)
                    let bottom = ay == 0 ? 0 : pixel(y0 + 1, x0, k) * (1 - ax) + (ax == 0 ? 0 : pixel(y0 + 1, x0 + 1, k) * ax)
                    dst[(y * w + x) * c + k] = T(top * (1 - ay) + bottom * ay)
                }
            }
        }
    }
}
