#include "conv.h"
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

int nn_conv_available(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!(fma && osxsave && avx)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;  // the OS saves the YMM registers
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;  // AVX2
#else
    return 0;
#endif
}

long nn_conv_packed_count(long k, long filters) { return (filters + 15) / 16 * 16 * k; }

void nn_conv_pack_f32(const float *w, long k, long filters, float *packed) {
    const long blocks = (filters + 15) / 16;
    for (long b = 0; b < blocks; b++)
        for (long r = 0; r < k; r++)
            for (long j = 0; j < 16; j++) {
                const long o = b * 16 + j;
                packed[(b * k + r) * 16 + j] = o < filters ? w[r * filters + o] : 0.0f;
            }
}

void nn_conv_pack_flipped_f32(const float *w, long kh, long kw, long cin, long cout, float *packed) {
    const long k = kh * kw * cout, blocks = (cin + 15) / 16;
    for (long b = 0; b < blocks; b++)
        for (long y = 0; y < kh; y++)
            for (long x = 0; x < kw; x++)
                for (long o = 0; o < cout; o++) {
                    const long row = (y * kw + x) * cout + o;
                    const float *source = w + ((kh - 1 - y) * kw + (kw - 1 - x)) * cin * cout + o;
                    for (long j = 0; j < 16; j++) {
                        const long c = b * 16 + j;
                        packed[(b * k + row) * 16 + j] = c < cin ? source[c * cout] : 0.0f;
                    }
                }
}

#if defined(__x86_64__)
#define NN_AVX2 __attribute__((target("avx2,fma")))

/// Adds the bias, applies the activation and stores one output row's 16 (or `width`) values.
NN_AVX2 static inline void store_row(float *dst, __m256 lo, __m256 hi, __m256 bias_lo, __m256 bias_hi,
                                     int relu, long width) {
    lo = _mm256_add_ps(lo, bias_lo);
    hi = _mm256_add_ps(hi, bias_hi);
    if (relu) {  // max(0, z): vmaxps returns its second operand when one is NaN, so NaN stays
        const __m256 zero = _mm256_setzero_ps();
        lo = _mm256_max_ps(zero, lo);
        hi = _mm256_max_ps(zero, hi);
    }
    if (width == 16) {
        _mm256_storeu_ps(dst, lo);
        _mm256_storeu_ps(dst + 8, hi);
    } else {
        float row[16];
        _mm256_storeu_ps(row, lo);
        _mm256_storeu_ps(row + 8, hi);
        memcpy(dst, row, (size_t)width * sizeof(float));
    }
}

#define NN_FMA_ROW(a, lo, hi)                  \
    do {                                       \
        const __m256 v = _mm256_broadcast_ss(a); \
        lo = _mm256_fmadd_ps(v, w0, lo);       \
        hi = _mm256_fmadd_ps(v, w1, hi);       \
    } while (0)

