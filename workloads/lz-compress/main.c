/*
 * lz-compress: generates N KiB of text-like data, compresses it with an LZ77 coder, decompresses
 * it and checks the round trip; prints the sizes and a checksum (FNV-1a 64) of the compressed
 * bytes. Stresses byte handling, unaligned loads, hash lookups and data-dependent branches.
 *
 * Input (SplitMix64, seed 42, see ../PRNG.md): a 512-word vocabulary (1 + below(3) syllables of
 * consonant + vowel), then words picked with idx = below(512) * below(512) / 512, each followed
 * by a space; every word i with i % 64 == 63 is replaced by 8 raw bytes of next_u64()
 * (little-endian). The text is cut at exactly N KiB.
 * Coder: a 2^15-entry table of the last position of each 4-byte hash
 * (hash = (le32 * 2654435761) mod 2^32 >> 17); a candidate within 65535 bytes whose 4 bytes
 * match starts a match, extended up to 131 bytes. Tokens: 0x00-0x7F = (count - 1) literals
 * follow; 0x80-0xFF = a match of length (token & 0x7F) + 4, then its distance, 2 bytes LE.
 * main.rs implements the same steps and prints the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VOCABULARY 512
#define HASH_BITS 15
#define MAX_DISTANCE 65535
#define MIN_MATCH 4
#define MAX_MATCH (127 + MIN_MATCH)
#define MAX_LITERALS 128

static uint64_t rng_state = 42;

static uint64_t next_u64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return next_u64() % n; }

static void die(const char *message) {
    fprintf(stderr, "lz-compress: %s\n", message);
    exit(1);
}

static void generate(unsigned char *data, size_t length) {
    static const char consonants[] = "bcdfghjklmnprstvwz", vowels[] = "aeiou";
    static unsigned char vocabulary[VOCABULARY][6];
    static size_t lengths[VOCABULARY];
    for (int w = 0; w < VOCABULARY; w++) {
        uint64_t syllables = 1 + below(3);
        for (uint64_t s = 0; s < syllables; s++) {
            vocabulary[w][lengths[w]++] = (unsigned char)consonants[below(18)];
            vocabulary[w][lengths[w]++] = (unsigned char)vowels[below(5)];
        }
    }
    size_t filled = 0;
    for (uint64_t i = 0; filled < length; i++) {
        unsigned char piece[9];
        size_t piece_length;
        if (i % 64 == 63) {
            uint64_t value = next_u64();
            for (int b = 0; b < 8; b++) piece[b] = (unsigned char)(value >> (8 * b));
            piece_length = 8;
        } else {
            uint64_t index = below(VOCABULARY) * below(VOCABULARY) / VOCABULARY;
            memcpy(piece, vocabulary[index], lengths[index]);
            piece[lengths[index]] = ' ';
            piece_length = lengths[index] + 1;
        }
        size_t take = length - filled < piece_length ? length - filled : piece_length;
        memcpy(data + filled, piece, take);
        filled += take;
    }
}

static uint32_t load32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t emit_literals(unsigned char *out, size_t at, const unsigned char *from, size_t count) {
    while (count > 0) {
        size_t run = count < MAX_LITERALS ? count : MAX_LITERALS;
        out[at++] = (unsigned char)(run - 1);
        memcpy(out + at, from, run);
        at += run;
        from += run;
        count -= run;
    }
    return at;
}

/* out must hold length + length / 128 + 1 bytes (the worst case: all literals). */
static size_t compress(const unsigned char *in, size_t length, unsigned char *out) {
    static int32_t table[1 << HASH_BITS];
    for (size_t i = 0; i < (1u << HASH_BITS); i++) table[i] = -1;
    size_t at = 0, position = 0, literal_start = 0;
    while (position + MIN_MATCH <= length) {
        uint32_t word = load32(in + position);
        uint32_t slot = (uint32_t)(word * 2654435761u) >> (32 - HASH_BITS);
        int32_t candidate = table[slot];
        table[slot] = (int32_t)position;
        if (candidate >= 0 && position - (size_t)candidate <= MAX_DISTANCE &&
            load32(in + candidate) == word) {
            size_t match = MIN_MATCH;
            while (position + match < length && match < MAX_MATCH &&
                   in[candidate + match] == in[position + match])
                match++;
            at = emit_literals(out, at, in + literal_start, position - literal_start);
            size_t distance = position - (size_t)candidate;
            out[at++] = (unsigned char)(0x80 | (match - MIN_MATCH));
            out[at++] = (unsigned char)(distance & 0xFF);
            out[at++] = (unsigned char)(distance >> 8);
            position += match;
            literal_start = position;
        } else {
            position++;
        }
    }
    return emit_literals(out, at, in + literal_start, length - literal_start);
}

static size_t decompress(const unsigned char *in, size_t length, unsigned char *out, size_t room) {
    size_t at = 0;
    for (size_t position = 0; position < length;) {
        unsigned token = in[position++];
        if (token < 0x80) {
            size_t run = token + 1;
            if (position + run > length || at + run > room) die("corrupt stream (literals)");
            memcpy(out + at, in + position, run);
            at += run;
            position += run;
        } else {
            if (position + 2 > length) die("corrupt stream (match)");
            size_t match = (token & 0x7F) + MIN_MATCH;
            size_t distance = in[position] | (size_t)in[position + 1] << 8;
            position += 2;
            if (distance == 0 || distance > at || at + match > room) die("corrupt stream (distance)");
            for (size_t i = 0; i < match; i++, at++) out[at] = out[at - distance];
        }
    }
    return at;
}

int main(int argc, char **argv) {
    char *end = NULL;
    long kib = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || *end != '\0' || kib < 1 || kib > 1048576) {
        fprintf(stderr, "usage: lz-compress KIB   (1..1048576)\n");
        return 2;
    }
    size_t length = (size_t)kib << 10;
    unsigned char *input = malloc(length), *compressed = malloc(length + length / 128 + 1);
    unsigned char *restored = malloc(length);
    if (!input || !compressed || !restored) die("out of memory");
    generate(input, length);
    size_t compressed_length = compress(input, length, compressed);
    size_t restored_length = decompress(compressed, compressed_length, restored, length);
    if (restored_length != length || memcmp(input, restored, length) != 0) die("round trip failed");
    uint64_t checksum = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < compressed_length; i++) {
        checksum ^= compressed[i];
        checksum *= 0x100000001b3ULL;
    }
    printf("input %zu bytes\ncompressed %zu bytes\nround trip ok\nchecksum %016llx\n", length,
           compressed_length, (unsigned long long)checksum);
    free(input);
    free(compressed);
    free(restored);
    return 0;
}
