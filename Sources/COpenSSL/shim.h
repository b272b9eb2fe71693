#ifndef RTD_COPENSSL_SHIM_H
#define RTD_COPENSSL_SHIM_H
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#endif
