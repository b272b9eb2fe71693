/*
 * rtd_dtls.c — see rtd_dtls.h. Plain OpenSSL 3.0 API; nothing here keeps global mutable state
 * except the BIO_METHOD, created once.
 */
#include "rtd_dtls.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/* ECDHE only (forward secrecy), AEAD first as browsers offer them. The ECDSA suites serve our own
 * certificate; the RSA ones only matter when we are the client of a peer with an RSA key. CBC-SHA is
 * the RFC 8827 mandatory-to-implement fallback. */
static const char k_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";
static const char k_groups[] = "X25519:P-256:P-384";
static const char k_srtp_label[] = "EXTRACTOR-dtls_srtp";
static const unsigned k_max_timeout_us = 60u * 1000u * 1000u;

struct rtd_dtls_cert {
    X509 *x509;
    EVP_PKEY *key;
};

typedef struct datagram {
    struct datagram *next;
    size_t len;
    unsigned char data[];
} datagram;

struct rtd_dtls {
    SSL_CTX *ctx;
    SSL *ssl;
    const unsigned char *in; /* borrowed from the caller between two rtd_dtls_set_input calls */
    size_t in_len;
    datagram *out_head, *out_tail;
    unsigned initial_timeout_us;
    const EVP_MD *fp_md;
    unsigned char fp[EVP_MAX_MD_SIZE];
    unsigned fp_len;
    unsigned char rejected_fp[EVP_MAX_MD_SIZE];
    unsigned rejected_fp_len;
    char alert[160];
    char error[512];
};

static void set_err(char *err, size_t err_len, const char *what) {
    if (err == NULL || err_len == 0) return;
    unsigned long code = ERR_get_error();
    const char *reason = code ? ERR_reason_error_string(code) : NULL;
    snprintf(err, err_len, "%s%s%s", what, reason ? ": " : "", reason ? reason : "");
    ERR_clear_error();
}

/* ---- Certificates ------------------------------------------------------------------------- */

/* Wraps a certificate and its key; on success takes both (the caller's pointers become NULL),
   on failure leaves them to the caller to free. */
static rtd_dtls_cert *cert_adopt(X509 **x, EVP_PKEY **key, char *err, size_t err_len) {
    rtd_dtls_cert *cert = malloc(sizeof *cert);
    if (cert == NULL) {
        set_err(err, err_len, "out of memory");
        return NULL;
    }
    cert->x509 = *x;
    cert->key = *key;
    *x = NULL;
    *key = NULL;
    return cert;
}

rtd_dtls_cert *rtd_dtls_cert_generate(const char *common_name, int valid_days, char *err, size_t err_len) {
    ERR_clear_error();
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIGNUM *serial = BN_new();
    rtd_dtls_cert *cert = NULL;
    if (key == NULL || x == NULL || serial == NULL) {
        set_err(err, err_len, "cannot create EC key or certificate");
        goto done;
    }
    X509_NAME *name = X509_get_subject_name(x);
    /* 63 random bits with the top one set: positive, never zero, no ASN.1 sign padding issues. */
    if (!X509_set_version(x, X509_VERSION_3)
        || !BN_rand(serial, 63, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY)
        || !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x))
        /* Backdated a day so a peer with a slightly wrong clock does not see "not yet valid". */
        || !X509_gmtime_adj(X509_getm_notBefore(x), -86400L)
        || !X509_gmtime_adj(X509_getm_notAfter(x), (long)valid_days * 86400L)
        || !X509_set_pubkey(x, key)
        || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0)
        || !X509_set_issuer_name(x, name)
        || !X509_sign(x, key, EVP_sha256())) {
        set_err(err, err_len, "cannot build self-signed certificate");
        goto done;
    }
    cert = cert_adopt(&x, &key, err, err_len);
done:
    BN_free(serial);
    X509_free(x);
    EVP_PKEY_free(key);
    return cert;
}

