// OpenCV behind the C API of rtd_cv.h. Frames are wrapped, never copied, except for the one
// I420 -> BGR conversion a colour detector needs (cached per frame in rtd_image).
#include "rtd_cv.h"
#include "hog_people.hpp"

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/video/background_segm.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace {

char *dup_string(const std::string &s) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p) std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

void set_error(char **error, const std::string &message) {
    if (error) *error = dup_string(message);
}

// Runs body, turning any C++ exception into an error string and the fallback result, so no
// exception ever unwinds into Swift.
template <typename T, typename F>
T guarded(char **error, T fallback, F &&body) {
    try {
        return body();
    } catch (const cv::Exception &e) {
        // e.err is the bare reason; e.what() adds OpenCV's source file and line.
        set_error(error, e.err.empty() ? std::string(e.what()) : e.err);
    } catch (const std::exception &e) {
        set_error(error, e.what());
    } catch (...) {
        set_error(error, "unknown C++ exception");
    }
    return fallback;
}

cv::Rect clamp_rect(int x1, int y1, int x2, int y2, int width, int height) {
    x1 = std::clamp(x1, 0, width);
    x2 = std::clamp(x2, 0, width);
    y1 = std::clamp(y1, 0, height);
    y2 = std::clamp(y2, 0, height);
    return cv::Rect(x1, y1, x2 - x1, y2 - y1);
}

} // namespace

struct rtd_boxes {
    std::vector<rtd_box> items;
};

rtd_boxes *rtd_boxes_create(void) { return new (std::nothrow) rtd_boxes(); }
void rtd_boxes_destroy(rtd_boxes *boxes) { delete boxes; }
size_t rtd_boxes_count(const rtd_boxes *boxes) { return boxes->items.size(); }
const rtd_box *rtd_boxes_data(const rtd_boxes *boxes) { return boxes->items.data(); }

void rtd_cv_free_string(char *s) { std::free(s); }
void rtd_cv_set_num_threads(int n) { cv::setNumThreads(n); }

// ---------------------------------------------------------------------------------------------
// Frame wrapper

struct rtd_image {
    rtd_i420 src;
    cv::Mat gray;          // the Y plane itself
    cv::Mat bgr;           // empty until a colour detector asks
    std::vector<uint8_t> packed; // only for frames OpenCV's I420 converter cannot read in place

    const cv::Mat &colour() {
        if (!bgr.empty()) return bgr;
        const int w = src.width, h = src.height;
        const bool in_place = w % 2 == 0 && h % 2 == 0 && src.y_stride == w && src.uv_stride == w / 2 &&
                              src.u == src.y + size_t(w) * h && src.v == src.u + size_t(w / 2) * (h / 2);
        if (in_place) {
            cv::Mat yuv(h * 3 / 2, w, CV_8UC1, const_cast<uint8_t *>(src.y));
            cv::cvtColor(yuv, bgr, cv::COLOR_YUV2BGR_I420);
            return bgr;
        }
        // cvtColor wants even sizes and packed planes: pack into an even-sized buffer (last
        // column/row repeated), convert, and keep the w x h region.
        const int ew = (w + 1) & ~1, eh = (h + 1) & ~1, cw = ew / 2, ch = eh / 2;
        packed.assign(size_t(ew) * eh * 3 / 2, 0);
        cv::Mat py(eh, ew, CV_8UC1, packed.data());
        cv::copyMakeBorder(gray, py, 0, eh - h, 0, ew - w, cv::BORDER_REPLICATE);
        cv::Mat su(ch, cw, CV_8UC1, const_cast<uint8_t *>(src.u), size_t(src.uv_stride));
        cv::Mat sv(ch, cw, CV_8UC1, const_cast<uint8_t *>(src.v), size_t(src.uv_stride));
        su.copyTo(cv::Mat(ch, cw, CV_8UC1, packed.data() + size_t(ew) * eh));
        sv.copyTo(cv::Mat(ch, cw, CV_8UC1, packed.data() + size_t(ew) * eh + size_t(cw) * ch));
        cv::Mat full;
        cv::cvtColor(cv::Mat(eh * 3 / 2, ew, CV_8UC1, packed.data()), full, cv::COLOR_YUV2BGR_I420);
        bgr = full(cv::Rect(0, 0, w, h));
        return bgr;
    }
};