NN_AVX2 static void conv_avx2(const nn_conv_geometry *g, const float *input, long begin, long end,
                              const float *packed, const float *bias, int relu, float *out) {
    const long channels = g->channels, row_stride = g->width * channels, image_stride = g->height * row_stride;
    const long step_y = g->stride_h * row_stride, step_x = g->stride_w * channels;
    const long out_width = g->out_width, out_height = g->out_height;
    const long k = g->taps * channels, filters = g->filters, blocks = (filters + 15) / 16;
    const long taps = g->taps, *tap_offsets = g->tap_offsets;
    long n = begin / (out_height * out_width), oy = begin / out_width % out_height, ox = begin % out_width;
    for (long p = begin; p < end; p += 6) {  // p: the tile's first pixel, ox/oy/n: the next pixel's position
        const long valid = end - p < 6 ? end - p : 6;
        const float *window[6];
        for (long i = 0; i < 6; i++) {
            if (i >= valid) {
                window[i] = window[0];  // computed, never stored
                continue;
            }
            window[i] = input + n * image_stride + oy * step_y + ox * step_x;
            if (++ox == out_width) {
                ox = 0;
                if (++oy == out_height) { oy = 0; n++; }
            }
        }
        for (long b = 0; b < blocks; b++) {
            const float *wp = packed + b * k * 16;
            __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
            __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
            for (long t = 0; t < taps; t++) {
                const long offset = tap_offsets[t];
                const float *a0 = window[0] + offset, *a1 = window[1] + offset, *a2 = window[2] + offset;
                const float *a3 = window[3] + offset, *a4 = window[4] + offset, *a5 = window[5] + offset;
                for (long c = 0; c < channels; c++) {
                    const __m256 w0 = _mm256_loadu_ps(wp), w1 = _mm256_loadu_ps(wp + 8);
                    wp += 16;
                    NN_FMA_ROW(a0 + c, c00, c01);
                    NN_FMA_ROW(a1 + c, c10, c11);
                    NN_FMA_ROW(a2 + c, c20, c21);
                    NN_FMA_ROW(a3 + c, c30, c31);
                    NN_FMA_ROW(a4 + c, c40, c41);
                    NN_FMA_ROW(a5 + c, c50, c51);
                }
            }
            const long first = b * 16, width = filters - first < 16 ? filters - first : 16;
            __m256 bias_lo = _mm256_setzero_ps(), bias_hi = bias_lo;
            if (bias) {
                float padded[16] = {0};
                memcpy(padded, bias + first, (size_t)width * sizeof(float));
                bias_lo = _mm256_loadu_ps(padded);
                bias_hi = _mm256_loadu_ps(padded + 8);
            }
            float *dst = out + p * filters + first;
            store_row(dst, c00, c01, bias_lo, bias_hi, relu, width);
            if (valid > 1) store_row(dst + filters, c10, c11, bias_lo, bias_hi, relu, width);
            if (valid > 2) store_row(dst + 2 * filters, c20, c21, bias_lo, bias_hi, relu, width);
            if (valid > 3) store_row(dst + 3 * filters, c30, c31, bias_lo, bias_hi, relu, width);
            if (valid > 4) store_row(dst + 4 * filters, c40, c41, bias_lo, bias_hi, relu, width);
            if (valid > 5) store_row(dst + 5 * filters, c50, c51, bias_lo, bias_hi, relu, width);
        }
    }
}

/// dW rows k0 ..< k0 + rows (at most 6) x columns block*16 ..< +16 (width of them valid) += the sum
/// over windows p in begin ..< end of col[p, k] · dz[p, ·]; `offsets` are the rows' offsets in a
/// window, `window`/(n, oy, ox) the first window's pointer and position.
NN_AVX2 static inline __attribute__((always_inline)) void kernel_gradient_tile(
    const nn_conv_geometry *g, const float *input, const float *window, long n, long oy, long ox, long count,
    const long *offsets, long rows, const float *dz, float *dw, long width, int full) {
    const long channels = g->channels, filters = g->filters, row_stride = g->width * channels;
    const long image_stride = g->height * row_stride, step_y = g->stride_h * row_stride, step_x = g->stride_w * channels;
    const long o0 = offsets[0], o1 = offsets[1], o2 = offsets[2], o3 = offsets[3], o4 = offsets[4], o5 = offsets[5];
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask_lo = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)width), lanes);
    const __m256i mask_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)width - 8), lanes);
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (long i = 0; i < count; i++) {
        const __m256 w0 = full ? _mm256_loadu_ps(dz) : _mm256_maskload_ps(dz, mask_lo);
        const __m256 w1 = full ? _mm256_loadu_ps(dz + 8) : _mm256_maskload_ps(dz + 8, mask_hi);
        dz += filters;
        NN_FMA_ROW(window + o0, c00, c01);
        NN_FMA_ROW(window + o1, c10, c11);
        NN_FMA_ROW(window + o2, c20, c21);
        NN_FMA_ROW(window + o3, c30, c31);
        NN_FMA_ROW(window + o4, c40, c41);
        NN_FMA_ROW(window + o5, c50, c51);
        window += step_x;
        if (++ox == g->out_width) {
            ox = 0;
            window += step_y - g->out_width * step_x;
            if (++oy == g->out_height) {
                oy = 0;
                window = input + ++n * image_stride;
            }
        }
    }
