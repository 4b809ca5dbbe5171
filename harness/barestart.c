/*
 * isobench-barestart: a start mechanism alone, with no harness around it. It starts a program
 * ROUNDS times in a row (posix_spawn -> waitpid, stdin and stdout /dev/null, stderr inherited)
 * and prints each start's wall time, spawn to reaped, as one line `wall_ns=N`. The program is
 * the harness's own (isobench-idle, which exits at once on an empty stdin; or an OCI runtime
 * running a bundle of it), never a workload.
 *
 * usage: isobench-barestart ROUNDS PROGRAM [ARG]...
 * Exits 0 when every start exited 0; otherwise 1 at the first that did not, saying how.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: isobench-barestart ROUNDS PROGRAM [ARG]...\n");
        return 2;
    }
    char *end;
    long rounds = strtol(argv[1], &end, 10);
    if (*end != '\0' || rounds < 1) {
        fprintf(stderr, "isobench-barestart: ROUNDS must be a positive integer\n");
        return 2;
    }
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) {
        perror("isobench-barestart: /dev/null");
        return 1;
    }
    // Set up once, outside every timed region: what each start is handed.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, null_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, null_fd, 1);
    for (long round = 0; round < rounds; round++) {
        pid_t child;
        int status;
        long long started = now_ns();
        int error = posix_spawn(&child, argv[2], &actions, NULL, &argv[2], environ);
        if (error != 0) {
            fprintf(stderr, "isobench-barestart: %s: %s\n", argv[2], strerror(error));
            return 1;
        }
        while (waitpid(child, &status, 0) < 0) {
            if (errno != EINTR) {
                perror("isobench-barestart: waitpid");
                return 1;
            }
        }
        long long wall_ns = now_ns() - started;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "isobench-barestart: %s ended with %s %d\n", argv[2],
                    WIFEXITED(status) ? "exit code" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            return 1;
        }
        printf("wall_ns=%lld\n", wall_ns);
    }
    return 0;
}
