#ifndef RTD_MALLOC_H
#define RTD_MALLOC_H
// glibc's malloc_trim is not exported by Swift's Glibc module.
// Returns 1 when memory was released to the system, 0 otherwise (and 0 off glibc).
int rtd_malloc_trim(void);
#endif
