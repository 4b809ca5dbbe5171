/*
 * word-freq: generates N words of text from a 4096-word vocabulary (both from SplitMix64, seed
 * 42, see ../PRNG.md and the steps below), splits it into words and counts them in an
 * open-addressing hash table (FNV-1a 64, linear probing, doubled when half full). Prints the
 * word count, the distinct count, the ten most frequent words and a checksum of all counts.
 * Stresses hashing, a hash map growing under load, byte scanning and sorting.
 *
 * Vocabulary word: 1 + below(3) syllables; a syllable is a consonant and a vowel, plus a second
 * consonant when below(4) == 0. Text: for each word i, idx = below(4096) * below(4096) / 4096
 * (a skew towards low indices), then a space, or a newline when i % 16 == 15.
 * main.rs implements the same steps and prints the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCABULARY 4096
#define MAX_WORD 10
static const char CONSONANTS[] = "bcdfghjklmnprstvwz";
static const char VOWELS[] = "aeiou";

static uint64_t rng_state = 42;

static uint64_t next_u64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return next_u64() % n; }

static uint64_t fnv1a(const char *bytes, size_t length) {
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < length; i++) {
        hash ^= (unsigned char)bytes[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

struct entry {
    uint64_t hash;
    uint64_t count; /* 0: empty slot */
    const char *word;
    size_t length;
};

struct table {
    struct entry *slots;
    size_t capacity, used;
};

static void die(const char *message) {
    fprintf(stderr, "word-freq: %s\n", message);
    exit(1);
}

static void insert(struct table *table, uint64_t hash, const char *word, size_t length,
                   uint64_t count) {
    size_t mask = table->capacity - 1;
    for (size_t slot = hash & mask;; slot = (slot + 1) & mask) {
        struct entry *entry = &table->slots[slot];
        if (entry->count == 0) {
            *entry = (struct entry){hash, count, word, length};
            table->used++;
            return;
        }
        if (entry->hash == hash && entry->length == length && memcmp(entry->word, word, length) == 0) {
            entry->count += count;
            return;
        }
    }
}

static void grow(struct table *table) {
    struct table bigger = {calloc(table->capacity * 2, sizeof(struct entry)), table->capacity * 2, 0};
    if (!bigger.slots) die("out of memory");
    for (size_t i = 0; i < table->capacity; i++) {
        struct entry *entry = &table->slots[i];
        if (entry->count) insert(&bigger, entry->hash, entry->word, entry->length, entry->count);
    }
    free(table->slots);
    *table = bigger;
}

static int by_count_then_word(const void *left, const void *right) {
    const struct entry *a = left, *b = right;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    size_t shorter = a->length < b->length ? a->length : b->length;
    int order = memcmp(a->word, b->word, shorter);
    if (order) return order;
    return a->length < b->length ? -1 : a->length > b->length;
}

int main(int argc, char **argv) {
    char *end = NULL;
    long words = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || words < 1 || words > 100000000) {
        fprintf(stderr, "usage: word-freq WORDS   (1..100000000)\n");
        return 2;
    }
    static char vocabulary[VOCABULARY][MAX_WORD];
    static size_t lengths[VOCABULARY];
    for (int w = 0; w < VOCABULARY; w++) {
        size_t length = 0;
        uint64_t syllables = 1 + below(3);
        for (uint64_t s = 0; s < syllables; s++) {
            vocabulary[w][length++] = CONSONANTS[below(18)];
            vocabulary[w][length++] = VOWELS[below(5)];
            if (below(4) == 0) vocabulary[w][length++] = CONSONANTS[below(18)];
        }
        lengths[w] = length;
    }

    char *text = malloc((size_t)words * (MAX_WORD + 1));
    if (!text) die("out of memory");
    size_t text_length = 0;
    for (long i = 0; i < words; i++) {
        uint64_t index = below(VOCABULARY) * below(VOCABULARY) / VOCABULARY;
        memcpy(text + text_length, vocabulary[index], lengths[index]);
        text_length += lengths[index];
        text[text_length++] = i % 16 == 15 ? '\n' : ' ';
    }

    struct table table = {calloc(1024, sizeof(struct entry)), 1024, 0};
    if (!table.slots) die("out of memory");
    uint64_t total = 0;
    for (size_t position = 0; position < text_length;) {
        while (position < text_length && (text[position] < 'a' || text[position] > 'z')) position++;
        size_t start = position;
        while (position < text_length && text[position] >= 'a' && text[position] <= 'z') position++;
        if (position == start) break;
        if (2 * (table.used + 1) > table.capacity) grow(&table);
        insert(&table, fnv1a(text + start, position - start), text + start, position - start, 1);
        total++;
    }

    struct entry *distinct = malloc(table.used * sizeof *distinct);
    if (!distinct) die("out of memory");
    size_t count = 0;
    uint64_t checksum = 0;
    for (size_t i = 0; i < table.capacity; i++) {
        if (table.slots[i].count) {
            distinct[count++] = table.slots[i];
            checksum += table.slots[i].hash * table.slots[i].count;
        }
    }
    qsort(distinct, count, sizeof *distinct, by_count_then_word);
    printf("words %llu\ndistinct %zu\n", (unsigned long long)total, count);
    for (size_t i = 0; i < count && i < 10; i++)
        printf("%llu %.*s\n", (unsigned long long)distinct[i].count, (int)distinct[i].length,
               distinct[i].word);
    printf("checksum %016llx\n", (unsigned long long)checksum);
    free(distinct);
    free(table.slots);
    free(text);
    return 0;
}
