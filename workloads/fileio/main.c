/*
 * fileio: PASSES times, lists INPUT_DIR (names sorted bytewise, dot files skipped), reads every
 * file whole and computes its size, line count and FNV-1a 64; writes one summary line per file
 * ("name bytes lines fnv") to OUTPUT_DIR/summary.txt, then reads that file back. Prints totals
 * and a checksum (FNV-1a 64 over every summary read back, in order).
 * Stresses the filesystem path: directory listing, open/read/write/close, which is a host
 * directory natively, a bind mount in Docker and a WASI preopened directory in wasm.
 * main.rs does the same and prints the same bytes.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static void die(const char *what, const char *path) {
    fprintf(stderr, "fileio: %s: %s\n", what, path);
    exit(1);
}

static uint64_t fnv1a(uint64_t hash, const unsigned char *data, size_t length) {
    for (size_t i = 0; i < length; i++) {
        hash ^= data[i];
        hash *= FNV_PRIME;
    }
    return hash;
}

static int by_name(const void *left, const void *right) {
    return strcmp(*(char *const *)left, *(char *const *)right);
}

/* The whole file, malloc'd; its size in *length. */
static unsigned char *read_whole(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) die("cannot open", path);
    size_t capacity = 1 << 16, used = 0;
    unsigned char *data = malloc(capacity);
    for (;;) {
        if (!data) die("out of memory reading", path);
        used += fread(data + used, 1, capacity - used, file);
        if (used < capacity) break;
        capacity *= 2;
        data = realloc(data, capacity);
    }
    if (ferror(file)) die("cannot read", path);
    fclose(file);
    *length = used;
    return data;
}

int main(int argc, char **argv) {
    char *end = NULL;
    long passes = argc == 4 ? strtol(argv[3], &end, 10) : -1;
    if (argc != 4 || *end != '\0' || passes < 1) {
        fprintf(stderr, "usage: fileio INPUT_DIR OUTPUT_DIR PASSES\n");
        return 2;
    }
    const char *input_dir = argv[1], *output_dir = argv[2];
    char summary_path[4096], path[4096];
    snprintf(summary_path, sizeof summary_path, "%s/summary.txt", output_dir);

    uint64_t checksum = FNV_OFFSET, total_bytes = 0, total_lines = 0;
    size_t files = 0;
    for (long pass = 0; pass < passes; pass++) {
        DIR *directory = opendir(input_dir);
        if (!directory) die("cannot list", input_dir);
        size_t count = 0, capacity = 64;
        char **names = malloc(capacity * sizeof *names);
        for (struct dirent *entry; (entry = readdir(directory)) != NULL;) {
            if (entry->d_name[0] == '.') continue;
            if (count == capacity) names = realloc(names, (capacity *= 2) * sizeof *names);
            if (!names || !(names[count++] = strdup(entry->d_name))) die("out of memory", input_dir);
        }
        closedir(directory);
        qsort(names, count, sizeof *names, by_name);

        FILE *summary = fopen(summary_path, "wb");
        if (!summary) die("cannot write", summary_path);
        for (size_t i = 0; i < count; i++) {
            snprintf(path, sizeof path, "%s/%s", input_dir, names[i]);
            size_t length;
            unsigned char *data = read_whole(path, &length);
            uint64_t lines = 0;
            for (size_t j = 0; j < length; j++) lines += data[j] == '\n';
            fprintf(summary, "%s %zu %llu %016llx\n", names[i], length, (unsigned long long)lines,
                    (unsigned long long)fnv1a(FNV_OFFSET, data, length));
            total_bytes += length;
            total_lines += lines;
            free(data);
            free(names[i]);
        }
        free(names);
        if (fclose(summary) != 0) die("cannot write", summary_path);
        files = count;

        size_t summary_length;
        unsigned char *written = read_whole(summary_path, &summary_length);
        checksum = fnv1a(checksum, written, summary_length);
        free(written);
    }
    printf("files %zu\npasses %ld\nbytes read %llu\nlines %llu\nchecksum %016llx\n", files, passes,
           (unsigned long long)total_bytes, (unsigned long long)total_lines,
           (unsigned long long)checksum);
    return 0;
}
