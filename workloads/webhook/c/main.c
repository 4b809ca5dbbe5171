/*
 * webhook: the service case. Reads one webhook delivery (HTTP/1.1 request line, headers, JSON
 * body) on stdin, and REPEAT times: finds the headers, verifies the X-Hub-Signature-256
 * HMAC-SHA256 of the body under SECRET, parses the JSON and routes on X-GitHub-Event, building
 * the actions it would take. Prints the actions and a checksum (FNV-1a 64) over every
 * repetition's actions.
 * Exit codes: 0 handled, 2 usage, 3 missing or wrong signature, 4 malformed JSON,
 * 5 malformed request or unexpected payload. Errors go to stderr as one line.
 *
 * `webhook SECRET --serve` is the long-lived form: it reads requests framed as a decimal byte
 * count, a newline and that many bytes, until stdin ends, and answers each with a frame of the
 * same shape holding exactly what `webhook SECRET 1` prints for that request alone (or
 * `rejected CODE` and a newline when it would exit CODE), flushed at once.
 * The Rust version (rust/) makes the same decisions and prints the same bytes.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "webhook.h"

enum { HANDLED = 0, USAGE = 2, BAD_SIGNATURE = 3, MALFORMED_JSON = 4, BAD_REQUEST = 5 };

struct text {
    char *data;
    size_t length, capacity;
};

static void out_of_memory(void) {
    fprintf(stderr, "webhook: out of memory\n");
    exit(1);
}

static void append(struct text *t, const char *format, ...) {
    for (;;) {
        va_list args;
        va_start(args, format);
        int needed = vsnprintf(t->data + t->length, t->capacity - t->length, format, args);
        va_end(args);
        if (needed < 0) out_of_memory();
        if (t->length + (size_t)needed < t->capacity) {
            t->length += (size_t)needed;
            return;
        }
        t->capacity = (t->length + (size_t)needed + 1) * 2;
        if (!(t->data = realloc(t->data, t->capacity))) out_of_memory();
    }
}

static int failure(int code, const char *message) {
    fprintf(stderr, "webhook: %s\n", message);
    return code;
}

struct header {
    const char *value;
    size_t length;
};

/* The value of header `name` (case-insensitive), trimmed; value NULL when absent. */
static struct header find_header(const char *headers, size_t length, const char *name) {
    size_t name_length = strlen(name);
    const char *line = headers, *end = headers + length;
    line = memchr(line, '\n', length); /* skip the request line */
    while (line && ++line < end) {
        const char *line_end = memchr(line, '\n', (size_t)(end - line));
        if (!line_end) line_end = end;
        const char *colon = memchr(line, ':', (size_t)(line_end - line));
        if (colon && (size_t)(colon - line) == name_length && strncasecmp(line, name, name_length) == 0) {
            const char *value = colon + 1, *value_end = line_end;
            while (value < value_end && (*value == ' ' || *value == '\t')) value++;
            while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t' || value_end[-1] == '\r'))
                value_end--;
            return (struct header){value, (size_t)(value_end - value)};
        }
        line = line_end;
    }
    return (struct header){NULL, 0};
}

static const char *string_at(const struct json *body, const char *path) {
    const struct json *value = json_path(body, path);
    return value && (value->type == JSON_STRING || value->type == JSON_NUMBER) ? value->text : NULL;
}

