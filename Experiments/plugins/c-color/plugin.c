/*
 * c-color: a Stratum plugin (protocol 1) written in plain C99.
 *
 * The "model" is a fixed colour rule: for each 32x32 RGB image (values in
 * [0,1], normalization "unit") it takes mean(red) - mean(blue), and answers
 *     p(male) = sigmoid(GAIN * (mean_red - mean_blue - OFFSET))
 * with probabilities [1 - p, p] for labels ["female", "male"].
 *
 * Frames (both directions): u32le L, u32le J, J bytes of JSON header,
 * L - 4 - J bytes of body. Everything is read exactly; bad requests get an
 * `error` frame and the plugin keeps going. Logs go to stderr only.
 *
 * Build: cc -O2 -std=c99 -Wall -Wextra -o plugin plugin.c -lm
 */

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_NAME "c-color"
#define IN_H 32
#define IN_W 32
#define IN_C 3
#define N_LABELS 2
#define GAIN 20.0
#define OFFSET 0.07

#define MAX_FRAME ((uint32_t)1 << 30) /* 1 GiB, per the protocol */
#define MAX_HEADER ((uint32_t)1 << 20) /* we refuse JSON headers above 1 MiB */
#define MAX_DEPTH 64
#define MAX_SHAPE 8

/* ------------------------------------------------------------------ */
/* logging                                                              */

