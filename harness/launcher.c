/*
 * isobench-launch: starts one sample (or one scenario instance) of a process variant, confined,
 * and measures it from a tiny process.
 *
 * Why a launcher: a child's ru_maxrss is never below its spawner's own peak (exec folds the old
 * mm's high-water mark in), so a Python harness cannot spawn a sample directly and trust its
 * memory figures. This process is small, joins the sample's cgroups, and times
 * posix_spawn -> wait4 with CLOCK_MONOTONIC around nothing else: the harness's own overhead
 * stays outside the timed region instead of being subtracted afterwards.
 *
 * Why it also confines: a workload is untrusted code. Everything that needs the harness's
 * rights happens here, before the clock: joining the cgroups (their memory and pids limits),
 * opening the files the program is handed (its executable, its module, its folders: opened
 * with O_PATH and given to it as fds 3, 4, ... so that it reaches them as /proc/self/fd/N
 * without any right to the folders around them, the build cache and scratch space included),
 * then the switch to the sample account (no supplementary groups), no_new_privs, and rlimits
 * where no cgroup holds a limit: processes (RLIMIT_NPROC) and data memory (RLIMIT_DATA); what
 * it may write to its stdout or any one file (RLIMIT_FSIZE: past it, SIGXFSZ ends it); no core
 * files; / as its working folder. The program inherits all of it.
 *
 * usage: isobench-launch [-c CGROUP_PROCS]... [-u UID:GID] [-n NPROC] [-m BYTES] [-l BYTES]
 *                        [-f FILE]...
 *                        [-t TIMEOUT_MS -i STDIN -o STDOUT -e STDERR | -x] PROGRAM [ARGS...]
 *   -c  join this cgroup (its cgroup.procs file); repeated for cgroup v1's hierarchies
 *   -u  run as this uid and gid, with no supplementary groups (default: the launcher's own)
 *   -n  RLIMIT_NPROC (the processes the account may have at once)
 *   -m  RLIMIT_DATA (past it, the program's allocations fail)
 *   -l  RLIMIT_FSIZE (past it, the program is ended by SIGXFSZ)
 *   -f  a file or folder opened here and handed to the program as the next fd from 3 up
 *   -x  exec the program in place of the launcher (a scenario's long-lived instance: its
 *       stdin and stdout are the launcher's; nothing is timed or reported)
 * Without -x the program's stdio are the files named, it is the leader of a process group of
 * its own, and at the timeout the whole group is killed, and whatever it left running when it
 * exited is killed too (the harness then kills whatever is left in its cgroup).
 * prints one line: wall_ns=N exit_code=N signal=N timed_out=0|1 maxrss_kb=N user_us=N sys_us=N
 * (maxrss, user and system CPU time: wait4's rusage of the program and the children it waited
 * for; the launcher's own are not in it)
 * exits 0 when it measured (whatever the program did), 125 when it could not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CGROUPS 8
#define MAX_FILES 8
#define FIRST_HANDED_FD 3
#define HIGH_FD 100 /* where opened files wait, clear of 0-2 and of the fds they are handed as */

extern char **environ;
static volatile sig_atomic_t timer_fired = 0;

static void on_alarm(int signo) { (void)signo; timer_fired = 1; }

static int fail(const char *what) {
    fprintf(stderr, "isobench-launch: %s: %s\n", what, strerror(errno));
    return 125;
}

