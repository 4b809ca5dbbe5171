/* Aborts after printing: SIGABRT natively and in a container, a trap in wasm. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("about to crash\n");
    fflush(stdout);
    abort();
}
