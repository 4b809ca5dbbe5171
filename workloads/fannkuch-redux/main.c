/*
 * fannkuch-redux (sequential), after the Computer Language Benchmarks Game.
 * For every permutation of 0..n-1, count the prefix reversals ("flips") needed
 * to bring 0 to the front; print a checksum (flips with alternating sign, in
 * permutation order) and the largest flip count. Stresses integer arithmetic,
 * unpredictable branches and small arrays.
 * The Rust version in main.rs follows the same steps and prints the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>

#define MAX_N 12

static int fannkuch(int n, long *checksum_out) {
    int perm[MAX_N], perm1[MAX_N], count[MAX_N];
    int max_flips = 0;
    long checksum = 0;
    long perm_index = 0;
    int r = n;

    for (int i = 0; i < n; i++) perm1[i] = i;
    for (;;) {
        while (r != 1) {
            count[r - 1] = r;
            r--;
        }
        for (int i = 0; i < n; i++) perm[i] = perm1[i];

        int flips = 0;
        for (int k = perm[0]; k != 0; k = perm[0]) {
            for (int i = 0, j = k; i < j; i++, j--) {
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            flips++;
        }
        if (flips > max_flips) max_flips = flips;
        checksum += (perm_index % 2 == 0) ? flips : -flips;

        /* Next permutation in the counting order of the original program. */
        for (;;) {
            if (r == n) {
                *checksum_out = checksum;
                return max_flips;
            }
            int perm0 = perm1[0];
            for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
            perm1[r] = perm0;
            count[r]--;
            if (count[r] > 0) break;
            r++;
        }
        perm_index++;
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fannkuch-redux N   (3 <= N <= %d)\n", MAX_N);
        return 2;
    }
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end != '\0' || n < 3 || n > MAX_N) {
        fprintf(stderr, "fannkuch-redux: N must be an integer in 3..%d, got '%s'\n", MAX_N, argv[1]);
        return 2;
    }
    long checksum;
    int max_flips = fannkuch((int)n, &checksum);
    printf("%ld\nPfannkuchen(%ld) = %d\n", checksum, n, max_flips);
    return 0;
}