#define NN_ADD_ROW(r, lo, hi)                                                                              \
    if (rows > r) {                                                                                        \
        float *d = dw + r * filters;                                                                       \
        if (full) {                                                                                        \
            _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), lo));                                    \
            _mm256_storeu_ps(d + 8, _mm256_add_ps(_mm256_loadu_ps(d + 8), hi));                            \
        } else {                                                                                           \
            _mm256_maskstore_ps(d, mask_lo, _mm256_add_ps(_mm256_maskload_ps(d, mask_lo), lo));            \
            _mm256_maskstore_ps(d + 8, mask_hi, _mm256_add_ps(_mm256_maskload_ps(d + 8, mask_hi), hi));    \
        }                                                                                                  \
    }
    NN_ADD_ROW(0, c00, c01)
    NN_ADD_ROW(1, c10, c11)
    NN_ADD_ROW(2, c20, c21)
    NN_ADD_ROW(3, c30, c31)
    NN_ADD_ROW(4, c40, c41)
    NN_ADD_ROW(5, c50, c51)
#undef NN_ADD_ROW
}

NN_AVX2 static void kernel_gradient_avx2(const nn_conv_geometry *g, const float *input, long begin, long end,
                                         const float *dz, float *dw) {
    const long channels = g->channels, row_stride = g->width * channels, image_stride = g->height * row_stride;
    const long step_y = g->stride_h * row_stride, step_x = g->stride_w * channels;
    const long out_width = g->out_width, out_height = g->out_height;
    const long k = g->taps * channels, filters = g->filters, blocks = (filters + 15) / 16;
    // Windows in runs of 64, so that their dz rows and image values stay in L1 while every tile
    // of dW sums over them.
    for (long p = begin; p < end; p += 64) {
        const long count = end - p < 64 ? end - p : 64;
        const long n = p / (out_height * out_width), oy = p / out_width % out_height, ox = p % out_width;
        const float *window = input + n * image_stride + oy * step_y + ox * step_x;
        for (long k0 = 0; k0 < k; k0 += 6) {
            const long rows = k - k0 < 6 ? k - k0 : 6;
            long offsets[6];
            for (long i = 0; i < 6; i++) {
                const long r = k0 + (i < rows ? i : rows - 1);
                offsets[i] = g->tap_offsets[r / channels] + r % channels;
            }
            for (long b = 0; b < blocks; b++) {
                const long width = filters - b * 16 < 16 ? filters - b * 16 : 16;
                const float *d = dz + p * filters + b * 16;
                float *target = dw + k0 * filters + b * 16;
                if (width == 16)
                    kernel_gradient_tile(g, input, window, n, oy, ox, count, offsets, rows, d, target, 16, 1);
                else
                    kernel_gradient_tile(g, input, window, n, oy, ox, count, offsets, rows, d, target, width, 0);
            }
        }
    }
}
#endif

void nn_conv_f32(const nn_conv_geometry *g, const float *input, long begin, long end, const float *packed,
                 const float *bias, int relu, float *out) {
#if defined(__x86_64__)
    conv_avx2(g, input, begin, end, packed, bias, relu, out);
#else
    (void)g; (void)input; (void)begin; (void)end; (void)packed; (void)bias; (void)relu; (void)out;
#endif
}

void nn_conv_kernel_gradient_f32(const nn_conv_geometry *g, const float *input, long begin, long end,
                                 const float *dz, float *dw) {
#if defined(__x86_64__)
    kernel_gradient_avx2(g, input, begin, end, dz, dw);
#else
    (void)g; (void)input; (void)begin; (void)end; (void)dz; (void)dw;
#endif
}
