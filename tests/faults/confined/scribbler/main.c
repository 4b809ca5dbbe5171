/* A hostile workload for tests/faults: tries to change its input folder (argv[1]), in every
 * variant, and says for each attempt whether it was refused. Expected: all refused. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static const char *verdict(int fd) {
    if (fd < 0) return "refused";
    close(fd);
    return "ALLOWED";
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/given.txt", argv[1]);
    printf("changing an input file: %s\n", verdict(open(path, O_WRONLY | O_APPEND)));
    snprintf(path, sizeof path, "%s/planted.txt", argv[1]);
    int planted = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (planted >= 0) unlink(path);
    printf("adding a file to the input folder: %s\n", verdict(planted));
    return 0;
}
