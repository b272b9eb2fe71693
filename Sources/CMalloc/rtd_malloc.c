#include "rtd_malloc.h"
#include <stdlib.h> // defines __GLIBC__ on glibc systems
#if defined(__GLIBC__)
#include <malloc.h>
int rtd_malloc_trim(void) { return malloc_trim(0); }
#else
int rtd_malloc_trim(void) { return 0; }
#endif