static void logmsg(const char *fmt, ...)
{
    va_list ap;
    fputs(PLUGIN_NAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* ------------------------------------------------------------------ */
/* raw I/O                                                              */

/* Reads exactly n bytes. Returns n on success, 0 on EOF before any byte,
 * -1 on EOF in the middle or on a read error. */
static long read_exact(void *buf, size_t n)
{
    size_t got = 0;
    unsigned char *p = (unsigned char *)buf;
    while (got < n) {
        size_t r = fread(p + got, 1, n - got, stdin);
        if (r == 0) {
            if (ferror(stdin) && errno == EINTR) {
                clearerr(stdin);
                continue;
            }
            return got == 0 ? 0 : -1;
        }
        got += r;
    }
    return 1;
}

/* Discards n bytes of stdin. Returns 1 on success, -1 on early EOF. */
static int skip_bytes(uint64_t n)
{
    unsigned char tmp[65536];
    while (n > 0) {
        size_t chunk = n > sizeof tmp ? sizeof tmp : (size_t)n;
        if (read_exact(tmp, chunk) != 1)
            return -1;
        n -= chunk;
    }
    return 1;
}

static uint32_t get_u32le(const unsigned char *b)
{
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
}

static void put_u32le(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v & 0xFFu);
    b[1] = (unsigned char)((v >> 8) & 0xFFu);
    b[2] = (unsigned char)((v >> 16) & 0xFFu);
    b[3] = (unsigned char)((v >> 24) & 0xFFu);
}

static float get_f32le(const unsigned char *b)
{
    uint32_t u = get_u32le(b);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static void put_f32le(unsigned char *b, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_u32le(b, u);
}

/* Writes one frame; exits if stdout is gone (nobody is listening). */
static void write_frame(const char *header, const unsigned char *body, size_t body_len)
{
    size_t j = strlen(header);
    unsigned char pre[8];
    if ((uint64_t)j + body_len + 4 > MAX_FRAME) {
        logmsg("internal error: outgoing frame too large");
        exit(1);
    }
    put_u32le(pre, (uint32_t)(4 + j + body_len));
    put_u32le(pre + 4, (uint32_t)j);
    if (fwrite(pre, 1, 8, stdout) != 8 || fwrite(header, 1, j, stdout) != j ||
        (body_len > 0 && fwrite(body, 1, body_len, stdout) != body_len) ||
        fflush(stdout) != 0) {
        logmsg("cannot write to stdout; exiting");
        exit(1);
    }
}

/* ------------------------------------------------------------------ */
/* minimal JSON                                                         */

/* What we take from a header. Everything else is validated and ignored. */
typedef struct {
    int has_type;
    char type[32];      /* truncated if longer (then it matches nothing) */
    int type_too_long;
    int has_id;         /* id present and a JSON number */
    char id_text[32];   /* the number exactly as sent, echoed back */
    int has_protocol;
    double protocol;
    int protocol_is_number;
    int has_shape;
    int shape_ok;       /* an array of non-negative integers */
    size_t shape_len;
    uint64_t shape[MAX_SHAPE];
    int has_dtype;
    char dtype[32];
    int dtype_too_long;
} header_t;

typedef struct {
    const char *s;
    size_t n;
    size_t i;
    const char *err;
} jp_t;

static void jp_ws(jp_t *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            p->i++;
        else
            break;
    }
}

static int jp_fail(jp_t *p, const char *msg)
{
    if (!p->err)
        p->err = msg;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parses a string at p->i (which must be '"'). Decodes it into out (ASCII
 * escapes decoded; non-ASCII \u escapes become '?'), truncating at cap-1.
 * *truncated is set if it did not fit. out may be NULL. */
static int jp_string(jp_t *p, char *out, size_t cap, int *truncated)
{
    size_t o = 0;
    if (truncated) *truncated = 0;
    if (p->i >= p->n || p->s[p->i] != '"')
        return jp_fail(p, "expected a string");
    p->i++;
    for (;;) {
        char c;
        char dec;
        if (p->i >= p->n)
            return jp_fail(p, "unterminated string");
        c = p->s[p->i++];
        if (c == '"')
            break;
        if ((unsigned char)c < 0x20)
            return jp_fail(p, "control character in string");
        if (c == '\\') {
            if (p->i >= p->n)
                return jp_fail(p, "unterminated escape");
            c = p->s[p->i++];
            switch (c) {
            case '"': dec = '"'; break;
            case '\\': dec = '\\'; break;
            case '/': dec = '/'; break;
            case 'b': dec = '\b'; break;
            case 'f': dec = '\f'; break;
            case 'n': dec = '\n'; break;
            case 'r': dec = '\r'; break;
            case 't': dec = '\t'; break;
            case 'u': {
                int k;
                unsigned v = 0;
                if (p->n - p->i < 4)
                    return jp_fail(p, "bad \\u escape");
                for (k = 0; k < 4; k++) {
                    int h = hexval(p->s[p->i + (size_t)k]);
                    if (h < 0)
                        return jp_fail(p, "bad \\u escape");
                    v = v * 16 + (unsigned)h;
                }
                p->i += 4;
                dec = (v > 0 && v < 0x80) ? (char)v : '?';
                break;
            }
            default:
                return jp_fail(p, "bad escape in string");
            }
        } else {
            dec = c;
        }
        if (out) {
            if (o + 1 < cap)
                out[o++] = dec;
            else if (truncated)
                *truncated = 1;
        }
    }
    if (out && cap > 0)
        out[o] = '\0';
    return 1;
}

/* Parses a JSON number; stores its text span. */
static int jp_number(jp_t *p, size_t *start, size_t *len)
{
    size_t b = p->i;
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    if (p->i >= p->n)
        return jp_fail(p, "bad number");
    if (p->s[p->i] == '0') {
        p->i++;
    } else if (p->s[p->i] >= '1' && p->s[p->i] <= '9') {
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
    } else {
        return jp_fail(p, "bad number");
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
            return jp_fail(p, "bad number");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
            return jp_fail(p, "bad number");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            p->i++;
    }
    *start = b;
    *len = p->i - b;
    return 1;
}

static double number_value(const jp_t *p, size_t start, size_t len)
{
    char buf[64];
    if (len >= sizeof buf)
        return HUGE_VAL; /* absurdly long: treat as out of range */
    memcpy(buf, p->s + start, len);
    buf[len] = '\0';
    return strtod(buf, NULL);
}

static int jp_literal(jp_t *p, const char *lit)
{
    size_t n = strlen(lit);
    if (p->n - p->i < n || memcmp(p->s + p->i, lit, n) != 0)
        return jp_fail(p, "bad literal");
    p->i += n;
    return 1;
}

/* Skips (but validates) any JSON value. */
static int jp_value(jp_t *p, int depth)
{
    size_t a, b;
    if (depth > MAX_DEPTH)
        return jp_fail(p, "JSON nested too deeply");
    jp_ws(p);
    if (p->i >= p->n)
        return jp_fail(p, "unexpected end of JSON");
    switch (p->s[p->i]) {
    case '"':
        return jp_string(p, NULL, 0, NULL);
    case '{':
        p->i++;
        jp_ws(p);
        if (p->i < p->n && p->s[p->i] == '}') {
            p->i++;
            return 1;
        }
        for (;;) {
            jp_ws(p);
            if (!jp_string(p, NULL, 0, NULL))
                return 0;
            jp_ws(p);
            if (p->i >= p->n || p->s[p->i] != ':')
                return jp_fail(p, "expected ':'");
            p->i++;
            if (!jp_value(p, depth + 1))
                return 0;
            jp_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == '}') {
                p->i++;
                return 1;
            }
            return jp_fail(p, "expected ',' or '}'");
        }
    case '[':
        p->i++;
        jp_ws(p);
        if (p->i < p->n && p->s[p->i] == ']') {
            p->i++;
            return 1;
        }
        for (;;) {
            if (!jp_value(p, depth + 1))
                return 0;
            jp_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == ']') {
                p->i++;
                return 1;
            }
            return jp_fail(p, "expected ',' or ']'");
        }
    case 't':
        return jp_literal(p, "true");
    case 'f':
        return jp_literal(p, "false");
    case 'n':
        return jp_literal(p, "null");
    default:
        return jp_number(p, &a, &b);
    }
}

