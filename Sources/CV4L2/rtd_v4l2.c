#include "rtd_v4l2.h"
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

int rtd_v4l2_ioctl(int fd, unsigned long request, void *arg) {
    int r;
    do { r = ioctl(fd, request, arg); } while (r == -1 && errno == EINTR);
    return r;
}

void *rtd_v4l2_mmap(int fd, size_t length, long offset) {
    void *p = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
    return p == MAP_FAILED ? NULL : p;
}

int rtd_v4l2_munmap(void *addr, size_t length) { return munmap(addr, length); }

const unsigned long RTD_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
const unsigned long RTD_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
const unsigned long RTD_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
const unsigned long RTD_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;
const unsigned long RTD_VIDIOC_G_FMT = VIDIOC_G_FMT;
const unsigned long RTD_VIDIOC_S_FMT = VIDIOC_S_FMT;
const unsigned long RTD_VIDIOC_G_PARM = VIDIOC_G_PARM;
const unsigned long RTD_VIDIOC_S_PARM = VIDIOC_S_PARM;
const unsigned long RTD_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
const unsigned long RTD_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
const unsigned long RTD_VIDIOC_QBUF = VIDIOC_QBUF;
const unsigned long RTD_VIDIOC_DQBUF = VIDIOC_DQBUF;
const unsigned long RTD_VIDIOC_STREAMON = VIDIOC_STREAMON;
const unsigned long RTD_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;