rtd_image *rtd_image_wrap(const rtd_i420 *frame, char **error) {
    return guarded<rtd_image *>(error, nullptr, [&]() -> rtd_image * {
        if (frame->width <= 0 || frame->height <= 0 || frame->y_stride < frame->width ||
            frame->uv_stride < (frame->width + 1) / 2) {
            throw std::invalid_argument("bad I420 geometry " + std::to_string(frame->width) + "x" +
                                        std::to_string(frame->height));
        }
        auto image = std::make_unique<rtd_image>();
        image->src = *frame;
        image->gray = cv::Mat(frame->height, frame->width, CV_8UC1, const_cast<uint8_t *>(frame->y),
                              size_t(frame->y_stride));
        return image.release();
    });
}

void rtd_image_release(rtd_image *image) { delete image; }

// ---------------------------------------------------------------------------------------------
// Motion (MOG2)

struct rtd_motion {
    rtd_motion_params params;
    cv::Ptr<cv::BackgroundSubtractorMOG2> mog;
    cv::Mat halves[2], small, mask, open_kernel, close_kernel;
    std::vector<std::vector<cv::Point>> contours;
    long frames = 0;
};

rtd_motion *rtd_motion_create(const rtd_motion_params *params, char **error) {
    return guarded<rtd_motion *>(error, nullptr, [&]() -> rtd_motion * {
        auto m = std::make_unique<rtd_motion>();
        m->params = *params;
        // Shadows off: the mask is then strictly 0/255, so no extra threshold pass is needed.
        m->mog = cv::createBackgroundSubtractorMOG2(params->history, params->var_threshold, false);
        if (params->open_kernel > 0)
            m->open_kernel = cv::getStructuringElement(cv::MORPH_RECT, {params->open_kernel, params->open_kernel});
        if (params->close_kernel > 0)
            m->close_kernel = cv::getStructuringElement(cv::MORPH_RECT, {params->close_kernel, params->close_kernel});
        return m.release();
    });
}

void rtd_motion_destroy(rtd_motion *m) { delete m; }

int rtd_motion_detect(rtd_motion *m, rtd_image *image, rtd_boxes *out, char **error) {
    out->items.clear();
    return guarded<int>(error, -1, [&]() -> int {
        const cv::Mat &gray = image->gray;
        const int w = gray.cols, h = gray.rows;
        const cv::Mat *input = &gray;
        double scale = 1.0; // processing pixels per frame pixel
        if (m->params.process_width > 0 && w > m->params.process_width) {
            scale = double(m->params.process_width) / w;
            const cv::Size target(m->params.process_width, std::max(1, int(std::lround(h * scale))));
            // Halved first while at least twice the target: INTER_AREA by exactly 2 has a vector
            // path, by other factors a scalar one (720p to 320 wide straight: 5.4M instructions a
            // frame, as much as MOG2 itself; halved twice: 0.7M). The same box average, up to rounding.
            for (int i = 0; input->cols >= 2 * target.width && input->rows >= 2 * target.height; i ^= 1) {
                cv::resize(*input, m->halves[i], cv::Size(input->cols / 2, input->rows / 2), 0, 0, cv::INTER_AREA);
                input = &m->halves[i];
            }
            if (input->size() != target) {
                cv::resize(*input, m->small, target, 0, 0, cv::INTER_AREA);
                input = &m->small;
            }
        }
        m->mog->apply(*input, m->mask);
        if (++m->frames <= m->params.warmup_frames) return 0;

        if (!m->open_kernel.empty()) cv::morphologyEx(m->mask, m->mask, cv::MORPH_OPEN, m->open_kernel);
        if (!m->close_kernel.empty()) cv::morphologyEx(m->mask, m->mask, cv::MORPH_CLOSE, m->close_kernel);
        cv::findContours(m->mask, m->contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);

        const double sx = double(w) / m->mask.cols, sy = double(h) / m->mask.rows;
        for (const auto &contour : m->contours) {
            const cv::Rect r = cv::boundingRect(contour);
            const cv::Rect box = clamp_rect(int(std::floor(r.x * sx)), int(std::floor(r.y * sy)),
                                            int(std::ceil((r.x + r.width) * sx)),
                                            int(std::ceil((r.y + r.height) * sy)), w, h);
            if (box.area() < m->params.min_area || box.area() == 0) continue;
            const double fill = double(cv::countNonZero(m->mask(r))) / r.area();
            out->items.push_back({box.x, box.y, box.width, box.height, fill, 0});
        }
        return int(out->items.size());
    });
}

