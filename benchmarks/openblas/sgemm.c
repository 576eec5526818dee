/*
 * OpenBLAS reference for the GEMM benchmark: C = A W^T (m x n, W stored n x k, the SAE encoder's layout), single
 * precision, the same shapes as GemmBenchmarks. Prints the best of 10 runs per shape as time and GFLOP/s
 * (2 m n k / time). Build and run with run.sh.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static float *uniform(long count, unsigned *state)
{
    float *values = malloc(sizeof(float) * (size_t)count);
    if (values == NULL) {
        fprintf(stderr, "out of memory allocating %ld floats\n", count);
        exit(1);
    }
    for (long i = 0; i < count; i++) {
        *state = *state * 1664525u + 1013904223u;
        values[i] = (float)(*state >> 8) / 8388608.0f - 1.0f;
    }
    return values;
}

int main(void)
{
    const int shapes[][3] = {{4096, 6144, 768}, {1024, 3072, 768}, {1024, 16384, 768}, {10000, 512, 256}};
    unsigned state = 42;
    printf("%s\n", openblas_get_config());
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = uniform((long)m * k, &state), *w = uniform((long)n * k, &state), *c = uniform((long)m * n, &state);
        double best = 1e30;
        for (int run = 0; run < 10; run++) {
            const double start = seconds();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, w, k, 0.0f, c, n);
            const double elapsed = seconds() - start;
            if (elapsed < best) {
                best = elapsed;
            }
        }
        printf("%5d x %5d x %4d: %8.2f ms  %6.1f GFLOP/s\n", m, n, k, best * 1e3, 2.0 * m * n * k / best / 1e9);
        free(a);
        free(w);
        free(c);
    }
    return 0;
}
