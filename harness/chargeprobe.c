/*
 * isobench-chargeprobe: how coarsely a memory cgroup's counter moves, read off the counter.
 *
 * The kernel charges a memory cgroup in batches (a per-CPU stock of pre-charged pages), so its
 * usage and peak move in steps of a batch, not of a page: a peak below a few batches says
 * little. This joins the (fresh, empty) group, then touches fresh anonymous pages one at a time
 * and reads the group's usage after each; every time the counter moves, it prints by how much.
 * The harness takes the most common step as the group's charge granularity.
 *
 * usage: isobench-chargeprobe CGROUP_DIR USAGE_FILE PAGES
 * prints one line per move: step_bytes=N; exits 0, or 125 when it could not probe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "isobench-chargeprobe: %s: %s\n", what, strerror(errno));
    return 125;
}

static long long read_usage(int fd) {
    char text[64];
    ssize_t length = pread(fd, text, sizeof text - 1, 0);
    if (length <= 0) return -1;
    text[length] = '\0';
    return atoll(text);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: isobench-chargeprobe CGROUP_DIR USAGE_FILE PAGES\n");
        return 125;
    }
    long pages = strtol(argv[3], NULL, 10);
    long page_bytes = sysconf(_SC_PAGESIZE);
    char path[4096];
    /* Everything this process needs is allocated before it joins: the group is charged only
     * for the pages touched below (and what the kernel charges with them). */
    snprintf(path, sizeof path, "%s/%s", argv[1], argv[2]);
    int usage_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (usage_fd < 0) return fail(path);
    char *memory = mmap(NULL, (size_t)(pages * page_bytes), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return fail("mmap");
    long long *steps = calloc((size_t)pages, sizeof *steps);
    if (steps == NULL) return fail("calloc");

    snprintf(path, sizeof path, "%s/cgroup.procs", argv[1]);
    int procs_fd = open(path, O_WRONLY | O_CLOEXEC);
    if (procs_fd < 0 || dprintf(procs_fd, "%d\n", (int)getpid()) < 0) return fail("join cgroup");
    close(procs_fd);

    long moves = 0;
    long long before = read_usage(usage_fd);
    for (long page = 0; page < pages; page++) {
        memory[page * page_bytes] = 1;
        long long now = read_usage(usage_fd);
        if (now < 0 || before < 0) return fail("read usage");
        if (now != before) steps[moves++] = now - before;
        before = now;
    }
    for (long move = 0; move < moves; move++) printf("step_bytes=%lld\n", steps[move]);
    return 0;
}
