#ifndef NNRUN_CONV_H
#define NNRUN_CONV_H

/// Direct ("implicit GEMM") 2-D convolution, float32, NHWC, for CPUs with AVX2 and FMA.
///
/// The product is the one im2col + GEMM computes, out[p, o] = act(b[o] + Σ_k col[p, k] · W[k, o]),
/// but the column row col[p, ·] of output pixel p is read straight from the image: it is the
/// kernel's taps, each `channels` contiguous values at `window(p) + tap_offsets[t]`. Nothing is
/// copied, and each [6 pixels x 16 filters] tile of the output is summed in registers (the 6x16
/// micro-kernel of BLIS' Haswell port: Van Zee and van de Geijn, "BLIS: A Framework for Rapidly
/// Instantiating BLAS Functionality", ACM TOMS 2015), then gets the bias and the activation and
/// is stored once. Each output value is summed over k in one fixed order, so results do not
/// depend on how images are split over threads.
///
/// Padding is the caller's: the image given here is already padded, so every window is inside.

/// The image side and the window grid of one call.
typedef struct {
    long height, width, channels;   ///< each image in `input` (padded)
    long out_height, out_width;     ///< windows per image
    long stride_h, stride_w;        ///< pixels between windows
    long taps;                      ///< kernel taps (kernel height x width)
    const long *tap_offsets;        ///< offset of tap t from the window's first value, in floats
    long filters;                   ///< output channels
} nn_conv_geometry;

/// True (1) when this CPU and OS run the AVX2+FMA kernels; otherwise callers use im2col + GEMM.
int nn_conv_available(void);

/// Values of the packed kernel for k = taps x channels rows and `filters` columns.
long nn_conv_packed_count(long k, long filters);

/// Packs a kernel W [k, filters] (row-major: Keras' [kh, kw, cin, cout] viewed as [K, cout])
/// into column blocks of 16, packed[block][k][16], zero-filled past `filters`.
void nn_conv_pack_f32(const float *w, long k, long filters, float *packed);

/// The same packing for the kernel of the adjoint convolution (input gradient of a stride-1
/// conv): W' [kh, kw, cout, cin] with W'[y, x, o, c] = W[kh-1-y, kw-1-x, c, o].
void nn_conv_pack_flipped_f32(const float *w, long kh, long kw, long cin, long cout, float *packed);

/// Rows begin ..< end of out [pixels, filters] = act(bias + conv(input)), where pixel
/// p = (image · out_height + oy) · out_width + ox numbers the windows of the images from `input`
/// on; bias may be NULL (zero); relu: 0 linear, 1 max(0, z) (NaN kept). `packed` comes from
/// nn_conv_pack_f32 with k = taps·channels. Needs nn_conv_available().
void nn_conv_f32(const nn_conv_geometry *g, const float *input, long begin, long end, const float *packed,
                 const float *bias, int relu, float *out);

/// The kernel gradient: dW [taps·channels, filters] += Σ_p col[p, ·]ᵀ · dz[p, ·] over windows
/// p in begin ..< end (numbered as in nn_conv_f32), dz [pixels, filters] from its row 0 = window 0.
/// Tiles of [6 rows of dW x 16 filters] sum over runs of 64 windows in registers, in window order.
/// Needs nn_conv_available().
void nn_conv_kernel_gradient_f32(const nn_conv_geometry *g, const float *input, long begin, long end,
                                 const float *dz, float *dw);

#endif
