#define _GNU_SOURCE
#include "rtd_net.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

int rtd_sendmmsg(int fd, void *const *bases, const size_t *lengths, const struct sockaddr_storage *names,
                 const socklen_t *namelens, const unsigned short *segments, unsigned count) {
    struct mmsghdr msgs[RTD_MMSG_MAX];
    struct iovec iov[RTD_MMSG_DATAGRAMS_MAX];
    /* One UDP_SEGMENT cmsg per message, aligned as the kernel reads it. */
    union {
        char bytes[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } control[RTD_MMSG_MAX];
    if (count > RTD_MMSG_MAX) count = RTD_MMSG_MAX;
    unsigned used = 0, n = 0;
    for (; n < count; n++) {
        unsigned k = segments[n];
        if (k == 0 || k > RTD_MMSG_DATAGRAMS_MAX - used) break;
        for (unsigned j = 0; j < k; j++) {
            iov[used + j].iov_base = bases[used + j];
            iov[used + j].iov_len = lengths[used + j];
        }
        msgs[n].msg_hdr = (struct msghdr){
            .msg_name = (void *)&names[used], .msg_namelen = namelens[used], .msg_iov = &iov[used], .msg_iovlen = k};
        if (k > 1) {
            memset(&control[n], 0, sizeof control[n]);
            msgs[n].msg_hdr.msg_control = control[n].bytes;
            msgs[n].msg_hdr.msg_controllen = sizeof control[n].bytes;
            struct cmsghdr *cm = CMSG_FIRSTHDR(&msgs[n].msg_hdr);
            cm->cmsg_level = SOL_UDP;
            cm->cmsg_type = UDP_SEGMENT;
            cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t size = (uint16_t)lengths[used];
            memcpy(CMSG_DATA(cm), &size, sizeof size);
        }
        msgs[n].msg_len = 0;
        used += k;
    }
    if (n == 0) return -EINVAL;
    int sent;
    do {
        sent = sendmmsg(fd, msgs, n, 0);
    } while (sent < 0 && errno == EINTR);
    return sent < 0 ? -errno : sent;
}

int rtd_udp_gso_supported(int fd) {
    int value = 0;
    socklen_t length = sizeof value;
    return getsockopt(fd, SOL_UDP, UDP_SEGMENT, &value, &length) == 0;
}