static int is_number_start(char c)
{
    return c == '-' || (c >= '0' && c <= '9');
}

/* Parses the "shape" value: an array of non-negative integers. */
static int jp_shape(jp_t *p, header_t *h)
{
    h->has_shape = 1;
    h->shape_ok = 0;
    h->shape_len = 0;
    jp_ws(p);
    if (p->i >= p->n || p->s[p->i] != '[')
        return jp_value(p, 1); /* not an array: validate and leave shape_ok = 0 */
    {
        int ok = 1;
        p->i++;
        jp_ws(p);
        if (p->i < p->n && p->s[p->i] == ']') {
            p->i++;
            h->shape_ok = 1;
            return 1;
        }
        for (;;) {
            jp_ws(p);
            if (p->i < p->n && is_number_start(p->s[p->i])) {
                size_t a, b;
                double v;
                if (!jp_number(p, &a, &b))
                    return 0;
                v = number_value(p, a, b);
                if (!(v >= 0.0 && v <= 9007199254740992.0 && v == floor(v)) ||
                    h->shape_len >= MAX_SHAPE)
                    ok = 0;
                else
                    h->shape[h->shape_len++] = (uint64_t)v;
            } else {
                ok = 0;
                if (!jp_value(p, 2))
                    return 0;
            }
            jp_ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == ']') {
                p->i++;
                break;
            }
            return jp_fail(p, "expected ',' or ']'");
        }
        h->shape_ok = ok;
        return 1;
    }
}

