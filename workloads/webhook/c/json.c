/*
 * A strict JSON parser (RFC 8259) into a tree. Errors report the byte offset where the input
 * stopped making sense; src/json.rs in the Rust version makes the same decisions at the same
 * offsets. Strings are unescaped into UTF-8; \u0000 and lone surrogates are rejected.
 */
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

#define MAX_DEPTH 64

struct parser {
    const char *data;
    size_t length, position;
    int failed;
    size_t error_at;
};

static int fail(struct parser *p, size_t at) {
    if (!p->failed) {
        p->failed = 1;
        p->error_at = at;
    }
    return 0;
}

static struct json *new_value(struct parser *p, enum json_type type) {
    struct json *value = calloc(1, sizeof *value);
    if (!value) fail(p, p->position);
    else value->type = type;
    return value;
}

static void skip_space(struct parser *p) {
    while (p->position < p->length) {
        char c = p->data[p->position];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->position++;
    }
}

static int peek(const struct parser *p) {
    return p->position < p->length ? (unsigned char)p->data[p->position] : -1;
}

static int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits after "\u" at p->position (which is at the 'u'); -1 on error. */
static long read_hex4(struct parser *p) {
    long value = 0;
    for (int i = 1; i <= 4; i++) {
        size_t at = p->position + i;
        int digit = at < p->length ? hex_digit((unsigned char)p->data[at]) : -1;
        if (digit < 0) return fail(p, at < p->length ? at : p->length), -1;
        value = value * 16 + digit;
    }
    p->position += 5;
    return value;
}

