#define _GNU_SOURCE
#include "rtd_net.h"
#include <errno.h>
#include <sys/uio.h>

#define RTD_MMSG_MAX 64

int rtd_sendmmsg(int fd, void *const *bases, const size_t *lengths, const struct sockaddr_storage *names,
                 const socklen_t *namelens, unsigned count) {
    struct mmsghdr msgs[RTD_MMSG_MAX];
    struct iovec iov[RTD_MMSG_MAX];
    if (count > RTD_MMSG_MAX) count = RTD_MMSG_MAX;
    for (unsigned i = 0; i < count; i++) {
        iov[i].iov_base = bases[i];
        iov[i].iov_len = lengths[i];
        msgs[i].msg_hdr = (struct msghdr){
            .msg_name = (void *)&names[i], .msg_namelen = namelens[i], .msg_iov = &iov[i], .msg_iovlen = 1};
        msgs[i].msg_len = 0;
    }
    int sent;
    do {
        sent = sendmmsg(fd, msgs, count, 0);
    } while (sent < 0 && errno == EINTR);
    return sent < 0 ? -errno : sent;
}
