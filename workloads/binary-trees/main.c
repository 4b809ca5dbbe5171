/*
 * binary-trees: allocates and walks many perfect binary trees, then frees them (after the
 * Computer Language Benchmarks Game): a stretch tree of depth N+1, a long-lived tree of depth
 * N, and for each depth d = 4, 6, ..., N, 2^(N-d+4) trees of depth d. Every node is its own
 * malloc, every tree is freed. Stresses the allocator with many small objects.
 * main.rs performs the same allocations (Box) and prints the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>

struct node {
    struct node *left, *right;
};

static struct node *bottom_up_tree(int depth) {
    struct node *node = malloc(sizeof *node);
    if (!node) {
        fprintf(stderr, "binary-trees: out of memory\n");
        exit(1);
    }
    if (depth > 0) {
        node->left = bottom_up_tree(depth - 1);
        node->right = bottom_up_tree(depth - 1);
    } else {
        node->left = node->right = NULL;
    }
    return node;
}

static long item_check(const struct node *node) {
    if (!node->left) return 1;
    return 1 + item_check(node->left) + item_check(node->right);
}

static void delete_tree(struct node *node) {
    if (node->left) {
        delete_tree(node->left);
        delete_tree(node->right);
    }
    free(node);
}

int main(int argc, char **argv) {
    char *end = NULL;
    long max_depth = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || max_depth < 0 || max_depth > 30) {
        fprintf(stderr, "usage: binary-trees MAX_DEPTH   (0..30)\n");
        return 2;
    }
    const int min_depth = 4;
    if (max_depth < min_depth + 2) max_depth = min_depth + 2;

    struct node *stretch = bottom_up_tree((int)max_depth + 1);
    printf("stretch tree of depth %ld\t check: %ld\n", max_depth + 1, item_check(stretch));
    delete_tree(stretch);

    struct node *long_lived = bottom_up_tree((int)max_depth);
    for (int depth = min_depth; depth <= max_depth; depth += 2) {
        long iterations = 1L << (max_depth - depth + min_depth);
        long check = 0;
        for (long i = 0; i < iterations; i++) {
            struct node *tree = bottom_up_tree(depth);
            check += item_check(tree);
            delete_tree(tree);
        }
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, check);
    }
    printf("long lived tree of depth %ld\t check: %ld\n", max_depth, item_check(long_lived));
    delete_tree(long_lived);
    return 0;
}
