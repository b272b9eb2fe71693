#ifndef RTD_SRTP_H
#define RTD_SRTP_H
/* libsrtp2 is called directly from Swift; this shim adds its process-wide start-up and a faster
   outbound AES-GCM. */
#include <srtp2/srtp.h>

/* srtp_init, once NSS is held open for the life of the process (see rtd_srtp.c). */
srtp_err_status_t rtd_srtp_init(void);

/* Outbound SRTP AEAD_AES_128_GCM on OpenSSL (rtd_srtp_gcm.c). */
typedef struct rtd_gcm_sender rtd_gcm_sender;
/* From the 16-byte master key and 12-byte master salt; NULL on failure. */
rtd_gcm_sender *rtd_gcm_sender_create(const uint8_t *master_key, const uint8_t *master_salt);
void rtd_gcm_sender_free(rtd_gcm_sender *sender);
/* Protects the RTP packet in place with rollover counter `roc`: returns the SRTP length (length + 16),
   or -1 for a malformed packet or too little capacity. */
int rtd_gcm_protect(rtd_gcm_sender *sender, uint8_t *packet, int length, int capacity, uint32_t roc);

#endif
