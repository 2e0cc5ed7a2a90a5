#include "ckernels.h"
#include <math.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

void nn_adam_f32(float *w, const float *g, float *m, float *v, long n,
                 float b1, float b2, float alpha, float eps) {
    long i = 0;
#if defined(__SSE__)
    const __m128 vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2);
    const __m128 valpha = _mm_set1_ps(alpha), veps = _mm_set1_ps(eps);
    for (; i + 4 <= n; i += 4) {
        __m128 gi = _mm_loadu_ps(g + i);
        __m128 mi = _mm_loadu_ps(m + i);
        __m128 vi = _mm_loadu_ps(v + i);
        mi = _mm_add_ps(mi, _mm_mul_ps(_mm_sub_ps(gi, mi), vb1));
        vi = _mm_add_ps(vi, _mm_mul_ps(_mm_sub_ps(_mm_mul_ps(gi, gi), vi), vb2));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        __m128 step = _mm_div_ps(_mm_mul_ps(valpha, mi), _mm_add_ps(_mm_sqrt_ps(vi), veps));
        _mm_storeu_ps(w + i, _mm_sub_ps(_mm_loadu_ps(w + i), step));
    }
#endif
    for (; i < n; i++) {
        m[i] += (g[i] - m[i]) * b1;
        v[i] += (g[i] * g[i] - v[i]) * b2;
        w[i] -= alpha * m[i] / (sqrtf(v[i]) + eps);
    }
}

void nn_rmsprop_f32(float *w, const float *g, float *s, float *mom, long n,
                    float rho, float lr, float eps, float mu) {
    long i = 0;
#if defined(__SSE__)
    const __m128 vrho = _mm_set1_ps(rho), vone = _mm_set1_ps(1.0f - rho);
    const __m128 vlr = _mm_set1_ps(lr), veps = _mm_set1_ps(eps), vmu = _mm_set1_ps(mu);
    for (; i + 4 <= n; i += 4) {
        __m128 gi = _mm_loadu_ps(g + i);
        __m128 si = _mm_add_ps(_mm_mul_ps(vrho, _mm_loadu_ps(s + i)), _mm_mul_ps(vone, _mm_mul_ps(gi, gi)));
        _mm_storeu_ps(s + i, si);
        __m128 delta = _mm_div_ps(_mm_mul_ps(vlr, gi), _mm_sqrt_ps(_mm_add_ps(si, veps)));
        if (mom) {
            __m128 mi = _mm_add_ps(_mm_mul_ps(vmu, _mm_loadu_ps(mom + i)), delta);
            _mm_storeu_ps(mom + i, mi);
            delta = mi;
        }
        _mm_storeu_ps(w + i, _mm_sub_ps(_mm_loadu_ps(w + i), delta));
    }
#endif
    for (; i < n; i++) {
        s[i] = rho * s[i] + (1.0f - rho) * g[i] * g[i];
        float delta = lr * g[i] / sqrtf(s[i] + eps);
        if (mom) { mom[i] = mu * mom[i] + delta; delta = mom[i]; }
        w[i] -= delta;
    }
}
