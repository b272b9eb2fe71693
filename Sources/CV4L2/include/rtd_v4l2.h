#ifndef RTD_V4L2_H
#define RTD_V4L2_H
#include <linux/videodev2.h>
#include <stddef.h>

// ioctl(2) is variadic and the VIDIOC_* request codes are _IOWR() macros: Swift can call neither.
int rtd_v4l2_ioctl(int fd, unsigned long request, void *arg);
void *rtd_v4l2_mmap(int fd, size_t length, long offset);
int rtd_v4l2_munmap(void *addr, size_t length);

extern const unsigned long RTD_VIDIOC_QUERYCAP;
extern const unsigned long RTD_VIDIOC_ENUM_FMT;
extern const unsigned long RTD_VIDIOC_ENUM_FRAMESIZES;
extern const unsigned long RTD_VIDIOC_ENUM_FRAMEINTERVALS;
extern const unsigned long RTD_VIDIOC_G_FMT;
extern const unsigned long RTD_VIDIOC_S_FMT;
extern const unsigned long RTD_VIDIOC_G_PARM;
extern const unsigned long RTD_VIDIOC_S_PARM;
extern const unsigned long RTD_VIDIOC_REQBUFS;
extern const unsigned long RTD_VIDIOC_QUERYBUF;
extern const unsigned long RTD_VIDIOC_QBUF;
extern const unsigned long RTD_VIDIOC_DQBUF;
extern const unsigned long RTD_VIDIOC_STREAMON;
extern const unsigned long RTD_VIDIOC_STREAMOFF;
#endif