// ---------------------------------------------------------------------------------------------
// HOG people

struct rtd_hog {
    rtd_hog_params params;
    cv::HOGDescriptor hog;
    rtd_hog_impl::PeopleDetector fast;
    std::vector<cv::Rect> found;
    std::vector<double> weights;

    bool uses_fast() const { return params.engine == RTD_HOG_RTD && params.win_stride % 8 == 0; }
    rtd_hog_impl::Settings settings() const {
        return {params.win_stride, params.padding, params.scale, params.hit_threshold};
    }
};

rtd_hog *rtd_hog_create(const rtd_hog_params *params, char **error) {
    return guarded<rtd_hog *>(error, nullptr, [&]() -> rtd_hog * {
        auto h = std::make_unique<rtd_hog>();
        h->params = *params;
        h->hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
        return h.release();
    });
}

void rtd_hog_destroy(rtd_hog *h) { delete h; }

int rtd_hog_detect(rtd_hog *h, rtd_image *image, rtd_boxes *out, char **error) {
    out->items.clear();
    return guarded<int>(error, -1, [&]() -> int {
        const auto &p = h->params;
        const cv::Mat &gray = image->gray;
        if (h->uses_fast()) {
            h->fast.detect_multiscale(gray, h->settings(), h->found, h->weights);
            // What detectMultiScale does after its pyramid: group, then clip to the frame.
            h->hog.groupRectangles(h->found, h->weights, int(p.group_threshold), 0.2);
            size_t kept = 0;
            for (size_t i = 0; i < h->found.size(); i++) {
                const cv::Rect r = h->found[i] & cv::Rect(0, 0, gray.cols, gray.rows);
                if (r.area() <= 0) continue;
                h->found[kept] = r;
                h->weights[kept++] = h->weights[i];
            }
            h->found.resize(kept);
            h->weights.resize(kept);
        } else {
            h->hog.detectMultiScale(gray, h->found, h->weights, p.hit_threshold, cv::Size(p.win_stride, p.win_stride),
                                    cv::Size(p.padding, p.padding), p.scale, p.group_threshold, false);
        }
        // The SVM margin is unbounded; a logistic maps it to (0,1) with 0.5 at the decision boundary.
        std::vector<float> scores;
        for (double wgt : h->weights) scores.push_back(float(1.0 / (1.0 + std::exp(-wgt))));
        // Grouping leaves nested boxes around one person; NMS keeps the strongest.
        std::vector<int> keep;
        cv::dnn::NMSBoxes(h->found, scores, 0.0f, p.nms_iou, keep);
        for (int i : keep) {
            const cv::Rect &r = h->found[size_t(i)];
            const cv::Rect box = clamp_rect(r.x, r.y, r.x + r.width, r.y + r.height, gray.cols, gray.rows);
            if (box.area() > 0) out->items.push_back({box.x, box.y, box.width, box.height, scores[size_t(i)], 0});
        }
        return int(out->items.size());
    });
}

int rtd_hog_window_scores(rtd_hog *h, rtd_image *image, double *scores, int capacity, char **error) {
    return guarded<int>(error, -1, [&]() -> int {
        const auto &p = h->params;
        std::vector<cv::Point> hits;
        std::vector<double> all;
        if (h->uses_fast()) {
            auto s = h->settings();
            s.hit_threshold = -std::numeric_limits<double>::infinity();
            h->fast.detect_level(image->gray, s, hits, all);
        } else {
            h->hog.detect(image->gray, hits, all, -std::numeric_limits<double>::max(),
                          cv::Size(p.win_stride, p.win_stride), cv::Size(p.padding, p.padding));
        }
        std::copy_n(all.begin(), std::min(all.size(), size_t(std::max(capacity, 0))), scores);
        return int(all.size());
    });
}

// ---------------------------------------------------------------------------------------------
// Haar cascade

