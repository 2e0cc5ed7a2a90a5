import CKernels

/// Float32 loops written with explicit SIMD vectors, for the elementwise work that dominates small
/// networks (the compiler does not vectorise the generic versions: it cannot prove the buffers do
/// not overlap). Each processes 4 lanes (one SSE register) at a time and finishes the tail one element at a time.
/// Never `addingProduct` here: the package builds for baseline x86-64, where it is a libm call.
public enum SIMDKernels {
    public typealias V = SIMD4<Float>

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// y = max(z, 0).
    public static func relu(_ z: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 4 <= n {
            store(load(z + i).replacing(with: 0, where: load(z + i) .< 0), y + i)
            i += 4
        }
        while i < n { y[i] = z[i] > 0 ? z[i] : 0; i += 1 }
    }

    /// dz = dy where y > 0, else 0.
    public static func reluBackward(_ dy: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                    _ dz: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 4 <= n {
            store(load(dy + i).replacing(with: 0, where: load(y + i) .<= 0), dz + i)
            i += 4
        }
        while i < n { dz[i] = y[i] > 0 ? dy[i] : 0; i += 1 }
    }
}

extension SIMDKernels {
    /// Adam's update on float32 buffers (see `nn_adam_f32` in CKernels).
    public static func adam(_ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                            _ v: UnsafeMutablePointer<Float>, _ n: Int, b1: Float, b2: Float, alpha: Float, eps: Float) {
        nn_adam_f32(w, g, m, v, n, b1, b2, alpha, eps)
    }

    /// RMSprop's update on float32 buffers (see `nn_rmsprop_f32` in CKernels); `momentum` may be nil.
    public static func rmsprop(_ w: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>,
                               _ momentum: UnsafeMutablePointer<Float>?, _ n: Int, rho: Float, lr: Float, eps: Float, mu: Float) {
        nn_rmsprop_f32(w, g, s, momentum, n, rho, lr, eps, mu)
    }
}
