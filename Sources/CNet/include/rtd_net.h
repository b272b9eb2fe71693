#ifndef RTD_NET_H
#define RTD_NET_H
#include <stddef.h>
#include <sys/socket.h>

/* sendmmsg over caller-owned buffers: glibc declares struct mmsghdr only under _GNU_SOURCE, which
   Swift's Glibc module does not see. */

/* Most messages one rtd_sendmmsg call takes, and most datagrams in all of them. */
#define RTD_MMSG_MAX 64
#define RTD_MMSG_DATAGRAMS_MAX 512

/* Sends up to `count` messages. Message i is segments[i] datagrams, consecutive in bases/lengths,
   to the name of its first datagram (names/namelens run parallel to bases). A message of more than
   one datagram goes as ONE UDP GSO write (a UDP_SEGMENT cmsg, gso_size = its first datagram's
   length), which the kernel (or the NIC) cuts into the datagrams again: the caller makes sure all
   but its last have that length. Stops early at RTD_MMSG_MAX messages, RTD_MMSG_DATAGRAMS_MAX
   datagrams, or a message of 0 datagrams. Returns how many messages the kernel took (>= 1), or
   -errno when the first of them failed. */
int rtd_sendmmsg(int fd, void *const *bases, const size_t *lengths, const struct sockaddr_storage *names,
                 const socklen_t *namelens, const unsigned short *segments, unsigned count);

/* 1 when the kernel knows UDP_SEGMENT on this socket (Linux 4.18+), else 0. Asked with getsockopt
   because an older kernel ignores the cmsg and would send a whole run as one datagram. */
int rtd_udp_gso_supported(int fd);

#endif