static size_t put_utf8(char *out, unsigned long code) {
    if (code < 0x80) { out[0] = (char)code; return 1; }
    if (code < 0x800) {
        out[0] = (char)(0xC0 | code >> 6); out[1] = (char)(0x80 | (code & 0x3F)); return 2;
    }
    if (code < 0x10000) {
        out[0] = (char)(0xE0 | code >> 12); out[1] = (char)(0x80 | ((code >> 6) & 0x3F));
        out[2] = (char)(0x80 | (code & 0x3F)); return 3;
    }
    out[0] = (char)(0xF0 | code >> 18); out[1] = (char)(0x80 | ((code >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((code >> 6) & 0x3F)); out[3] = (char)(0x80 | (code & 0x3F)); return 4;
}

/* At the opening quote; returns the unescaped bytes (NUL-terminated) or NULL. */
static char *parse_string(struct parser *p, size_t *length) {
    p->position++;
    /* Unescaping never makes a string longer than the input left to read. */
    size_t start = p->position, used = 0;
    char *out = malloc(p->length - start + 1);
    if (!out) return fail(p, start), NULL;
    for (;;) {
        if (p->position >= p->length) return free(out), fail(p, p->length), NULL;
        unsigned char c = (unsigned char)p->data[p->position];
        if (c == '"') break;
        if (c < 0x20) return free(out), fail(p, p->position), NULL;
        if (c != '\\') {
            out[used++] = (char)c;
            p->position++;
            continue;
        }
        size_t escape_at = p->position;
        p->position++;
        int e = peek(p);
        const char *simple = "\"\\/bfnrt", *meaning = "\"\\/\b\f\n\r\t";
        const char *found = e > 0 ? strchr(simple, e) : NULL;
        if (found) {
            out[used++] = meaning[found - simple];
            p->position++;
            continue;
        }
        if (e != 'u') return free(out), fail(p, e < 0 ? p->length : p->position), NULL;
        long code = read_hex4(p);
        if (code < 0) return free(out), NULL;
        if (code >= 0xD800 && code <= 0xDBFF) {
            size_t second_at = p->position;
            if (second_at + 1 >= p->length || p->data[second_at] != '\\' || p->data[second_at + 1] != 'u')
                return free(out), fail(p, second_at), NULL;
            p->position++;
            long low = read_hex4(p);
            if (low < 0) return free(out), NULL;
            if (low < 0xDC00 || low > 0xDFFF) return free(out), fail(p, second_at), NULL;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code == 0 || (code >= 0xDC00 && code <= 0xDFFF)) {
            return free(out), fail(p, escape_at), NULL;
        }
        used += put_utf8(out + used, (unsigned long)code);
    }
    p->position++;
    out[used] = '\0';
    *length = used;
    return out;
}

static int digits(struct parser *p) {
    size_t start = p->position;
    while (p->position < p->length && p->data[p->position] >= '0' && p->data[p->position] <= '9')
        p->position++;
    return p->position > start ? 1 : fail(p, p->position);
}

static struct json *parse_value(struct parser *p, int depth);

static struct json *parse_container(struct parser *p, int depth, enum json_type type) {
    char close = type == JSON_OBJECT ? '}' : ']';
    struct json *container = new_value(p, type), **tail;
    if (!container) return NULL;
    tail = &container->children;
    p->position++;
    skip_space(p);
    if (peek(p) == close) {
        p->position++;
        return container;
    }
    for (;;) {
        skip_space(p);
        char *key = NULL;
        if (type == JSON_OBJECT) {
            size_t key_length;
            if (peek(p) != '"') return fail(p, p->position), json_free(container), NULL;
            if (!(key = parse_string(p, &key_length))) return json_free(container), NULL;
            skip_space(p);
            if (peek(p) != ':') return free(key), fail(p, p->position), json_free(container), NULL;
            p->position++;
        }
        struct json *item = parse_value(p, depth + 1);
        if (!item) return free(key), json_free(container), NULL;
        item->key = key;
        *tail = item;
        tail = &item->next;
        skip_space(p);
        int c = peek(p);
        p->position++;
        if (c == ',') continue;
        if (c == close) return container;
        p->position--;
        return fail(p, p->position), json_free(container), NULL;
    }
}

static struct json *parse_value(struct parser *p, int depth) {
    skip_space(p);
    if (depth > MAX_DEPTH) return fail(p, p->position), NULL;
    int c = peek(p);
    if (c == '{') return parse_container(p, depth, JSON_OBJECT);
    if (c == '[') return parse_container(p, depth, JSON_ARRAY);
    if (c == '"') {
        struct json *value = new_value(p, JSON_STRING);
        if (value && !(value->text = parse_string(p, &value->length))) return json_free(value), NULL;
        return value;
    }
    static const char *words[] = {"null", "false", "true"};
    static const enum json_type word_types[] = {JSON_NULL, JSON_FALSE, JSON_TRUE};
    for (int w = 0; w < 3; w++) {
        if (c != words[w][0]) continue;
        for (size_t i = 0; words[w][i]; i++, p->position++)
            if (p->position >= p->length || p->data[p->position] != words[w][i])
                return fail(p, p->position < p->length ? p->position : p->length), NULL;
        return new_value(p, word_types[w]);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start = p->position;
        if (c == '-') p->position++;
        if (peek(p) == '0') p->position++;
        else if (!digits(p)) return NULL;
        if (peek(p) == '.') {
            p->position++;
            if (!digits(p)) return NULL;
        }
        if (peek(p) == 'e' || peek(p) == 'E') {
            p->position++;
            if (peek(p) == '+' || peek(p) == '-') p->position++;
            if (!digits(p)) return NULL;
        }
        struct json *value = new_value(p, JSON_NUMBER);
        if (!value) return NULL;
        value->length = p->position - start;
        value->text = malloc(value->length + 1);
        if (!value->text) return json_free(value), fail(p, start), NULL;
        memcpy(value->text, p->data + start, value->length);
        value->text[value->length] = '\0';
        return value;
    }
    return fail(p, p->position < p->length ? p->position : p->length), NULL;
}

struct json *json_parse(const char *data, size_t length, size_t *error_at) {
    struct parser p = {data, length, 0, 0, 0};
    struct json *value = parse_value(&p, 0);
    if (value) {
        skip_space(&p);
        if (p.position != p.length) {
            json_free(value);
            value = NULL;
            fail(&p, p.position);
        }
    }
    if (!value) *error_at = p.error_at;
    return value;
}

void json_free(struct json *value) {
    while (value) {
        struct json *next = value->next;
        json_free(value->children);
        free(value->text);
        free(value->key);
        free(value);
        value = next;
    }
}

const struct json *json_path(const struct json *value, const char *path) {
    while (value && *path) {
        const char *dot = strchr(path, '.');
        size_t length = dot ? (size_t)(dot - path) : strlen(path);
        if (value->type != JSON_OBJECT) return NULL;
        const struct json *member = value->children;
        while (member && !(strlen(member->key) == length && memcmp(member->key, path, length) == 0))
            member = member->next;
        value = member;
        path += length + (dot ? 1 : 0);
    }
    return value;
}
