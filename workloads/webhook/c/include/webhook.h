/* webhook: the pieces shared by main.c, json.c and hmac_sha256.c. */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>

/* HMAC-SHA256 (RFC 2104, FIPS 180-4) of message under key, as 64 lowercase hex digits + NUL. */
void hmac_sha256_hex(const unsigned char *key, size_t key_length, const unsigned char *message,
                     size_t message_length, char hex[65]);

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    char *text;             /* string: unescaped bytes + NUL; number: its source text + NUL */
    size_t length;          /* of text */
    char *key;              /* member name, when the parent is an object */
    struct json *children;  /* array items or object members, in order */
    struct json *next;      /* the next sibling */
};

/* Parses exactly data[0..length) as one JSON value. On error returns NULL and sets *error_at
 * to the byte offset where the input stopped making sense (length: it ended too soon). */
struct json *json_parse(const char *data, size_t length, size_t *error_at);
void json_free(struct json *value);
/* The value at a dotted path of object members ("repository.full_name"), or NULL. */
const struct json *json_path(const struct json *value, const char *path);

#endif
