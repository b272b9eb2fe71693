#include "rtd_srtp.h"

#include <nss.h>

/* Debian builds libsrtp on NSS, and libsrtp opens an NSS context for every cipher it allocates
 * and shuts it down when it frees it. With no other context open, each of those loads NSS's
 * softokn and freebl modules again and reruns their self-tests (4-9 ms apiece, a dozen per peer:
 * tens of ms between DTLS connecting and the first packet, on the network loop). One context held
 * for the life of the process keeps the modules loaded, so later contexts only count references. */
srtp_err_status_t rtd_srtp_init(void) {
    static NSSInitContext *held;
    if (held == NULL) {
        held = NSS_InitContext("", "", "", "", NULL,
                               NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN
                               | NSS_INIT_NOROOTINIT | NSS_INIT_OPTIMIZESPACE);
    }
    return srtp_init();
}
