/*
 * isobench-idle: reads stdin until it ends, then exits 0. Run in a container whose stdin the
 * harness holds open, it keeps the container running for exactly as long as the harness needs
 * to measure what the container runtime itself costs the host (containerd-shim and friends).
 */
#include <unistd.h>

int main(void) {
    char buffer[4096];
    while (read(0, buffer, sizeof buffer) > 0) {
    }
    return 0;
}
