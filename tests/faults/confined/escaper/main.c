/* A hostile workload for tests/faults: tries, natively, what a sample must not be able to do,
 * and says for each whether it was refused. Its expected output is every attempt refused.
 * It leaves a fork bomb's children and a child in a session of its own behind: the harness
 * must kill them (tests/faults/test_confinement.py checks that none is left). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

extern char **environ;

static const char *verdict(int refused) { return refused ? "refused" : "ALLOWED"; }

/* Whether opening `path` for writing (creating it when `create`) is refused. */
static int write_refused(const char *path, int create) {
    int fd = open(path, O_WRONLY | (create ? O_CREAT | O_EXCL : 0), 0755);
    if (fd < 0) return 1;
    close(fd);
    if (create) unlink(path);
    return 0;
}

/* The path of this process's group in the memory hierarchy (v1) or the unified one (v2). */
static int own_cgroup(char *out, size_t size) {
    FILE *file = fopen("/proc/self/cgroup", "r");
    char line[512];
    int found = 0;
    while (file && fgets(line, sizeof line, file)) {
        line[strcspn(line, "\n")] = 0;
        char *path = strrchr(line, ':');
        if (strstr(line, ":memory:")) {
            snprintf(out, size, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", path + 1);
            found = 1;
        } else if (strncmp(line, "0::", 3) == 0 && !found) {
            snprintf(out, size, "/sys/fs/cgroup%s/memory.max", path + 1);
            found = 1;
        }
    }
    if (file) fclose(file);
    return found;
}

int main(void) {
    printf("run as root: %s\n", verdict(getuid() != 0 && geteuid() != 0));
    gid_t groups[64];
    int count = getgroups(64, groups);
    printf("supplementary groups: %s\n",
           verdict(count == 0 || (count == 1 && groups[0] == getgid())));

    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    int no_new_privs = 0;
    while (status && fgets(line, sizeof line, status))
        if (strncmp(line, "NoNewPrivs:\t1", 13) == 0) no_new_privs = 1;
    if (status) fclose(status);
    printf("gaining privileges (setuid programs): %s\n", verdict(no_new_privs));

    int others = 0;
    for (char **entry = environ; *entry; entry++)
        if (strncmp(*entry, "PATH=", 5) != 0) others++;
    printf("the harness's environment: %s\n", verdict(others == 0));

    printf("leaving its cgroup: %s\n",
           verdict(write_refused("/sys/fs/cgroup/memory/cgroup.procs", 0) &&
                   write_refused("/sys/fs/cgroup/cgroup.procs", 0)));
    char limit[600];
    printf("raising its memory limit: %s\n",
           verdict(!own_cgroup(limit, sizeof limit) || write_refused(limit, 0)));

    char executable[4096];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    int planted = 1;
    if (length > 0) {
        executable[length] = 0;
        char plant[4200];
        snprintf(plant, sizeof plant, "%s/planted", dirname(executable));
        planted = write_refused(plant, 1);
    }
    printf("planting a file in the build cache: %s\n", verdict(planted));

    pid_t escapee = fork();
    if (escapee == 0) {
        setsid();
        for (;;) pause();
    }
    int forks = 0;
    for (; forks < 20000; forks++) {
        pid_t child = fork();
        if (child < 0) break;
        if (child == 0)
            for (;;) pause();
    }
    printf("a fork bomb: %s\n", verdict(forks < 20000));
    return 0;
}
