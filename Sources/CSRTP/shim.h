#ifndef RTD_CSRTP_SHIM_H
#define RTD_CSRTP_SHIM_H
/* libsrtp2 is called directly from Swift; this header only exists so the module map can find
 * <srtp2/srtp.h> on the include path instead of naming an absolute path. */
#include <srtp2/srtp.h>
#endif
