#ifndef RTD_COPENSSL_SHIM_H
#define RTD_COPENSSL_SHIM_H
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* The TLS client settings are macros (SSL_CTX_ctrl, SSL_OP_BIT), which Swift cannot call. */
static inline int rtd_tls_ctx_setup(SSL_CTX *ctx) {
    /* The socket is non-blocking: a retried SSL_write may come with a buffer Swift has moved. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Many HTTP servers close without close_notify; replies are delimited by Content-Length or
       chunking anyway, so an EOF reads as the end rather than an error. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

static inline int rtd_tls_set_sni(SSL *ssl, const char *host_name) {
    return (int)SSL_set_tlsext_host_name(ssl, host_name);
}
#endif