/* Parses a whole header object. Returns 1 on success, else 0 with p->err. */
static int parse_header(const char *s, size_t n, header_t *h, const char **err)
{
    jp_t p;
    p.s = s;
    p.n = n;
    p.i = 0;
    p.err = NULL;
    memset(h, 0, sizeof *h);

    jp_ws(&p);
    if (p.i >= p.n || p.s[p.i] != '{') {
        *err = "header is not a JSON object";
        return 0;
    }
    p.i++;
    jp_ws(&p);
    if (p.i < p.n && p.s[p.i] == '}') {
        p.i++;
    } else {
        for (;;) {
            char key[32];
            int key_trunc = 0;
            jp_ws(&p);
            if (!jp_string(&p, key, sizeof key, &key_trunc))
                goto bad;
            if (key_trunc)
                key[0] = '\0'; /* a long key is none of ours */
            jp_ws(&p);
            if (p.i >= p.n || p.s[p.i] != ':') {
                jp_fail(&p, "expected ':'");
                goto bad;
            }
            p.i++;
            jp_ws(&p);
            if (p.i >= p.n) {
                jp_fail(&p, "unexpected end of JSON");
                goto bad;
            }
            /* Duplicate keys: the last one wins. */
            if (strcmp(key, "type") == 0 && p.s[p.i] == '"') {
                if (!jp_string(&p, h->type, sizeof h->type, &h->type_too_long))
                    goto bad;
                h->has_type = 1;
            } else if (strcmp(key, "dtype") == 0 && p.s[p.i] == '"') {
                if (!jp_string(&p, h->dtype, sizeof h->dtype, &h->dtype_too_long))
                    goto bad;
                h->has_dtype = 1;
            } else if (strcmp(key, "id") == 0 && is_number_start(p.s[p.i])) {
                size_t a, b;
                if (!jp_number(&p, &a, &b))
                    goto bad;
                if (b < sizeof h->id_text) {
                    memcpy(h->id_text, p.s + a, b);
                    h->id_text[b] = '\0';
                    h->has_id = 1;
                } else {
                    h->has_id = 0;
                }
            } else if (strcmp(key, "protocol") == 0) {
                h->has_protocol = 1;
                if (is_number_start(p.s[p.i])) {
                    size_t a, b;
                    if (!jp_number(&p, &a, &b))
                        goto bad;
                    h->protocol = number_value(&p, a, b);
                    h->protocol_is_number = 1;
                } else {
                    h->protocol_is_number = 0;
                    if (!jp_value(&p, 1))
                        goto bad;
                }
            } else if (strcmp(key, "shape") == 0) {
                if (!jp_shape(&p, h))
                    goto bad;
            } else {
                if (strcmp(key, "type") == 0) {
                    h->has_type = 1; /* present but not a string */
                    h->type[0] = '\0';
                    h->type_too_long = 1;
                }
                if (!jp_value(&p, 1))
                    goto bad;
            }
            jp_ws(&p);
            if (p.i < p.n && p.s[p.i] == ',') {
                p.i++;
                continue;
            }
            if (p.i < p.n && p.s[p.i] == '}') {
                p.i++;
                break;
            }
            jp_fail(&p, "expected ',' or '}'");
            goto bad;
        }
    }
    jp_ws(&p);
    if (p.i != p.n) {
        *err = "trailing bytes after the JSON object";
        return 0;
    }
    return 1;
bad:
    *err = p.err ? p.err : "malformed JSON";
    return 0;
}

/* ------------------------------------------------------------------ */
/* replies                                                              */

