/* Allocates and touches memory, 1 MiB at a time, without bound: only a memory limit stops it.
 * Says how far it got when malloc fails (wasm's memory.grow refused), and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile last; /* every block escapes here, so no allocation can be optimized out */

int main(void) {
    for (unsigned long mib = 0;; mib++) {
        char *block = malloc(1 << 20);
        if (!block) {
            fprintf(stderr, "hog: out of memory after %lu MiB\n", mib);
            return 1;
        }
        memset(block, (int)mib + 1, 1 << 20); /* touched, so it is really resident */
        last = block;
    }
}