static int route_push(const struct json *body, struct text *actions) {
    const char *repository = string_at(body, "repository.full_name");
    const char *ref = string_at(body, "ref"), *after = string_at(body, "after");
    const char *default_branch = string_at(body, "repository.default_branch");
    const char *pusher = string_at(body, "pusher.name");
    const struct json *commits = json_path(body, "commits");
    if (!repository || !ref || !after || !default_branch || !pusher || !commits || commits->type != JSON_ARRAY)
        return failure(BAD_REQUEST, "unexpected payload: a push needs repository, ref, after, pusher and commits");
    size_t count = 0;
    for (const struct json *c = commits->children; c; c = c->next) count++;
    append(actions, "push %s %s, %zu commit(s)\n", repository, ref, count);
    for (const struct json *c = commits->children; c; c = c->next) {
        const char *id = string_at(c, "id"), *author = string_at(c, "author.name");
        const char *message = string_at(c, "message");
        if (!id || !author || !message) return failure(BAD_REQUEST, "unexpected payload: a commit needs id, author.name and message");
        size_t first_line = strcspn(message, "\n");
        append(actions, "check %.12s by %s: %.*s\n", id, author, (int)first_line, message);
    }
    if (strncmp(ref, "refs/heads/", 11) == 0 && strcmp(ref + 11, default_branch) == 0)
        append(actions, "deploy %s at %.12s\n", repository, after);
    append(actions, "notify %s\n", pusher);
    return HANDLED;
}

static int route(const char *event, const struct json *body, struct text *actions) {
    if (strcmp(event, "push") == 0) return route_push(body, actions);
    if (strcmp(event, "ping") == 0) {
        const char *hook = string_at(body, "hook_id");
        if (!hook) return failure(BAD_REQUEST, "unexpected payload: a ping needs hook_id");
        append(actions, "pong hook %s\n", hook);
        return HANDLED;
    }
    if (strcmp(event, "pull_request") == 0) {
        const char *action = string_at(body, "action"), *number = string_at(body, "number");
        const char *title = string_at(body, "pull_request.title");
        const char *repository = string_at(body, "repository.full_name");
        if (!action || !number || !title || !repository)
            return failure(BAD_REQUEST, "unexpected payload: a pull_request needs action, number, title and repository");
        if (strcmp(action, "opened") == 0 || strcmp(action, "reopened") == 0 || strcmp(action, "synchronize") == 0)
            append(actions, "build %s pull request #%s: %s\n", repository, number, title);
        else
            append(actions, "ignore pull_request action %s\n", action);
        return HANDLED;
    }
    append(actions, "ignore event %s\n", event);
    return HANDLED;
}

/* Handles the delivery once: the actions go to `actions`. */
static int handle(const char *request, size_t length, const char *secret, struct text *actions) {
    const char *blank = NULL;
    for (size_t i = 0; i + 3 < length; i++)
        if (memcmp(request + i, "\r\n\r\n", 4) == 0) { blank = request + i; break; }
    if (!blank) return failure(BAD_REQUEST, "bad request: no blank line after the headers");
    size_t headers_length = (size_t)(blank - request);
    if (headers_length < 5 || memcmp(request, "POST ", 5) != 0) return failure(BAD_REQUEST, "bad request: not a POST");

    struct header content_length = find_header(request, headers_length, "Content-Length");
    size_t body_length = 0;
    if (!content_length.value || content_length.length == 0) return failure(BAD_REQUEST, "bad request: no Content-Length");
    for (size_t i = 0; i < content_length.length; i++) {
        char c = content_length.value[i];
        if (c < '0' || c > '9' || body_length > 100000000) return failure(BAD_REQUEST, "bad request: bad Content-Length");
        body_length = body_length * 10 + (size_t)(c - '0');
    }
    const char *body = blank + 4;
    if ((size_t)(request + length - body) < body_length) return failure(BAD_REQUEST, "bad request: body shorter than Content-Length");

    struct header signature = find_header(request, headers_length, "X-Hub-Signature-256");
    if (!signature.value) return failure(BAD_SIGNATURE, "missing X-Hub-Signature-256");
    char expected[65];
    hmac_sha256_hex((const unsigned char *)secret, strlen(secret), (const unsigned char *)body, body_length, expected);
    if (signature.length != 71 || strncasecmp(signature.value, "sha256=", 7) != 0 ||
        strncasecmp(signature.value + 7, expected, 64) != 0)
        return failure(BAD_SIGNATURE, "signature mismatch");

    struct header event_header = find_header(request, headers_length, "X-GitHub-Event");
    if (!event_header.value || event_header.length == 0 || event_header.length > 64) return failure(BAD_REQUEST, "bad request: no X-GitHub-Event");
    char event[65];
    memcpy(event, event_header.value, event_header.length);
    event[event_header.length] = '\0';
    struct header delivery = find_header(request, headers_length, "X-GitHub-Delivery");

    size_t error_at;
    struct json *parsed = json_parse(body, body_length, &error_at);
    if (!parsed) {
        fprintf(stderr, "webhook: malformed JSON at byte %zu\n", error_at);
        return MALFORMED_JSON;
    }
    append(actions, "event %s delivery %.*s\n", event, delivery.value ? (int)delivery.length : 1,
           delivery.value ? delivery.value : "-");
    int result = route(event, parsed, actions);
    json_free(parsed);
    return result;
}