/* Escapes msg as a JSON string body (ASCII-safe). */
static void json_escape(char *out, size_t cap, const char *msg)
{
    size_t o = 0;
    const unsigned char *m = (const unsigned char *)msg;
    if (cap == 0)
        return;
    for (; *m && o + 7 < cap; m++) {
        unsigned char c = *m;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7F) {
            o += (size_t)sprintf(out + o, "\\u%04x", (unsigned)c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

static void send_error(const header_t *h, const char *fmt, ...)
{
    char msg[512], esc[3100], hdr[3300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_escape(esc, sizeof esc, msg);
    if (h && h->has_id)
        snprintf(hdr, sizeof hdr, "{\"type\":\"error\",\"id\":%s,\"message\":\"%s\"}",
                 h->id_text, esc);
    else
        snprintf(hdr, sizeof hdr, "{\"type\":\"error\",\"message\":\"%s\"}", esc);
    logmsg("answering error: %s", msg);
    write_frame(hdr, NULL, 0);
}

static void send_hello(void)
{
    char hdr[512];
    snprintf(hdr, sizeof hdr,
             "{\"type\":\"hello\",\"protocol\":1,\"name\":\"%s\","
             "\"labels\":[\"female\",\"male\"],"
             "\"input\":{\"height\":%d,\"width\":%d,\"channels\":%d,"
             "\"normalization\":\"unit\"}}",
             PLUGIN_NAME, IN_H, IN_W, IN_C);
    write_frame(hdr, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* the model                                                            */

static double sigmoid(double z)
{
    if (z >= 0.0) {
        double e = exp(-z);
        return 1.0 / (1.0 + e);
    } else {
        double e = exp(z);
        return e / (1.0 + e);
    }
}

/* Scores one image (H*W*C little-endian float32 at px). Returns 0 if a
 * pixel is not finite. */
static int score_image(const unsigned char *px, double *p_male)
{
    double sum_r = 0.0, sum_b = 0.0;
    size_t k, npix = (size_t)IN_H * IN_W;
    for (k = 0; k < npix; k++) {
        float r = get_f32le(px + (k * IN_C + 0) * 4);
        float g = get_f32le(px + (k * IN_C + 1) * 4);
        float b = get_f32le(px + (k * IN_C + 2) * 4);
        if (!isfinite(r) || !isfinite(g) || !isfinite(b))
            return 0;
        sum_r += r;
        sum_b += b;
    }
    *p_male = sigmoid(GAIN * ((sum_r - sum_b) / (double)npix - OFFSET));
    return 1;
}

static void handle_predict(const header_t *h, const unsigned char *body, uint64_t body_len)
{
    uint64_t n, per_image, expected, i;
    unsigned char *out;
    char hdr[160];

    if (!h->has_id) {
        send_error(h, "predict needs a numeric \"id\"");
        return;
    }
    if (h->has_dtype && (h->dtype_too_long || strcmp(h->dtype, "float32") != 0)) {
        send_error(h, "unsupported dtype \"%s\" (only float32)", h->dtype);
        return;
    }
    if (!h->has_shape || !h->shape_ok || h->shape_len != 4) {
        send_error(h, "\"shape\" must be [N, H, W, C] of non-negative integers");
        return;
    }
    if (h->shape[1] != IN_H || h->shape[2] != IN_W || h->shape[3] != IN_C) {
        send_error(h, "expected images of %dx%dx%d (HxWxC), got shape [%llu, %llu, %llu, %llu]",
                   IN_H, IN_W, IN_C, (unsigned long long)h->shape[0],
                   (unsigned long long)h->shape[1], (unsigned long long)h->shape[2],
                   (unsigned long long)h->shape[3]);
        return;
    }
    n = h->shape[0];
    per_image = (uint64_t)IN_H * IN_W * IN_C * 4;
    if (n > ((uint64_t)MAX_FRAME) / per_image + 1) {
        send_error(h, "batch of %llu images cannot fit in a frame", (unsigned long long)n);
        return;
    }
    expected = n * per_image;
    if (body_len != expected) {
        send_error(h, "body is %llu bytes, shape [%llu, %d, %d, %d] float32 needs %llu",
                   (unsigned long long)body_len, (unsigned long long)n, IN_H, IN_W, IN_C,
                   (unsigned long long)expected);
        return;
    }

    out = (unsigned char *)malloc(n > 0 ? (size_t)(n * N_LABELS * 4) : 1);
    if (!out) {
        send_error(h, "out of memory for %llu results", (unsigned long long)n);
        return;
    }
    for (i = 0; i < n; i++) {
        double p;
        float pm, pf;
        if (!score_image(body + i * per_image, &p)) {
            free(out);
            send_error(h, "image %llu of the batch has a non-finite pixel value",
                       (unsigned long long)i);
            return;
        }
        pm = (float)p;
        pf = (float)(1.0 - p);
        put_f32le(out + (i * N_LABELS + 0) * 4, pf);
        put_f32le(out + (i * N_LABELS + 1) * 4, pm);
    }
    snprintf(hdr, sizeof hdr,
             "{\"type\":\"result\",\"id\":%s,\"shape\":[%llu,%d],\"dtype\":\"float32\"}",
             h->id_text, (unsigned long long)n, N_LABELS);
    write_frame(hdr, out, (size_t)(n * N_LABELS * 4));
    free(out);
}

/* ------------------------------------------------------------------ */
/* main loop                                                            */

int main(void)
{
    unsigned long frames = 0;
#ifdef SIGPIPE
    /* A vanished reader makes fwrite fail instead of killing us silently. */
    signal(SIGPIPE, SIG_IGN);
#endif
    logmsg("started (protocol 1, %dx%dx%d, labels female/male)", IN_H, IN_W, IN_C);

    for (;;) {
        unsigned char pre[8];
        uint32_t L, J;
        unsigned char *buf;
        header_t h;
        const char *err = NULL;
        long r = read_exact(pre, 4);

        if (r == 0) {
            logmsg("end of input after %lu frames; exiting", frames);
            return 0;
        }
        if (r < 0) {
            logmsg("input ended inside a frame prefix; exiting");
            return 0;
        }
        L = get_u32le(pre);
        if (L < 4 || L > MAX_FRAME) {
            /* Keep in step with the stream: consume the announced bytes. */
            if (skip_bytes(L) < 0) {
                logmsg("input ended inside a bad frame; exiting");
                return 0;
            }
            send_error(NULL, "bad frame length %lu (must be 4..%lu)", (unsigned long)L,
                       (unsigned long)MAX_FRAME);
            continue;
        }
        if (read_exact(pre + 4, 4) != 1) {
            logmsg("input ended inside a frame prefix; exiting");
            return 0;
        }
        J = get_u32le(pre + 4);
        frames++;
        if (J > L - 4 || J > MAX_HEADER) {
            if (skip_bytes((uint64_t)L - 4) < 0) {
                logmsg("input ended inside a frame; exiting");
                return 0;
            }
            send_error(NULL, "bad header length %lu in a frame of %lu bytes", (unsigned long)J,
                       (unsigned long)L);
            continue;
        }
        buf = (unsigned char *)malloc((size_t)(L - 4) + 1);
        if (!buf) {
            if (skip_bytes((uint64_t)L - 4) < 0)
                return 0;
            send_error(NULL, "out of memory for a %lu-byte frame", (unsigned long)L);
            continue;
        }
        if ((L - 4 > 0) && read_exact(buf, (size_t)(L - 4)) != 1) {
            free(buf);
            logmsg("input ended inside a frame; exiting");
            return 0;
        }

        if (!parse_header((const char *)buf, J, &h, &err)) {
            send_error(NULL, "bad JSON header: %s", err);
            free(buf);
            continue;
        }
        if (!h.has_type || h.type_too_long) {
            send_error(&h, "header has no \"type\" string");
        } else if (strcmp(h.type, "hello") == 0) {
            if (!h.has_protocol || !h.protocol_is_number)
                send_error(&h, "hello without a numeric \"protocol\"; this plugin speaks protocol 1");
            else if (h.protocol != 1.0)
                send_error(&h, "protocol %g is not supported; this plugin speaks protocol 1",
                           h.protocol);
            else
                send_hello();
        } else if (strcmp(h.type, "predict") == 0) {
            handle_predict(&h, buf + J, (uint64_t)(L - 4 - J));
        } else if (strcmp(h.type, "shutdown") == 0) {
            free(buf);
            logmsg("shutdown after %lu frames", frames);
            return 0;
        } else {
            send_error(&h, "unknown message type \"%s\"", h.type);
        }
        free(buf);
    }
}
