/*
 * matmul: C = A x B for dense N x N matrices of doubles drawn from SplitMix64 (seed 42, see
 * ../PRNG.md; A then B, row by row, each entry next_f64() - 0.5), in i-k-j loop order so the
 * inner loop streams over rows and can be vectorised without reordering any sum. Prints the
 * trace of C and the sum of all its entries (summed row by row, left to right).
 * Stresses dense floating point, cache reuse, and what auto-vectorisation and SIMD change.
 * main.rs performs the same operations in the same order and prints the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state = 42;

static uint64_t next_u64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double next_f64(void) { return (double)(next_u64() >> 11) * 0x1.0p-53; }

int main(int argc, char **argv) {
    char *end = NULL;
    long n = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || n < 1 || n > 8192) {
        fprintf(stderr, "usage: matmul N   (1..8192)\n");
        return 2;
    }
    size_t cells = (size_t)n * (size_t)n;
    double *a = malloc(cells * sizeof *a), *b = malloc(cells * sizeof *b);
    double *c = calloc(cells, sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "matmul: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < cells; i++) a[i] = next_f64() - 0.5;
    for (size_t i = 0; i < cells; i++) b[i] = next_f64() - 0.5;
    for (long i = 0; i < n; i++) {
        double *c_row = c + i * n;
        for (long k = 0; k < n; k++) {
            double a_ik = a[i * n + k];
            const double *b_row = b + k * n;
            for (long j = 0; j < n; j++) c_row[j] += a_ik * b_row[j];
        }
    }
    double trace = 0, sum = 0;
    for (long i = 0; i < n; i++) trace += c[i * n + i];
    for (size_t i = 0; i < cells; i++) sum += c[i];
    printf("trace %.9e\nsum %.9e\n", trace, sum);
    free(a);
    free(b);
    free(c);
    return 0;
}