struct rtd_haar {
    rtd_haar_params params;
    cv::CascadeClassifier cascade;
    std::vector<cv::Rect> found;
    std::vector<int> neighbours;
};

rtd_haar *rtd_haar_create(const char *cascade_path, const rtd_haar_params *params, char **error) {
    return guarded<rtd_haar *>(error, nullptr, [&]() -> rtd_haar * {
        auto h = std::make_unique<rtd_haar>();
        h->params = *params;
        const std::string failure = std::string("cannot load Haar cascade '") + cascade_path + "'";
        bool loaded = false;
        try {
            loaded = h->cascade.load(cascade_path);
        } catch (const cv::Exception &e) {
            throw std::runtime_error(failure + ": " + e.err);
        }
        if (!loaded) throw std::runtime_error(failure + " (not a cascade XML)");
        return h.release();
    });
}

void rtd_haar_destroy(rtd_haar *h) { delete h; }

int rtd_haar_detect(rtd_haar *h, rtd_image *image, rtd_boxes *out, char **error) {
    out->items.clear();
    return guarded<int>(error, -1, [&]() -> int {
        const auto &p = h->params;
        h->cascade.detectMultiScale(image->gray, h->found, h->neighbours, p.scale_factor, p.min_neighbors, 0,
                                    cv::Size(p.min_size, p.min_size));
        // A cascade gives no probability; the number of merged raw hits (neighbours) is its
        // evidence, mapped to n / (n + minNeighbors): always above 0.5 for a reported object.
        const double k = std::max(1, p.min_neighbors);
        for (size_t i = 0; i < h->found.size(); ++i) {
            const cv::Rect &r = h->found[i];
            const double n = i < h->neighbours.size() ? h->neighbours[i] : 0;
            out->items.push_back({r.x, r.y, r.width, r.height, float(n / (n + k)), 0});
        }
        return int(out->items.size());
    });
}

// ---------------------------------------------------------------------------------------------
// YOLO through cv::dnn

struct rtd_yolo {
    cv::dnn::Net net;
    int input_w = 0, input_h = 0;
    std::vector<cv::String> output_names;
    std::vector<cv::Mat> outputs;
    cv::Mat resized, letterboxed, blob;
};

namespace {

void run_net(rtd_yolo *y) {
    y->net.setInput(y->blob);
    y->net.forward(y->outputs, y->output_names);
    if (y->outputs.empty()) throw std::runtime_error("the model produced no output");
}

} // namespace

rtd_yolo *rtd_yolo_create(const uint8_t *model, size_t model_size, int input_w, int input_h, int *out_dims,
                          int *out_ndims, char **error) {
    return guarded<rtd_yolo *>(error, nullptr, [&]() -> rtd_yolo * {
        auto y = std::make_unique<rtd_yolo>();
        y->net = cv::dnn::readNetFromONNX(reinterpret_cast<const char *>(model), model_size);
        if (y->net.empty()) throw std::runtime_error("the model has no layers");
        y->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        y->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        y->input_w = input_w;
        y->input_h = input_h;
        y->output_names = y->net.getUnconnectedOutLayersNames();
        y->blob = cv::dnn::blobFromImage(cv::Mat(input_h, input_w, CV_8UC3, cv::Scalar::all(114)), 1.0 / 255.0,
                                         cv::Size(), cv::Scalar(), true, false);
        run_net(y.get());
        const cv::Mat &o = y->outputs[0];
        if (o.depth() != CV_32F) throw std::runtime_error("the model output is not float32");
        *out_ndims = std::min(o.dims, 8);
        for (int i = 0; i < *out_ndims; ++i) out_dims[i] = o.size[i];
        return y.release();
    });
}

void rtd_yolo_destroy(rtd_yolo *y) { delete y; }

