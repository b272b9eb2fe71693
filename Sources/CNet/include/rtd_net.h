#ifndef RTD_NET_H
#define RTD_NET_H
#include <stddef.h>
#include <sys/socket.h>

/* sendmmsg over caller-owned buffers: glibc declares struct mmsghdr only under _GNU_SOURCE, which
   Swift's Glibc module does not see. */

/* Sends up to `count` datagrams: bases[i]/lengths[i] to names[i] (namelens[i] bytes). Returns how
   many the kernel took (>= 1), or -errno when the first of them failed. */
int rtd_sendmmsg(int fd, void *const *bases, const size_t *lengths, const struct sockaddr_storage *names,
                 const socklen_t *namelens, unsigned count);

#endif
