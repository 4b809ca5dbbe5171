/* A fault for tests/faults: prints 4 GiB to its stdout, one MiB at a time, then exits 0. The
 * harness must stop it at its output limit and keep its own memory flat. */
#include <stdio.h>
#include <string.h>

int main(void) {
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    for (int written = 0; written < 4096; written++)
        if (fwrite(block, 1, sizeof block, stdout) != sizeof block) return 1;
    return 0;
}
