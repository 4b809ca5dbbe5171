/*
 * mandelbrot: the Mandelbrot set on [-1.5, 0.5] x [-1, 1] as an N x N portable bitmap (PBM P4),
 * 50 iterations per point, escape at |z|^2 > 4 (after the Computer Language Benchmarks Game).
 * Stresses floating point in a data-dependent loop, and bit packing of binary output.
 * main.rs performs the same operations in the same order and prints the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>

#define ITERATIONS 50
#define LIMIT_SQUARED 4.0

int main(int argc, char **argv) {
    char *end = NULL;
    long n = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || n < 1) {
        fprintf(stderr, "usage: mandelbrot N\n");
        return 2;
    }
    long row_bytes = (n + 7) / 8;
    unsigned char *row = malloc(row_bytes);
    if (!row) {
        fprintf(stderr, "mandelbrot: out of memory\n");
        return 1;
    }
    printf("P4\n%ld %ld\n", n, n);
    for (long y = 0; y < n; y++) {
        double ci = 2.0 * (double)y / (double)n - 1.0;
        for (long byte = 0; byte < row_bytes; byte++) {
            unsigned bits = 0;
            for (long bit = 0; bit < 8; bit++) {
                long x = byte * 8 + bit;
                unsigned inside = 0;
                if (x < n) {
                    double cr = 2.0 * (double)x / (double)n - 1.5;
                    double zr = 0, zi = 0, tr = 0, ti = 0;
                    int i = 0;
                    for (; i < ITERATIONS && tr + ti <= LIMIT_SQUARED; i++) {
                        zi = 2.0 * zr * zi + ci;
                        zr = tr - ti + cr;
                        tr = zr * zr;
                        ti = zi * zi;
                    }
                    inside = tr + ti <= LIMIT_SQUARED;
                }
                bits = (bits << 1) | inside;
            }
            row[byte] = (unsigned char)bits;
        }
        fwrite(row, 1, row_bytes, stdout);
    }
    free(row);
    return 0;
}
