/* Starts a child that waits forever, then hangs itself: a timeout must stop both (the
 * process group). In wasm, which cannot fork, it only hangs. */
#ifndef __wasi__
#include <unistd.h>
#endif

int main(void) {
#ifndef __wasi__
    if (fork() == 0)
        for (;;) pause();
#endif
    volatile unsigned long counter = 0;
    for (;;) counter++;
}
