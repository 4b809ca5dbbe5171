/*
 * isobench-launch: spawns one native sample and measures it from a tiny process.
 *
 * Why a launcher: a child's ru_maxrss is never below its spawner's own peak (exec folds the old
 * mm's high-water mark in), so a Python harness cannot spawn a sample directly and trust its
 * memory figures. This process is small, joins the sample's memory cgroup, and times
 * posix_spawn -> wait4 with CLOCK_MONOTONIC around nothing else: the harness's own overhead
 * stays outside the timed region instead of being subtracted afterwards.
 *
 * usage: isobench-launch CGROUP_PROCS|- TIMEOUT_MS STDIN STDOUT STDERR PROGRAM [ARGS...]
 * (a cold sample's files are evicted from the page cache by the harness before this starts.)
 * The program is the leader of a process group of its own: at the timeout the whole group is
 * killed, and whatever it left running when it exited is killed too.
 * prints one line: wall_ns=N exit_code=N signal=N timed_out=0|1 maxrss_kb=N user_us=N sys_us=N
 * (maxrss, user and system CPU time: wait4's rusage of the program and the children it waited
 * for; the launcher's own are not in it)
 * exits 0 when it measured (whatever the program did), 125 when it could not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t timer_fired = 0;

static void on_alarm(int signo) { (void)signo; timer_fired = 1; }

static int fail(const char *what) {
    fprintf(stderr, "isobench-launch: %s: %s\n", what, strerror(errno));
    return 125;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: isobench-launch CGROUP_PROCS|- TIMEOUT_MS STDIN STDOUT STDERR "
                        "PROGRAM [ARGS...]\n");
        return 125;
    }
    const char *cgroup_procs = argv[1];
    long timeout_ms = strtol(argv[2], NULL, 10);

    if (strcmp(cgroup_procs, "-") != 0) {
        int fd = open(cgroup_procs, O_WRONLY);
        if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0) return fail("join cgroup");
        close(fd);
    }

    /* Open everything before the clock starts: creating a file inside the child cost
     * 200-400 us here, which would be billed to the program. The child only dup2()s. */
    int stdin_fd = open(argv[3], O_RDONLY | O_CLOEXEC);
    int stdout_fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int stderr_fd = open(argv[5], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (stdin_fd < 0 || stdout_fd < 0 || stderr_fd < 0) return fail("open stdio files");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0); /* a group of its own, led by the program */

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_alarm; /* no SA_RESTART: wait4 returns EINTR when the timer fires */
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {{0, 0}, {timeout_ms / 1000, (timeout_ms % 1000) * 1000}};

    pid_t child;
    setitimer(ITIMER_REAL, &timer, NULL);
    long long start = now_ns();
    int spawn_error = posix_spawn(&child, argv[6], &actions, &attributes, &argv[6], environ);
    if (spawn_error != 0) {
        errno = spawn_error;
        return fail(argv[6]);
    }
    int status = 0;
    struct rusage usage;
    int timed_out = 0;
    while (wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) return fail("wait4");
        if (timer_fired && !timed_out) {
            timed_out = 1;
            kill(-child, SIGKILL);
        }
    }
    long long end = now_ns();
    kill(-child, SIGKILL); /* anything the program left behind in its group (ESRCH if none) */

    printf("wall_ns=%lld exit_code=%d signal=%d timed_out=%d maxrss_kb=%ld user_us=%lld "
           "sys_us=%lld\n",
           end - start,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1,
           WIFSIGNALED(status) ? WTERMSIG(status) : 0,
           timed_out, usage.ru_maxrss,
           (long long)usage.ru_utime.tv_sec * 1000000LL + usage.ru_utime.tv_usec,
           (long long)usage.ru_stime.tv_sec * 1000000LL + usage.ru_stime.tv_usec);
    return 0;
}