static int usage(void) {
    fprintf(stderr, "usage: isobench-launch [-c CGROUP_PROCS]... [-u UID:GID] [-n NPROC] "
                    "[-m BYTES] [-l BYTES] [-f FILE]... "
                    "[-t TIMEOUT_MS -i STDIN -o STDOUT -e STDERR | -x] "
                    "PROGRAM [ARGS...]\n");
    return 125;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int open_high(const char *path, int flags) {
    int fd = open(path, flags | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
    close(fd);
    return high;
}

/* The sample account: no supplementary groups, then gid, then uid (the order that still has
 * the right to each), and checked, since a half-done switch must never run a sample. */
static int become(const char *account) {
    unsigned uid, gid;
    char rest;
    if (sscanf(account, "%u:%u%c", &uid, &gid, &rest) != 2) {
        errno = EINVAL;
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        return -1;
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *cgroups[MAX_CGROUPS];
    const char *files[MAX_FILES];
    int cgroup_count = 0, file_count = 0, exec_in_place = 0;
    const char *account = NULL, *stdin_path = NULL, *stdout_path = NULL, *stderr_path = NULL;
    long timeout_ms = -1, nproc = -1;
    long long data_bytes = -1, file_bytes = -1;
    int option;
    while ((option = getopt(argc, argv, "+c:u:n:m:l:f:t:i:o:e:x")) != -1) {
        switch (option) {
        case 'c':
            if (cgroup_count == MAX_CGROUPS) return usage();
            cgroups[cgroup_count++] = optarg;
            break;
        case 'f':
            if (file_count == MAX_FILES) return usage();
            files[file_count++] = optarg;
            break;
        case 'u': account = optarg; break;
        case 'n': nproc = strtol(optarg, NULL, 10); break;
        case 'm': data_bytes = strtoll(optarg, NULL, 10); break;
        case 'l': file_bytes = strtoll(optarg, NULL, 10); break;
        case 't': timeout_ms = strtol(optarg, NULL, 10); break;
        case 'i': stdin_path = optarg; break;
        case 'o': stdout_path = optarg; break;
        case 'e': stderr_path = optarg; break;
        case 'x': exec_in_place = 1; break;
        default: return usage();
        }
    }
    int timed = timeout_ms > 0 && stdin_path && stdout_path && stderr_path;
    if (optind >= argc || exec_in_place == timed) return usage();
    char **program = &argv[optind];

    for (int i = 0; i < cgroup_count; i++) {
        int fd = open(cgroups[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || dprintf(fd, "%d\n", (int)getpid()) < 0) return fail("join cgroup");
        close(fd);
    }
    int handed[MAX_FILES];
    for (int i = 0; i < file_count; i++) {
        handed[i] = open_high(files[i], O_PATH);
        if (handed[i] < 0) return fail(files[i]);
    }
    /* Open everything before the clock starts: creating a file inside the child cost
     * 200-400 us here, which would be billed to the program. The child only dup2()s. The
     * stdio files are the harness's: opened before the account changes. */
    int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
    if (timed) {
        stdin_fd = open_high(stdin_path, O_RDONLY);
        stdout_fd = open_high(stdout_path, O_WRONLY | O_CREAT | O_TRUNC);
        stderr_fd = open_high(stderr_path, O_WRONLY | O_CREAT | O_TRUNC);
        if (stdin_fd < 0 || stdout_fd < 0 || stderr_fd < 0) return fail("open stdio files");
    }
    if (account && become(account) != 0) return fail("switch to the sample account");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail("no_new_privs");
    if (nproc >= 0) {
        struct rlimit limit = {(rlim_t)nproc, (rlim_t)nproc};
        if (setrlimit(RLIMIT_NPROC, &limit) != 0) return fail("RLIMIT_NPROC");
    }
    if (data_bytes >= 0) {
        struct rlimit limit = {(rlim_t)data_bytes, (rlim_t)data_bytes};
        if (setrlimit(RLIMIT_DATA, &limit) != 0) return fail("RLIMIT_DATA");
    }
    if (file_bytes >= 0) {
        struct rlimit limit = {(rlim_t)file_bytes, (rlim_t)file_bytes};
        if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return fail("RLIMIT_FSIZE");
    }
    struct rlimit no_core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) != 0) return fail("RLIMIT_CORE");
    if (chdir("/") != 0) return fail("chdir /");

    if (exec_in_place) {
        for (int i = 0; i < file_count; i++)
            if (dup2(handed[i], FIRST_HANDED_FD + i) < 0) return fail("dup2");
        execve(program[0], program, environ);
        return fail(program[0]);
    }

    /* Not dumpable: the program, now the same uid, cannot ptrace the launcher and alter what
     * it reports (exec makes the program itself dumpable again). */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
    for (int i = 0; i < file_count; i++)
        posix_spawn_file_actions_adddup2(&actions, handed[i], FIRST_HANDED_FD + i);

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
    int spawn_error = posix_spawn(&child, program[0], &actions, &attributes, program, environ);
    if (spawn_error != 0) {
        errno = spawn_error;
        return fail(program[0]);
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
