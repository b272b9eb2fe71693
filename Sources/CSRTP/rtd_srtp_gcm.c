#include "rtd_srtp.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Outbound SRTP with AEAD_AES_128_GCM (RFC 7714) on OpenSSL's EVP, for the one hot path: every
 * RTP packet to every viewer. libsrtp's NSS backend sets up a PKCS#11 operation per packet, about
 * three times the cost of the cipher itself; here one EVP context per stream is keyed once and
 * each packet only sets its IV. RTCP and everything inbound stay with libsrtp. */

struct rtd_gcm_sender {
    EVP_CIPHER_CTX *ctx;
    uint8_t salt[12];
};

/* RFC 3711 §4.3: the AES-CM PRF keyed with the master key, x = (master salt XOR label at byte 7)
 * as a 14-byte value (the 96-bit AEAD salt padded with two zero bytes, as libsrtp does), * 2^16. */
static int derive(const uint8_t *master_key, const uint8_t *master_salt, uint8_t label, uint8_t *out, int length) {
    uint8_t iv[16] = {0}, zeros[16] = {0}, block[16];
    memcpy(iv, master_salt, 12);
    iv[7] ^= label;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0, ok = ctx != NULL
        && EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, master_key, iv) == 1
        && EVP_EncryptUpdate(ctx, block, &outl, zeros, 16) == 1 && outl == 16;
    EVP_CIPHER_CTX_free(ctx);
    if (ok) memcpy(out, block, (size_t)length);
    return ok;
}

rtd_gcm_sender *rtd_gcm_sender_create(const uint8_t *master_key, const uint8_t *master_salt) {
    uint8_t key[16];
    rtd_gcm_sender *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    s->ctx = EVP_CIPHER_CTX_new();
    if (s->ctx == NULL || !derive(master_key, master_salt, 0x00, key, 16) || !derive(master_key, master_salt, 0x02, s->salt, 12)
        || EVP_EncryptInit_ex(s->ctx, EVP_aes_128_gcm(), NULL, key, NULL) != 1) {
        rtd_gcm_sender_free(s);
        s = NULL;
    }
    memset(key, 0, sizeof key);
    return s;
}

void rtd_gcm_sender_free(rtd_gcm_sender *s) {
    if (s == NULL) return;
    EVP_CIPHER_CTX_free(s->ctx);
    memset(s, 0, sizeof *s);
    free(s);
}

int rtd_gcm_protect(rtd_gcm_sender *s, uint8_t *packet, int length, int capacity, uint32_t roc) {
    if (length < 12 || capacity < length + 16 || (packet[0] >> 6) != 2) return -1;
    int header = 12 + 4 * (packet[0] & 0x0f);
    if (packet[0] & 0x10) { /* header extension: 4-byte head, then its length in 32-bit words */
        if (length < header + 4) return -1;
        header += 4 + 4 * ((packet[header + 2] << 8) | packet[header + 3]);
    }
    if (header > length) return -1;
    /* RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt. */
    uint8_t iv[12] = {0, 0, packet[8], packet[9], packet[10], packet[11],
                      (uint8_t)(roc >> 24), (uint8_t)(roc >> 16), (uint8_t)(roc >> 8), (uint8_t)roc, packet[2], packet[3]};
    for (int i = 0; i < 12; i++) iv[i] ^= s->salt[i];
    int outl = 0, body = length - header;
    if (EVP_EncryptInit_ex(s->ctx, NULL, NULL, NULL, iv) != 1
        || EVP_EncryptUpdate(s->ctx, NULL, &outl, packet, header) != 1
        || (body > 0 && EVP_EncryptUpdate(s->ctx, packet + header, &outl, packet + header, body) != 1)
        || EVP_EncryptFinal_ex(s->ctx, packet + length, &outl) != 1
        || EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, 16, packet + length) != 1) return -1;
    return length + 16;
}
