/*
 * rtd_dtls.h — a small datagram-driven DTLS 1.2 engine over OpenSSL 3, for WebRTC.
 *
 * Only plain C types cross this header so Swift never sees OpenSSL. C is used where Swift
 * cannot call OpenSSL directly: the datagram BIO (keeps packet boundaries, no sockets), the
 * certificate-verify, timer and info callbacks, and function-like macros (DTLSv1_get_timeout,
 * SSL_set_mtu, EVP_EC_gen, SSL_OP_* …).
 *
 * Threading: an rtd_dtls is not thread-safe; the caller serialises all calls on one object.
 * An rtd_dtls_cert is immutable after creation and may be shared between threads and transports.
 */
#ifndef RTD_DTLS_H
#define RTD_DTLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Certificates ------------------------------------------------------------------------- */

typedef struct rtd_dtls_cert rtd_dtls_cert;

/// A self-signed ECDSA P-256 certificate (random 63-bit serial, CN = common_name, valid from
/// one day ago to valid_days from now, signed with SHA-256). On failure returns NULL and
/// writes a message to err.
rtd_dtls_cert *rtd_dtls_cert_generate(const char *common_name, int valid_days, char *err, size_t err_len);

/// Parses a PEM certificate and its (unencrypted) PEM private key and checks they belong together.
rtd_dtls_cert *rtd_dtls_cert_from_pem(const char *cert_pem, size_t cert_len,
                                      const char *key_pem, size_t key_len,
                                      char *err, size_t err_len);

void rtd_dtls_cert_free(rtd_dtls_cert *cert);

/// Digest of the DER certificate with the OpenSSL digest `digest_name` ("SHA256", …).
/// Returns the digest length, or 0 on failure or when out_cap is too small.
size_t rtd_dtls_cert_fingerprint(const rtd_dtls_cert *cert, const char *digest_name,
                                 uint8_t *out, size_t out_cap);

/// PEM text of the certificate (private_key == 0) or of the unencrypted PKCS#8 key (!= 0).
/// Returns the full length; copies only when out_cap is large enough (call with NULL to size).
/// Returns 0 on failure.
size_t rtd_dtls_cert_pem(const rtd_dtls_cert *cert, int private_key, char *out, size_t out_cap);

/* ---- Transport ---------------------------------------------------------------------------- */

typedef struct rtd_dtls rtd_dtls;

typedef struct rtd_dtls_config {
    int is_server;                    /* 1: waits for ClientHello; 0: sends it on the first handshake step */
    const char *srtp_profiles;        /* OpenSSL use_srtp list, in preference order */
    int mtu;                          /* largest datagram written */
    unsigned initial_timeout_us;      /* first retransmission timeout (0: 1 s); doubles up to 60 s */
    const char *fingerprint_digest;   /* OpenSSL digest name of the expected peer fingerprint */
    const uint8_t *fingerprint;       /* expected digest of the peer's leaf certificate */
    size_t fingerprint_len;
} rtd_dtls_config;

enum {
    RTD_DTLS_AGAIN = 0,     /* needs more datagrams (or a timeout) */
    RTD_DTLS_DONE = 1,      /* handshake complete */
    RTD_DTLS_FAILED = -1,   /* fatal; rtd_dtls_error() says why; queued datagrams may hold an alert */
    RTD_DTLS_CLOSED = -2    /* the peer sent close_notify */
};

rtd_dtls *rtd_dtls_new(const rtd_dtls_cert *cert, const rtd_dtls_config *config, char *err, size_t err_len);
void rtd_dtls_free(rtd_dtls *t);

/// Lends one received datagram to the engine until the next call with NULL; the engine reads it
/// at most once during the following rtd_dtls_handshake/rtd_dtls_read calls.
void rtd_dtls_set_input(rtd_dtls *t, const uint8_t *datagram, size_t len);

/// Advances the handshake: RTD_DTLS_AGAIN, RTD_DTLS_DONE or RTD_DTLS_FAILED.
int rtd_dtls_handshake(rtd_dtls *t);

/// Reads decrypted application data: > 0 bytes copied, RTD_DTLS_AGAIN (nothing more),
/// RTD_DTLS_CLOSED or RTD_DTLS_FAILED.
int rtd_dtls_read(rtd_dtls *t, uint8_t *out, size_t out_cap);

/// Encrypts one record of application data: len on success, RTD_DTLS_FAILED otherwise.
int rtd_dtls_write(rtd_dtls *t, const uint8_t *data, size_t len);

/// Queues a close_notify alert (only meaningful after the handshake).
void rtd_dtls_shutdown(rtd_dtls *t);

/// Outgoing datagrams, oldest first. next_size is 0 when the queue is empty.
size_t rtd_dtls_next_datagram_size(const rtd_dtls *t);
/// Removes the oldest datagram, copying up to out_cap bytes; returns the bytes copied.
size_t rtd_dtls_pop_datagram(rtd_dtls *t, uint8_t *out, size_t out_cap);

/// Microseconds until rtd_dtls_handle_timeout should be called, or -1 when no timer runs.
int64_t rtd_dtls_timeout_us(rtd_dtls *t);
/// 1: retransmitted, 0: timer had not expired, RTD_DTLS_FAILED: gave up (too many timeouts).
int rtd_dtls_handle_timeout(rtd_dtls *t);

/// After the handshake: negotiated use_srtp profile id (RFC 5764 §4.1.2), 0 if none.
int rtd_dtls_srtp_profile(rtd_dtls *t);
/// After the handshake: RFC 5764 §4.2 keying material ("EXTRACTOR-dtls_srtp"). 1 on success.
int rtd_dtls_export_srtp_keying_material(rtd_dtls *t, uint8_t *out, size_t len);
/// After the handshake: digest of the peer's leaf certificate; returns its length or 0.
size_t rtd_dtls_peer_fingerprint(rtd_dtls *t, const char *digest_name, uint8_t *out, size_t out_cap);
/// Digest of a peer certificate rejected for not matching the expected fingerprint; 0 if none.
size_t rtd_dtls_rejected_fingerprint(const rtd_dtls *t, uint8_t *out, size_t out_cap);
/// After the handshake: largest application payload that fits one datagram at the MTU.
size_t rtd_dtls_max_app_data(rtd_dtls *t);
/// After the handshake: negotiated cipher suite name (static string), or NULL.
const char *rtd_dtls_cipher_name(rtd_dtls *t);
/// Description of the last failure (never NULL, empty when none).
const char *rtd_dtls_error(const rtd_dtls *t);

#ifdef __cplusplus
}
#endif
#endif
