// Plain C view of the OpenCV detectors used by rtd. No OpenCV type crosses this header, so Swift
// imports it without C++ interop. Every function catches C++ exceptions; failures are reported
// as a heap string in *error (free it with rtd_cv_free_string) and a NULL/negative result.
#ifndef RTD_CV_H
#define RTD_CV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One I420 frame as three planes with their strides (bytes per row). Not owned.
typedef struct {
    const uint8_t *y;
    const uint8_t *u;
    const uint8_t *v;
    int y_stride;
    int uv_stride;
    int width;
    int height;
} rtd_i420;

typedef struct {
    int x, y, w, h;
    double score;
    int class_id;
} rtd_box;

/// A growable list of boxes filled by the detectors; reused across frames to avoid allocations.
typedef struct rtd_boxes rtd_boxes;
rtd_boxes *rtd_boxes_create(void);
void rtd_boxes_destroy(rtd_boxes *boxes);
size_t rtd_boxes_count(const rtd_boxes *boxes);
const rtd_box *rtd_boxes_data(const rtd_boxes *boxes);

/// Wraps a frame's planes for the duration of one detect call (no pixel copy). A colour (BGR)
/// version is made lazily, at most once, the first time a detector asks for it.
typedef struct rtd_image rtd_image;
rtd_image *rtd_image_wrap(const rtd_i420 *frame, char **error);
void rtd_image_release(rtd_image *image);

void rtd_cv_free_string(char *s);
/// Process-wide OpenCV worker thread count (cv::setNumThreads); 0 or 1 = run on the caller's thread.
void rtd_cv_set_num_threads(int n);

// MOG2 motion
typedef struct {
    int history;
    double var_threshold;
    int process_width;   ///< frames wider than this are downscaled before background subtraction
    int min_area;        ///< in frame pixels
    int open_kernel;     ///< opening kernel size (removes speckle noise); 0 = none
    int close_kernel;    ///< closing kernel size (joins fragments of one object); 0 = none
    int warmup_frames;   ///< frames learned but not reported
} rtd_motion_params;
typedef struct rtd_motion rtd_motion;
rtd_motion *rtd_motion_create(const rtd_motion_params *params, char **error);
void rtd_motion_destroy(rtd_motion *m);
int rtd_motion_detect(rtd_motion *m, rtd_image *image, rtd_boxes *out, char **error);

// HOG people detector
typedef struct {
    int win_stride;      ///< pixels, both directions
    int padding;
    double scale;
    double hit_threshold;
    double group_threshold; ///< finalThreshold of detectMultiScale
    float nms_iou;
    int engine;          ///< RTD_HOG_RTD or RTD_HOG_OPENCV
} rtd_hog_params;
/// rtd's own implementation of the same detector (strides that are multiples of 8; other
/// strides use OpenCV's), or OpenCV's detectMultiScale itself (the reference it is tested against).
enum { RTD_HOG_RTD = 0, RTD_HOG_OPENCV = 1 };
typedef struct rtd_hog rtd_hog;
rtd_hog *rtd_hog_create(const rtd_hog_params *params, char **error);
void rtd_hog_destroy(rtd_hog *h);
int rtd_hog_detect(rtd_hog *h, rtd_image *image, rtd_boxes *out, char **error);
/// The SVM score of every window of the unscaled image, in raster order, by the detector's
/// engine (for comparing the engines). Returns the window count (at most `capacity` written), -1 on error.
int rtd_hog_window_scores(rtd_hog *h, rtd_image *image, double *scores, int capacity, char **error);

// Haar cascade
typedef struct {
    double scale_factor;
    int min_neighbors;
    int min_size;        ///< smallest object side in pixels
} rtd_haar_params;
typedef struct rtd_haar rtd_haar;
rtd_haar *rtd_haar_create(const char *cascade_path, const rtd_haar_params *params, char **error);
void rtd_haar_destroy(rtd_haar *h);
int rtd_haar_detect(rtd_haar *h, rtd_image *image, rtd_boxes *out, char **error);

// YOLO (ONNX through cv::dnn)
typedef enum { RTD_YOLO_V5 = 5, RTD_YOLO_V8 = 8 } rtd_yolo_layout;
typedef struct rtd_yolo rtd_yolo;
/// Loads the model from memory and runs it once on a blank input of input_w x input_h so that
/// the output shape is known (and checked by the caller) before the first frame.
/// out_dims receives the output shape (up to 8 entries), out_ndims its rank.
rtd_yolo *rtd_yolo_create(const uint8_t *model, size_t model_size, int input_w, int input_h,
                          int *out_dims, int *out_ndims, char **error);
void rtd_yolo_destroy(rtd_yolo *y);
/// Decodes with the given layout and class count (already validated against the shape),
/// keeps candidates with score >= conf_threshold, applies per-class NMS and maps boxes back
/// to frame pixels.
int rtd_yolo_detect(rtd_yolo *y, rtd_image *image, rtd_yolo_layout layout, int num_classes,
                    float conf_threshold, float nms_iou, rtd_boxes *out, char **error);

// Drawing onto a writable I420 frame (planes as in rtd_i420 but mutable).
typedef struct {
    uint8_t *y;
    uint8_t *u;
    uint8_t *v;
    int y_stride;
    int uv_stride;
    int width;
    int height;
} rtd_i420_mut;
/// Draws a 2 px rectangle in colour (y,u,v) and, when text is non-empty, a filled caption
/// bar above it (inside the frame) with the text in black or white, whichever reads better.
int rtd_draw_box(const rtd_i420_mut *frame, int x, int y, int w, int h,
                 uint8_t cy, uint8_t cu, uint8_t cv, const char *text, char **error);
/// Writes white text on a black bar whose bottom-left corner is at (x, y), kept inside the frame.
int rtd_draw_label(const rtd_i420_mut *frame, int x, int y, const char *text, char **error);

#ifdef __cplusplus
}
#endif

#endif