/* Never prompt on a terminal for an encrypted key: fail instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u) {
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

rtd_dtls_cert *rtd_dtls_cert_from_pem(const char *cert_pem, size_t cert_len,
                                      const char *key_pem, size_t key_len,
                                      char *err, size_t err_len) {
    ERR_clear_error();
    if (cert_len > INT_MAX || key_len > INT_MAX) {
        set_err(err, err_len, "PEM input too large");
        return NULL;
    }
    rtd_dtls_cert *cert = NULL;
    X509 *x = NULL;
    EVP_PKEY *key = NULL;
    BIO *cb = BIO_new_mem_buf(cert_pem, (int)cert_len);
    BIO *kb = BIO_new_mem_buf(key_pem, (int)key_len);
    if (cb == NULL || kb == NULL) {
        set_err(err, err_len, "out of memory");
        goto done;
    }
    if ((x = PEM_read_bio_X509(cb, NULL, no_passphrase, NULL)) == NULL) {
        set_err(err, err_len, "cannot parse PEM certificate");
        goto done;
    }
    if ((key = PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL)) == NULL) {
        set_err(err, err_len, "cannot parse PEM private key (encrypted keys are not supported)");
        goto done;
    }
    if (!X509_check_private_key(x, key)) {
        set_err(err, err_len, "private key does not match the certificate");
        goto done;
    }
    cert = cert_adopt(&x, &key, err, err_len);
done:
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(key);
    return cert;
}

void rtd_dtls_cert_free(rtd_dtls_cert *cert) {
    if (cert == NULL) return;
    X509_free(cert->x509);
    EVP_PKEY_free(cert->key);
    free(cert);
}

static size_t digest_of(X509 *x, const char *digest_name, uint8_t *out, size_t out_cap) {
    const EVP_MD *md = EVP_get_digestbyname(digest_name);
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (x == NULL || md == NULL || !X509_digest(x, md, buf, &len) || len > out_cap) return 0;
    memcpy(out, buf, len);
    return len;
}

size_t rtd_dtls_cert_fingerprint(const rtd_dtls_cert *cert, const char *digest_name, uint8_t *out, size_t out_cap) {
    return digest_of(cert->x509, digest_name, out, out_cap);
}

size_t rtd_dtls_cert_pem(const rtd_dtls_cert *cert, int private_key, char *out, size_t out_cap) {
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL) return 0;
    int ok = private_key
        ? PEM_write_bio_PrivateKey(b, cert->key, NULL, NULL, 0, NULL, NULL)
        : PEM_write_bio_X509(b, cert->x509);
    char *data = NULL;
    long n = ok ? BIO_get_mem_data(b, &data) : 0;
    size_t len = n > 0 ? (size_t)n : 0;
    if (out != NULL && len <= out_cap) memcpy(out, data, len);
    BIO_free(b);
    ERR_clear_error();
    return len;
}

/* ---- Datagram BIO ------------------------------------------------------------------------- */
/* A memory BIO would concatenate datagrams; this one keeps one BIO_write == one datagram (OpenSSL's
 * DTLS layer writes each datagram in a single call) and hands out one fed datagram per read. */

static int bio_create(BIO *b) {
    BIO_set_init(b, 1);
    return 1;
}

static int bio_write(BIO *b, const char *buf, int len) {
    rtd_dtls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (t == NULL || len <= 0) return len == 0 ? 0 : -1;
    datagram *d = malloc(sizeof *d + (size_t)len);
    if (d == NULL) return -1;
    d->next = NULL;
    d->len = (size_t)len;
    memcpy(d->data, buf, (size_t)len);
    if (t->out_tail) t->out_tail->next = d; else t->out_head = d;
    t->out_tail = d;
    return len;
}

