/* Never ends: spins on a volatile counter (no system call, so only the timeout can stop it:
 * a kill for processes and containers, the epoch deadline for wasm). */
int main(void) {
    volatile unsigned long counter = 0;
    for (;;) counter++;
}
