#ifndef RTD_SRTP_H
#define RTD_SRTP_H
/* libsrtp2 is called directly from Swift; this shim adds only its process-wide start-up. */
#include <srtp2/srtp.h>

/* srtp_init, once NSS is held open for the life of the process (see rtd_srtp.c). */
srtp_err_status_t rtd_srtp_init(void);

#endif
