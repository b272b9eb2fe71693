#ifndef RTD_CFFMPEG_SHIM_H
#define RTD_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/error.h>
#include <libavutil/log.h>

// Error codes are macros built from FFERRTAG/AVERROR, which Swift cannot import.
static inline int rtd_averror_eof(void) { return AVERROR_EOF; }
static inline int rtd_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int rtd_averror_exit(void) { return AVERROR_EXIT; }
static inline int rtd_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int rtd_averror_enomem(void) { return AVERROR(ENOMEM); }
static inline long long rtd_av_nopts_value(void) { return (long long)AV_NOPTS_VALUE; }
#endif