static int bio_read(BIO *b, char *buf, int len) {
    rtd_dtls *t = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    /* Nothing to read is "try again", never EOF: an empty datagram would look like EOF too. */
    if (t == NULL || t->in == NULL || t->in_len == 0 || len <= 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    /* Like recv() on a short buffer, an oversized datagram is truncated (and then discarded as a
     * malformed record by the DTLS layer). */
    size_t n = t->in_len < (size_t)len ? t->in_len : (size_t)len;
    memcpy(buf, t->in, n);
    t->in = NULL;
    t->in_len = 0;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    (void)b; (void)num; (void)ptr;
    /* Flush must succeed; every datagram-socket query (MTU, peer, timeouts) answers "unknown",
     * which is why the MTU is set explicitly with SSL_OP_NO_QUERY_MTU. */
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static BIO_METHOD *g_bio_method;
static pthread_once_t g_bio_once = PTHREAD_ONCE_INIT;

static void bio_method_init(void) {
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rtd datagram");
    if (m == NULL) return;
    if (!BIO_meth_set_create(m, bio_create) || !BIO_meth_set_write(m, bio_write)
        || !BIO_meth_set_read(m, bio_read) || !BIO_meth_set_ctrl(m, bio_ctrl)) {
        BIO_meth_free(m);
        return;
    }
    g_bio_method = m;
}

/* ---- Callbacks ---------------------------------------------------------------------------- */

/* WebRTC certificates are self-signed: trust comes only from the SDP fingerprint, so every chain
 * error is ignored and the end-entity certificate is pinned instead. Checking here (not after the
 * handshake) makes OpenSSL send a fatal bad_certificate alert and stop before any key exists. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *store) {
    (void)preverify_ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    rtd_dtls *t = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (t == NULL || leaf == NULL || !X509_digest(leaf, t->fp_md, md, &len)) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
    if (len == t->fp_len && CRYPTO_memcmp(md, t->fp, len) == 0) {
        X509_STORE_CTX_set_error(store, X509_V_OK);
        return 1;
    }
    memcpy(t->rejected_fp, md, len);
    t->rejected_fp_len = len;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
}

/* Retransmission back-off: configurable first timeout (OpenSSL's fixed 1 s is slow for a lost
 * first flight on a LAN), doubling up to 60 s like OpenSSL's own. */
static unsigned int timer_cb(SSL *ssl, unsigned int previous_us) {
    rtd_dtls *t = SSL_get_app_data(ssl);
    if (previous_us == 0) return t->initial_timeout_us;
    return previous_us >= k_max_timeout_us / 2 ? k_max_timeout_us : previous_us * 2;
}

/* Remembers the last alert so a failure can say "received fatal alert: bad certificate". */
static void info_cb(const SSL *ssl, int where, int ret) {
    if (!(where & SSL_CB_ALERT)) return;
    rtd_dtls *t = SSL_get_app_data(ssl);
    snprintf(t->alert, sizeof t->alert, "%s %s alert: %s", (where & SSL_CB_READ) ? "received" : "sent",
             SSL_alert_type_string_long(ret), SSL_alert_desc_string_long(ret));
}

static void record_failure(rtd_dtls *t, const char *what) {
    unsigned long code = ERR_get_error();
    const char *reason = code ? ERR_reason_error_string(code) : NULL;
    snprintf(t->error, sizeof t->error, "%s%s%s%s%s%s", what, reason ? ": " : "", reason ? reason : "",
             t->alert[0] ? " (" : "", t->alert, t->alert[0] ? ")" : "");
    ERR_clear_error();
}

/* ---- Transport ---------------------------------------------------------------------------- */

rtd_dtls *rtd_dtls_new(const rtd_dtls_cert *cert, const rtd_dtls_config *cfg, char *err, size_t err_len) {
    ERR_clear_error();
    pthread_once(&g_bio_once, bio_method_init);
    if (g_bio_method == NULL) {
        set_err(err, err_len, "cannot create the datagram BIO method");
        return NULL;
    }
    rtd_dtls *t = calloc(1, sizeof *t);
    if (t == NULL) {
        set_err(err, err_len, "out of memory");
        return NULL;
    }
    t->initial_timeout_us = cfg->initial_timeout_us ? cfg->initial_timeout_us : 1000000u;
    t->fp_md = EVP_get_digestbyname(cfg->fingerprint_digest);
    if (t->fp_md == NULL || cfg->fingerprint_len != (size_t)EVP_MD_get_size(t->fp_md)) {
        set_err(err, err_len, "unsupported fingerprint digest or wrong fingerprint length");
        goto fail;
    }
    memcpy(t->fp, cfg->fingerprint, cfg->fingerprint_len);
    t->fp_len = (unsigned)cfg->fingerprint_len;

    if ((t->ctx = SSL_CTX_new(DTLS_method())) == NULL) {
        set_err(err, err_len, "SSL_CTX_new failed");
        goto fail;
    }
    /* No session cache or tickets: a resumed session would skip the certificate (and thus the
     * fingerprint check). No renegotiation: the certificate must not change mid-session. */
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    if (!SSL_CTX_set_min_proto_version(t->ctx, DTLS1_2_VERSION)
        || !SSL_CTX_set_max_proto_version(t->ctx, DTLS1_2_VERSION)
        || !SSL_CTX_set_cipher_list(t->ctx, k_ciphers)
        || !SSL_CTX_set1_groups_list(t->ctx, k_groups)) {
        set_err(err, err_len, "cannot configure DTLS 1.2 ciphers");
        goto fail;
    }
    if (!SSL_CTX_use_certificate(t->ctx, cert->x509) || !SSL_CTX_use_PrivateKey(t->ctx, cert->key)) {
        set_err(err, err_len, "cannot use the certificate");
        goto fail;
    }
    /* Unusually, this one returns 0 on success. */
    if (SSL_CTX_set_tlsext_use_srtp(t->ctx, cfg->srtp_profiles) != 0) {
        set_err(err, err_len, "unsupported SRTP profile list");
        goto fail;
    }
    if ((t->ssl = SSL_new(t->ctx)) == NULL) {
        set_err(err, err_len, "SSL_new failed");
        goto fail;
    }
    SSL_set_app_data(t->ssl, t);
    BIO *bio = BIO_new(g_bio_method);
    if (bio == NULL) {
        set_err(err, err_len, "cannot create the datagram BIO");
        goto fail;
    }
    BIO_set_data(bio, t);
    SSL_set_bio(t->ssl, bio, bio);
    if (!SSL_set_mtu(t->ssl, cfg->mtu)) {
        set_err(err, err_len, "MTU too small for DTLS");
        goto fail;
    }
    DTLS_set_timer_cb(t->ssl, timer_cb);
    SSL_set_info_callback(t->ssl, info_cb);
    if (cfg->is_server) SSL_set_accept_state(t->ssl); else SSL_set_connect_state(t->ssl);
    return t;
fail:
    rtd_dtls_free(t);
    return NULL;
}

void rtd_dtls_free(rtd_dtls *t) {
    if (t == NULL) return;
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    for (datagram *d = t->out_head; d != NULL;) {
        datagram *next = d->next;
        free(d);
        d = next;
    }
    OPENSSL_cleanse(t, sizeof *t);
    free(t);
}

void rtd_dtls_set_input(rtd_dtls *t, const uint8_t *datagram, size_t len) {
    t->in = datagram;
    t->in_len = datagram ? len : 0;
}

int rtd_dtls_handshake(rtd_dtls *t) {
    ERR_clear_error();
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) return RTD_DTLS_DONE;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return RTD_DTLS_AGAIN;
    record_failure(t, "DTLS handshake failed");
    return RTD_DTLS_FAILED;
}

int rtd_dtls_read(rtd_dtls *t, uint8_t *out, size_t out_cap) {
    ERR_clear_error();
    int r = SSL_read(t->ssl, out, out_cap > INT_MAX ? INT_MAX : (int)out_cap);
    if (r > 0) return r;
    switch (SSL_get_error(t->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return RTD_DTLS_AGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return RTD_DTLS_CLOSED;
    default:
        record_failure(t, "DTLS connection failed");
        return RTD_DTLS_FAILED;
    }
}

int rtd_dtls_write(rtd_dtls *t, const uint8_t *data, size_t len) {
    ERR_clear_error();
    if (len == 0 || len > INT_MAX) {
        snprintf(t->error, sizeof t->error, "DTLS write of %zu bytes is not possible", len);
        return RTD_DTLS_FAILED;
    }
    int r = SSL_write(t->ssl, data, (int)len);
    if (r > 0) return r;
    record_failure(t, "DTLS write failed");
    return RTD_DTLS_FAILED;
}

void rtd_dtls_shutdown(rtd_dtls *t) {
    SSL_shutdown(t->ssl);
    ERR_clear_error();
}

size_t rtd_dtls_next_datagram_size(const rtd_dtls *t) {
    return t->out_head ? t->out_head->len : 0;
}

size_t rtd_dtls_pop_datagram(rtd_dtls *t, uint8_t *out, size_t out_cap) {
    datagram *d = t->out_head;
    if (d == NULL) return 0;
    size_t n = d->len < out_cap ? d->len : out_cap;
    memcpy(out, d->data, n);
    t->out_head = d->next;
    if (t->out_head == NULL) t->out_tail = NULL;
    free(d);
    return n;
}

int64_t rtd_dtls_timeout_us(rtd_dtls *t) {
    struct timeval tv;
    if (DTLSv1_get_timeout(t->ssl, &tv) != 1) return -1;
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int rtd_dtls_handle_timeout(rtd_dtls *t) {
    ERR_clear_error();
    int r = DTLSv1_handle_timeout(t->ssl);
    if (r >= 0) return r;
    record_failure(t, "DTLS handshake timed out");
    return RTD_DTLS_FAILED;
}

int rtd_dtls_srtp_profile(rtd_dtls *t) {
    SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(t->ssl);
    return p ? (int)p->id : 0;
}

int rtd_dtls_export_srtp_keying_material(rtd_dtls *t, uint8_t *out, size_t len) {
    int ok = SSL_export_keying_material(t->ssl, out, len, k_srtp_label, sizeof k_srtp_label - 1, NULL, 0, 0);
    ERR_clear_error();
    return ok == 1;
}

size_t rtd_dtls_peer_fingerprint(rtd_dtls *t, const char *digest_name, uint8_t *out, size_t out_cap) {
    return digest_of(SSL_get0_peer_certificate(t->ssl), digest_name, out, out_cap);
}

size_t rtd_dtls_rejected_fingerprint(const rtd_dtls *t, uint8_t *out, size_t out_cap) {
    if (t->rejected_fp_len == 0 || t->rejected_fp_len > out_cap) return 0;
    memcpy(out, t->rejected_fp, t->rejected_fp_len);
    return t->rejected_fp_len;
}

size_t rtd_dtls_max_app_data(rtd_dtls *t) {
    return DTLS_get_data_mtu(t->ssl);
}

const char *rtd_dtls_cipher_name(rtd_dtls *t) {
    const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
    return c ? SSL_CIPHER_get_name(c) : NULL;
}

const char *rtd_dtls_error(const rtd_dtls *t) {
    return t->error;
}
