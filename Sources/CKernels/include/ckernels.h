#ifndef NNRUN_CKERNELS_H
#define NNRUN_CKERNELS_H

#include "conv.h"

/// Float32 elementwise kernels that Swift cannot vectorise on the baseline x86-64 target: Swift
/// lowers SIMD square roots lane by lane through libm's sqrtf. Written with SSE intrinsics (part
/// of baseline x86-64) and a plain C fallback elsewhere. Used by NNTensor only.

/// Adam's update (Kingma and Ba 2015, as Keras implements it), elementwise over n values:
/// m += (g - m) * b1;  v += (g*g - v) * b2;  w -= alpha * m / (sqrt(v) + eps)
/// with b1 = 1 - beta_1, b2 = 1 - beta_2 and alpha the bias-corrected learning rate.
void nn_adam_f32(float *w, const float *g, float *m, float *v, long n,
                 float b1, float b2, float alpha, float eps);

/// RMSprop's update (Keras): s = rho*s + (1-rho)*g*g;  delta = lr * g / sqrt(s + eps);
/// with momentum mu > 0: mom = mu*mom + delta, w -= mom; else w -= delta (mom may be NULL).
void nn_rmsprop_f32(float *w, const float *g, float *s, float *mom, long n,
                    float rho, float lr, float eps, float mu);

#endif
