/* A stand-in for Tencent's chat-archive SDK (libWeWorkFinanceSdk_C.so) for the tests: the same
 * C functions and signatures, over a data file the test writes.
 *
 * WEWORK_STUB_DATA names the file: one chat item a line, "<seq>\t<the item's JSON>", in seq
 * order (each item as GetChatData returns it: seq, msgid, publickey_ver, encrypt_random_key,
 * encrypt_chat_msg). WEWORK_STUB_FAIL="<seq>:<errcode>" makes the first GetChatData from that
 * seq fail with the errcode (10001 network, 10002 bad data …). DecryptData takes the random key
 * (already RSA-decrypted by the caller) and reverses the test's cipher: base64, then XOR with
 * the key; a result that isn't JSON is 10008 (decrypt failure), as with a wrong key.
 *
 * GetMediaData serves the file WEWORK_STUB_MEDIA/<sdkfileid> in chunks of WEWORK_STUB_CHUNK
 * bytes (512 KB unset), the index buffer being the decimal offset of the next chunk; an
 * sdkfileid that names no file is 10005. WEWORK_STUB_MEDIA_FAIL=<errcode> fails every call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Slice_t { char *buf; int len; } Slice_t;
typedef struct WeWorkFinanceSdk_t { int ready; } WeWorkFinanceSdk_t;
typedef struct MediaData_t {
    char *outindexbuf; int out_len; char *data; int data_len; int is_finish;
} MediaData_t;

static int failed_once = 0;

WeWorkFinanceSdk_t *NewSdk(void) { return calloc(1, sizeof(WeWorkFinanceSdk_t)); }
void DestroySdk(WeWorkFinanceSdk_t *sdk) { free(sdk); }
Slice_t *NewSlice(void) { return calloc(1, sizeof(Slice_t)); }
void FreeSlice(Slice_t *s) { if (s) { free(s->buf); free(s); } }
char *GetContentFromSlice(Slice_t *s) { return s->buf; }
int GetSliceLen(Slice_t *s) { return s->len; }

int Init(WeWorkFinanceSdk_t *sdk, const char *corpid, const char *secret) {
    if (!sdk || !corpid || !*corpid || !secret || !*secret) return 10000;
    if (strcmp(secret, "wrong") == 0) return 10003;
    sdk->ready = 1;
    return 0;
}

static void put(Slice_t *s, const char *text, size_t n) {
    free(s->buf);
    s->buf = malloc(n + 1);
    memcpy(s->buf, text, n);
    s->buf[n] = 0;
    s->len = (int)n;
}

int GetChatData(WeWorkFinanceSdk_t *sdk, unsigned long long seq, unsigned int limit,
                const char *proxy, const char *passwd, int timeout, Slice_t *out) {
    (void)proxy; (void)passwd; (void)timeout;
    if (!sdk || !sdk->ready) return 10000;
    if (limit == 0 || limit > 1000) return 10000;
    const char *fail = getenv("WEWORK_STUB_FAIL");
    if (fail && !failed_once) {
        unsigned long long at = strtoull(fail, NULL, 10);
        const char *colon = strchr(fail, ':');
        if (colon && at == seq) { failed_once = 1; return atoi(colon + 1); }
    }
    FILE *f = fopen(getenv("WEWORK_STUB_DATA") ? getenv("WEWORK_STUB_DATA") : "", "r");
    if (!f) return 10001;
    size_t cap = 1 << 16, len = 0;
    char *json = malloc(cap);
    len += (size_t)sprintf(json, "{\"errcode\":0,\"errmsg\":\"ok\",\"chatdata\":[");
    char *line = NULL;
    size_t line_cap = 0;
    unsigned int count = 0;
    while (count < limit && getline(&line, &line_cap, f) > 0) {
        char *tab = strchr(line, '\t');
        if (!tab || strtoull(line, NULL, 10) <= seq) continue;
        char *item = tab + 1;
        size_t n = strcspn(item, "\r\n");
        while (len + n + 8 > cap) { cap *= 2; json = realloc(json, cap); }
        if (count) json[len++] = ',';
        memcpy(json + len, item, n);
        len += n;
        count++;
    }
    free(line);
    fclose(f);
    len += (size_t)sprintf(json + len, "]}");
    put(out, json, len);
    free(json);
    return 0;
}

static int b64(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int DecryptData(const char *key, const char *msg, Slice_t *out) {
    size_t klen = key ? strlen(key) : 0, mlen = msg ? strlen(msg) : 0;
    if (!klen || !mlen) return 10000;
    unsigned char *plain = malloc(mlen);
    size_t n = 0;
    int bits = 0, acc = 0;
    for (size_t i = 0; i < mlen; i++) {
        if (msg[i] == '=') break;
        int v = b64(msg[i]);
        if (v < 0) { free(plain); return 10002; }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) { bits -= 8; plain[n++] = (unsigned char)((acc >> bits) & 0xff); }
    }
    for (size_t i = 0; i < n; i++) plain[i] ^= (unsigned char)key[i % klen];
    if (n == 0 || plain[0] != '{') { free(plain); return 10008; }
    put(out, (char *)plain, n);
    free(plain);
    return 0;
}

MediaData_t *NewMediaData(void) { return calloc(1, sizeof(MediaData_t)); }
void FreeMediaData(MediaData_t *m) { if (m) { free(m->outindexbuf); free(m->data); free(m); } }
char *GetOutIndexBuf(MediaData_t *m) { return m->outindexbuf; }
char *GetData(MediaData_t *m) { return m->data; }
int GetIndexLen(MediaData_t *m) { return m->out_len; }
int GetDataLen(MediaData_t *m) { return m->data_len; }
int IsMediaDataFinish(MediaData_t *m) { return m->is_finish; }

int GetMediaData(WeWorkFinanceSdk_t *sdk, const char *indexbuf, const char *fileid,
                 const char *proxy, const char *passwd, int timeout, MediaData_t *m) {
    (void)proxy; (void)passwd; (void)timeout;
    if (!sdk || !sdk->ready || !fileid || !*fileid || !m) return 10000;
    const char *fail = getenv("WEWORK_STUB_MEDIA_FAIL");
    if (fail && *fail) return atoi(fail);
    if (strchr(fileid, '/') || strstr(fileid, "..")) return 10005;
    const char *dir = getenv("WEWORK_STUB_MEDIA") ? getenv("WEWORK_STUB_MEDIA") : ".";
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, fileid);
    FILE *f = fopen(path, "rb");
    if (!f) return 10005;
    long chunk = getenv("WEWORK_STUB_CHUNK") ? atol(getenv("WEWORK_STUB_CHUNK")) : 524288;
    long offset = indexbuf && *indexbuf ? atol(indexbuf) : 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, offset, SEEK_SET);
    long n = size - offset < chunk ? size - offset : chunk;
    if (n < 0) n = 0;
    free(m->data);
    m->data = malloc((size_t)n + 1);
    m->data_len = (int)fread(m->data, 1, (size_t)n, f);
    fclose(f);
    free(m->outindexbuf);
    m->outindexbuf = malloc(32);
    m->out_len = snprintf(m->outindexbuf, 32, "%ld", offset + m->data_len);
    m->is_finish = offset + m->data_len >= size;
    return 0;
}
