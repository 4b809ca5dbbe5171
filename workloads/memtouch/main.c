/*
 * memtouch: allocates N MiB in one block and writes one byte in every 4 KiB page, then reads
 * them all back. The memory-measurement calibrator: its peak must come out as N MiB plus the
 * variant's floor, in every variant. Prints the page count and a checksum of what it read.
 * main.rs does the same and prints the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PAGE 4096

int main(int argc, char **argv) {
    char *end = NULL;
    long mib = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || mib < 1 || mib > 3072) {
        fprintf(stderr, "usage: memtouch MIB   (1..3072)\n");
        return 2;
    }
    size_t bytes = (size_t)mib << 20;
    unsigned char *block = malloc(bytes);
    if (!block) {
        fprintf(stderr, "memtouch: cannot allocate %ld MiB\n", mib);
        return 1;
    }
    size_t pages = bytes / PAGE;
    for (size_t page = 0; page < pages; page++) block[page * PAGE] = (unsigned char)(page * 7 + 1);
    uint64_t checksum = 0;
    for (size_t page = 0; page < pages; page++) checksum += block[page * PAGE];
    printf("touched %ld MiB: %zu pages, checksum %llu\n", mib, pages, (unsigned long long)checksum);
    free(block);
    return 0;
}