int rtd_yolo_detect(rtd_yolo *y, rtd_image *image, rtd_yolo_layout layout, int num_classes, float conf_threshold,
                    float nms_iou, rtd_boxes *out, char **error) {
    out->items.clear();
    return guarded<int>(error, -1, [&]() -> int {
        const cv::Mat &bgr = image->colour();
        const int w = bgr.cols, h = bgr.rows;
        // Letterbox: scale to fit keeping the aspect ratio, centre, pad with grey 114.
        const double r = std::min(double(y->input_w) / w, double(y->input_h) / h);
        const int nw = std::max(1, int(std::lround(w * r))), nh = std::max(1, int(std::lround(h * r)));
        const int left = (y->input_w - nw) / 2, top = (y->input_h - nh) / 2;
        cv::resize(bgr, y->resized, cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
        cv::copyMakeBorder(y->resized, y->letterboxed, top, y->input_h - nh - top, left, y->input_w - nw - left,
                           cv::BORDER_CONSTANT, cv::Scalar::all(114));
        cv::dnn::blobFromImage(y->letterboxed, y->blob, 1.0 / 255.0, cv::Size(), cv::Scalar(), true, false);
        run_net(y);

        // Candidate i, attribute j: YOLOv5 stores candidates as rows, YOLOv8 as columns.
        const cv::Mat &o = y->outputs[0];
        const int a = o.size[o.dims - 2], b = o.size[o.dims - 1];
        const float *data = o.ptr<float>();
        const bool v8 = layout == RTD_YOLO_V8;
        const int candidates = v8 ? b : a, attributes = v8 ? a : b;
        const int first_class = v8 ? 4 : 5;
        if (attributes < first_class + num_classes) throw std::runtime_error("output has fewer classes than expected");
        auto at = [&](int i, int j) { return v8 ? data[size_t(j) * b + i] : data[size_t(i) * b + j]; };

        std::map<int, std::vector<cv::Rect2d>> boxes_by_class;
        std::map<int, std::vector<float>> scores_by_class;
        for (int i = 0; i < candidates; ++i) {
            const float objectness = v8 ? 1.0f : at(i, 4);
            if (objectness < conf_threshold) continue;
            int best = 0;
            float best_score = at(i, first_class);
            for (int c = 1; c < num_classes; ++c) {
                const float s = at(i, first_class + c);
                if (s > best_score) best_score = s, best = c;
            }
            const float score = objectness * best_score;
            if (score < conf_threshold) continue;
            const float cx = at(i, 0), cy = at(i, 1), bw = at(i, 2), bh = at(i, 3);
            // Undo the letterbox: model pixels -> frame pixels.
            const double x1 = (cx - bw / 2 - left) / r, y1 = (cy - bh / 2 - top) / r;
            const double x2 = (cx + bw / 2 - left) / r, y2 = (cy + bh / 2 - top) / r;
            boxes_by_class[best].emplace_back(x1, y1, x2 - x1, y2 - y1);
            scores_by_class[best].push_back(score);
        }
        // NMS per class, so overlapping objects of different classes both survive.
        for (auto &[cls, boxes] : boxes_by_class) {
            const auto &scores = scores_by_class[cls];
            std::vector<int> keep;
            // Scores are already thresholded (>= confidence); NMSBoxes' own test is a strict >
            // and must be >= 0, so pass 0 (only drops zero scores, kept only at confidence 0).
            cv::dnn::NMSBoxes(boxes, scores, 0.0f, nms_iou, keep);
            for (int k : keep) {
                const cv::Rect2d &kept = boxes[size_t(k)];
                const cv::Rect box = clamp_rect(int(std::lround(kept.x)), int(std::lround(kept.y)),
                                                int(std::lround(kept.x + kept.width)), int(std::lround(kept.y + kept.height)), w, h);
                if (box.area() > 0) out->items.push_back({box.x, box.y, box.width, box.height, scores[size_t(k)], cls});
            }
        }
        std::sort(out->items.begin(), out->items.end(),
                  [](const rtd_box &p, const rtd_box &q) { return p.score > q.score; });
        return int(out->items.size());
    });
}

// ---------------------------------------------------------------------------------------------
// Drawing

int rtd_draw_box(const rtd_i420_mut *f, int x, int y, int w, int h, uint8_t cy, uint8_t cu, uint8_t cv_,
                 const char *text, char **error) {
    return guarded<int>(error, -1, [&]() -> int {
        const int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
        cv::Mat Y(f->height, f->width, CV_8UC1, f->y, size_t(f->y_stride));
        cv::Mat U(ch, cw, CV_8UC1, f->u, size_t(f->uv_stride));
        cv::Mat V(ch, cw, CV_8UC1, f->v, size_t(f->uv_stride));
        // 2 px in luma is 1 px in the half-resolution chroma planes; the luma rectangle's outer
        // edge is aligned to even coordinates so both planes cover the same pixels.
        const int x0 = x & ~1, y0 = y & ~1;
        const int x1 = std::max(x0 + 2, (x + w) & ~1), y1 = std::max(y0 + 2, (y + h) & ~1);
        cv::rectangle(Y, cv::Rect(x0, y0, x1 - x0, y1 - y0), cv::Scalar(cy), 1);
        cv::rectangle(Y, cv::Rect(x0 + 1, y0 + 1, x1 - x0 - 2, y1 - y0 - 2), cv::Scalar(cy), 1);
        const cv::Rect chroma(x0 / 2, y0 / 2, (x1 - x0) / 2, (y1 - y0) / 2);
        cv::rectangle(U, chroma, cv::Scalar(cu), 1);
        cv::rectangle(V, chroma, cv::Scalar(cv_), 1);
        if (!text || !*text) return 0;

        const int font = cv::FONT_HERSHEY_SIMPLEX;
        const double font_scale = 0.45;
        int baseline = 0;
        const cv::Size ts = cv::getTextSize(text, font, font_scale, 1, &baseline);
        const int bar_h = (ts.height + baseline + 4 + 1) & ~1, bar_w = (ts.width + 4 + 1) & ~1;
        // Caption bar above the box, or inside its top edge when there is no room above.
        const int by = y0 >= bar_h ? y0 - bar_h : y0;
        const int bx = std::clamp(x0, 0, std::max(0, (f->width - bar_w) & ~1));
        const cv::Rect bar(bx, by, bar_w, bar_h);
        cv::rectangle(Y, bar, cv::Scalar(cy), cv::FILLED);
        cv::rectangle(U, cv::Rect(bx / 2, by / 2, bar_w / 2, bar_h / 2), cv::Scalar(cu), cv::FILLED);
        cv::rectangle(V, cv::Rect(bx / 2, by / 2, bar_w / 2, bar_h / 2), cv::Scalar(cv_), cv::FILLED);
        const uint8_t ink = cy > 128 ? 16 : 235;
        cv::putText(Y, text, cv::Point(bx + 2, by + 2 + ts.height), font, font_scale, cv::Scalar(ink), 1, cv::LINE_AA);
        return 0;
    });
}

int rtd_draw_label(const rtd_i420_mut *f, int x, int y, const char *text, char **error) {
    return guarded<int>(error, -1, [&]() -> int {
        if (!text || !*text) return 0;
        const int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
        cv::Mat Y(f->height, f->width, CV_8UC1, f->y, size_t(f->y_stride));
        cv::Mat U(ch, cw, CV_8UC1, f->u, size_t(f->uv_stride));
        cv::Mat V(ch, cw, CV_8UC1, f->v, size_t(f->uv_stride));
        const int font = cv::FONT_HERSHEY_SIMPLEX;
        const double font_scale = 0.5;
        int baseline = 0;
        const cv::Size ts = cv::getTextSize(text, font, font_scale, 1, &baseline);
        // Even coordinates so the bar covers the same pixels in luma and half-size chroma.
        const int bar_h = std::min(f->height & ~1, (ts.height + baseline + 6 + 1) & ~1);
        const int bar_w = std::min(f->width & ~1, (ts.width + 6 + 1) & ~1);
        const int bx = std::clamp(x & ~1, 0, std::max(0, (f->width - bar_w) & ~1));
        const int by = std::clamp((y - bar_h) & ~1, 0, std::max(0, (f->height - bar_h) & ~1));
        cv::rectangle(Y, cv::Rect(bx, by, bar_w, bar_h), cv::Scalar(16), cv::FILLED);
        cv::rectangle(U, cv::Rect(bx / 2, by / 2, bar_w / 2, bar_h / 2), cv::Scalar(128), cv::FILLED);
        cv::rectangle(V, cv::Rect(bx / 2, by / 2, bar_w / 2, bar_h / 2), cv::Scalar(128), cv::FILLED);
        cv::putText(Y, text, cv::Point(bx + 3, by + 3 + ts.height), font, font_scale, cv::Scalar(235), 1, cv::LINE_AA);
        return 0;
    });
}