/* Reads one "COUNT\n" frame header; -1 at the end of stdin, -2 when it is not a count. */
static long read_frame_header(void) {
    char line[32];
    if (!fgets(line, sizeof line, stdin)) return -1;
    char *end = NULL;
    long count = strtol(line, &end, 10);
    return end != line && *end == '\n' && count >= 0 ? count : -2;
}

static int serve(const char *secret) {
    struct text request = {0}, actions = {0}, response = {0};
    for (;;) {
        long count = read_frame_header();
        if (count == -1) break;
        if (count == -2) return failure(BAD_REQUEST, "bad frame header");
        if (request.capacity < (size_t)count + 1) {
            request.capacity = (size_t)count + 1;
            if (!(request.data = realloc(request.data, request.capacity))) out_of_memory();
        }
        if (fread(request.data, 1, (size_t)count, stdin) != (size_t)count)
            return failure(BAD_REQUEST, "request frame cut short");
        actions.length = response.length = 0;
        int result = handle(request.data, (size_t)count, secret, &actions);
        if (result == HANDLED) {
            uint64_t checksum = 0xcbf29ce484222325ULL;
            for (size_t i = 0; i < actions.length; i++) {
                checksum ^= (unsigned char)actions.data[i];
                checksum *= 0x100000001b3ULL;
            }
            append(&response, "%.*shandled 1 request(s), checksum %016llx\n", (int)actions.length,
                   actions.data ? actions.data : "", (unsigned long long)checksum);
        } else {
            append(&response, "rejected %d\n", result);
        }
        printf("%zu\n", response.length);
        fwrite(response.data, 1, response.length, stdout);
        fflush(stdout);
    }
    free(request.data);
    free(actions.data);
    free(response.data);
    return HANDLED;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[2], "--serve") == 0) return serve(argv[1]);
    char *end = NULL;
    long repeat = argc == 3 ? strtol(argv[2], &end, 10) : -1;
    if (argc != 3 || *end != '\0' || repeat < 1) {
        fprintf(stderr, "usage: webhook SECRET REPEAT < request | webhook SECRET --serve\n");
        return USAGE;
    }
    struct text request = {0}, actions = {0};
    for (;;) {
        if (request.capacity - request.length < 4096) {
            request.capacity = request.capacity * 2 + 4096;
            if (!(request.data = realloc(request.data, request.capacity))) out_of_memory();
        }
        size_t got = fread(request.data + request.length, 1, request.capacity - request.length, stdin);
        request.length += got;
        if (got == 0) break;
    }
    uint64_t checksum = 0xcbf29ce484222325ULL;
    for (long r = 0; r < repeat; r++) {
        actions.length = 0;
        int result = handle(request.data, request.length, argv[1], &actions);
        if (result != HANDLED) return result;
        for (size_t i = 0; i < actions.length; i++) {
            checksum ^= (unsigned char)actions.data[i];
            checksum *= 0x100000001b3ULL;
        }
    }
    fwrite(actions.data, 1, actions.length, stdout);
    printf("handled %ld request(s), checksum %016llx\n", repeat, (unsigned long long)checksum);
    free(request.data);
    free(actions.data);
    return HANDLED;
}
