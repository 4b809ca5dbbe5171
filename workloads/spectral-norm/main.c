/*
 * spectral-norm: the spectral norm of the infinite matrix A, a(i,j) = 1/((i+j)(i+j+1)/2+i+1),
 * truncated to N x N, by 10 power iterations of A^T A (after the Computer Language Benchmarks
 * Game). Stresses floating-point division and streaming over vectors of N doubles.
 * main.rs performs the same operations in the same order and prints the same bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double a(long i, long j) { return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1); }

static void multiply_av(long n, const double *v, double *av) {
    for (long i = 0; i < n; i++) {
        double sum = 0;
        for (long j = 0; j < n; j++) sum += a(i, j) * v[j];
        av[i] = sum;
    }
}

static void multiply_atv(long n, const double *v, double *atv) {
    for (long i = 0; i < n; i++) {
        double sum = 0;
        for (long j = 0; j < n; j++) sum += a(j, i) * v[j];
        atv[i] = sum;
    }
}

static void multiply_atav(long n, const double *v, double *atav, double *scratch) {
    multiply_av(n, v, scratch);
    multiply_atv(n, scratch, atav);
}

int main(int argc, char **argv) {
    char *end = NULL;
    long n = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || n < 1) {
        fprintf(stderr, "usage: spectral-norm N\n");
        return 2;
    }
    double *u = malloc(n * sizeof *u), *v = malloc(n * sizeof *v);
    double *scratch = malloc(n * sizeof *scratch);
    if (!u || !v || !scratch) {
        fprintf(stderr, "spectral-norm: out of memory\n");
        return 1;
    }
    for (long i = 0; i < n; i++) u[i] = 1;
    for (int iteration = 0; iteration < 10; iteration++) {
        multiply_atav(n, u, v, scratch);
        multiply_atav(n, v, u, scratch);
    }
    double vbv = 0, vv = 0;
    for (long i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    printf("%.9f\n", sqrt(vbv / vv));
    free(u);
    free(v);
    free(scratch);
    return 0;
}
