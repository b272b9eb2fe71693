#include "hog_people.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Products and sums are rounded the way OpenCV's code rounds them: no fused multiply-adds
// except where written explicitly (the SVM dot products).
#pragma clang fp contract(off)

namespace rtd_hog_impl {
namespace {

constexpr int kBins = 9;
constexpr int kCell = 8;
constexpr int kBlock = 16;
constexpr int kBlockLen = 4 * kBins;                 // 36 floats
constexpr int kWinW = 64, kWinH = 128;
constexpr int kWinBlocksX = (kWinW - kBlock) / kCell + 1; // 7
constexpr int kWinBlocksY = (kWinH - kBlock) / kCell + 1; // 15
constexpr int kRowLen = kWinBlocksX * kBlockLen;     // 252 floats: one block row of a window
constexpr int kNLevels = 64;                         // HOGDescriptor::DEFAULT_NLEVELS

typedef float v4 __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));

inline v4 load4(const float *p) {
    v4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store4(float *p, v4 v) { std::memcpy(p, &v, sizeof v); }

// Scores of `n` (1...4) windows whose block rows start at rows[j] (each row 252 floats, the
// next row `stride` floats further), against the model rows.
void score_windows_generic(const float *const rows[4], int n, size_t stride, const float *weights,
                           float out[4]) {
    v4 acc[4] = {};
    for (int r = 0; r < kWinBlocksY; r++) {
        const float *w = weights + size_t(r) * kRowLen;
        for (int i = 0; i < kRowLen; i += 4) {
            const v4 wv = load4(w + i);
            for (int j = 0; j < n; j++) acc[j] += load4(rows[j] + r * stride + i) * wv;
        }
    }
    for (int j = 0; j < n; j++) out[j] = (acc[j][0] + acc[j][1]) + (acc[j][2] + acc[j][3]);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
void score_windows_avx2(const float *const rows[4], int n, size_t stride, const float *weights,
                        float out[4]) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m128 tail[4] = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
    for (int r = 0; r < kWinBlocksY; r++) {
        const float *w = weights + size_t(r) * kRowLen;
        const size_t off = r * stride;
        if (n == 4) {
            // The common case unrolled: one load of the weights serves four windows.
            const float *b0 = rows[0] + off, *b1 = rows[1] + off, *b2 = rows[2] + off, *b3 = rows[3] + off;
            int i = 0;
            for (; i + 8 <= kRowLen; i += 8) {
                const __m256 wv = _mm256_loadu_ps(w + i);
                acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(b0 + i), wv, acc[0]);
                acc[1] = _mm256_fmadd_ps(_mm256_loadu_ps(b1 + i), wv, acc[1]);
                acc[2] = _mm256_fmadd_ps(_mm256_loadu_ps(b2 + i), wv, acc[2]);
                acc[3] = _mm256_fmadd_ps(_mm256_loadu_ps(b3 + i), wv, acc[3]);
            }
            const __m128 wt = _mm_loadu_ps(w + i);
            tail[0] = _mm_fmadd_ps(_mm_loadu_ps(b0 + i), wt, tail[0]);
            tail[1] = _mm_fmadd_ps(_mm_loadu_ps(b1 + i), wt, tail[1]);
            tail[2] = _mm_fmadd_ps(_mm_loadu_ps(b2 + i), wt, tail[2]);
            tail[3] = _mm_fmadd_ps(_mm_loadu_ps(b3 + i), wt, tail[3]);
        } else {
            for (int j = 0; j < n; j++) {
                const float *b = rows[j] + off;
                int i = 0;
                for (; i + 8 <= kRowLen; i += 8)
                    acc[j] = _mm256_fmadd_ps(_mm256_loadu_ps(b + i), _mm256_loadu_ps(w + i), acc[j]);
                tail[j] = _mm_fmadd_ps(_mm_loadu_ps(b + i), _mm_loadu_ps(w + i), tail[j]);
            }
        }
    }
    for (int j = 0; j < n; j++) {
        const __m128 s = _mm_add_ps(_mm_add_ps(_mm256_castps256_ps128(acc[j]), _mm256_extractf128_ps(acc[j], 1)), tail[j]);
        alignas(16) float v[4];
        _mm_store_ps(v, s);
        out[j] = (v[0] + v[1]) + (v[2] + v[3]);
    }
}

bool has_avx2() {
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }();
    return yes;
}
#endif

void score_windows(const float *const rows[4], int n, size_t stride, const float *weights, float out[4]) {
#if defined(__x86_64__)
    if (has_avx2()) return score_windows_avx2(rows, n, stride, weights, out);
#endif
    score_windows_generic(rows, n, stride, weights, out);
}

// L2-Hys as OpenCV does it: L2-normalise (with its epsilon), clip at 0.2, normalise again.
void normalize_block(float *h) {
    v4 s = {};
    for (int i = 0; i < kBlockLen; i += 4) {
        const v4 v = load4(h + i);
        s += v * v;
    }
    float sum = (s[0] + s[1]) + (s[2] + s[3]);
    const float scale = 1.f / (std::sqrt(sum) + kBlockLen * 0.1f);
    const v4 clip = {0.2f, 0.2f, 0.2f, 0.2f};
    s = v4{};
    for (int i = 0; i < kBlockLen; i += 4) {
        v4 v = load4(h + i) * scale;
        v = v < clip ? v : clip;
        s += v * v;
        store4(h + i, v);
    }
    sum = (s[0] + s[1]) + (s[2] + s[3]);
    const float scale2 = 1.f / (std::sqrt(sum) + 1e-3f);
    for (int i = 0; i < kBlockLen; i += 4) store4(h + i, load4(h + i) * scale2);
}

typedef float v8 __attribute__((vector_size(32)));

// See PeopleDetector::compute_blocks. Inlined into one copy per instruction set.
__attribute__((always_inline)) inline void accumulate_block_rows(
    const float *grad, const uint8_t *bins, int width, int blocks_x, int blocks_y,
    const float (*pair_weights)[8], float *acc, float *out) {
    const int slots = blocks_x + 2; // slot b + 1 holds block b; slots 0 and blocks_x + 1 are spill
    for (int by = 0; by < blocks_y; by++) {
        std::memset(acc, 0, sizeof(float) * size_t(kBins) * slots * 4);
        for (int v = 0; v < kBlock; v++) {
            const size_t row = size_t(by * kCell + v) * width;
            const float *g = grad + row * 2;
            const uint8_t *b = bins + row * 2;
            for (int u = 0; u < kCell; u++) {
                v8 w;
                std::memcpy(&w, pair_weights[v * kCell + u], sizeof w);
                for (int parity = 0; parity < 2; parity++) {
                    for (int c = parity; c <= blocks_x; c += 2) {
                        const int x = c * kCell + u;
                        float *a0 = acc + (size_t(b[2 * x]) * slots + c) * 4;
                        float *a1 = acc + (size_t(b[2 * x + 1]) * slots + c) * 4;
                        v8 t0, t1;
                        std::memcpy(&t0, a0, sizeof t0);
                        t0 += g[2 * x] * w;
                        std::memcpy(a0, &t0, sizeof t0);
                        std::memcpy(&t1, a1, sizeof t1);
                        t1 += g[2 * x + 1] * w;
                        std::memcpy(a1, &t1, sizeof t1);
                    }
                }
            }
        }
        for (int bx = 0; bx < blocks_x; bx++) {
            float *h = out + (size_t(by) * blocks_x + bx) * kBlockLen;
            for (int k = 0; k < kBins; k++) std::memcpy(h + 4 * k, acc + (size_t(k) * slots + bx + 1) * 4, 16);
            normalize_block(h);
        }
    }
}

void accumulate_block_rows_generic(const float *grad, const uint8_t *bins, int width, int blocks_x, int blocks_y,
                                   const float (*pair_weights)[8], float *acc, float *out) {
    accumulate_block_rows(grad, bins, width, blocks_x, blocks_y, pair_weights, acc, out);
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
void accumulate_block_rows_avx2(const float *grad, const uint8_t *bins, int width, int blocks_x, int blocks_y,
                                const float (*pair_weights)[8], float *acc, float *out) {
    accumulate_block_rows(grad, bins, width, blocks_x, blocks_y, pair_weights, acc, out);
}
#endif

} // namespace

PeopleDetector::PeopleDetector() {
    const std::vector<float> model = cv::HOGDescriptor::getDefaultPeopleDetector();
    const int descriptor = kWinBlocksX * kWinBlocksY * kBlockLen;
    CV_Assert(int(model.size()) >= descriptor);
    bias_ = int(model.size()) > descriptor ? model[size_t(descriptor)] : 0.f;
    // OpenCV orders blocks column by column and, inside a block, cell-major; this detector
    // orders blocks row by row and bin-major, so a window's block row is one contiguous run.
    weights_.assign(size_t(descriptor), 0.f);
    for (int bx = 0; bx < kWinBlocksX; bx++)
        for (int by = 0; by < kWinBlocksY; by++)
            for (int cell = 0; cell < 4; cell++)
                for (int bin = 0; bin < kBins; bin++)
                    weights_[size_t((by * kWinBlocksX + bx) * kBlockLen + bin * 4 + cell)] =
                        model[size_t((bx * kWinBlocksY + by) * kBlockLen + cell * kBins + bin)];

    // Gaussian window over the block: sigma = (16 + 16) / 8 (HOGDescriptor::getWinSigma).
    const float sigma = 4.f, gscale = 1.f / (sigma * sigma * 2);
    // Weight of a block pixel (row-major 16x16) towards each of the block's four cells.
    float pixel_weights[kBlock * kBlock][4] = {};
    for (int i = 0; i < kBlock; i++) {       // row
        for (int j = 0; j < kBlock; j++) {   // column
            const float di = (i - kBlock * 0.5f) * (i - kBlock * 0.5f);
            const float dj = (j - kBlock * 0.5f) * (j - kBlock * 0.5f);
            const float gauss = std::exp(-(di + dj) * gscale);
            // Bilinear share of the pixel between the cells whose centres surround it; a pixel
            // nearer the block edge than any cell centre goes to its nearest cells only.
            float cx = (j + 0.5f) / kCell - 0.5f, cy = (i + 0.5f) / kCell - 0.5f;
            const int x0 = int(std::floor(cx)), y0 = int(std::floor(cy));
            cx -= x0;
            cy -= y0;
            float *w = pixel_weights[i * kBlock + j];
            auto cell = [](int x, int y) { return x * 2 + y; };
            const bool xs = x0 >= 0 && x0 + 1 < 2, ys = y0 >= 0 && y0 + 1 < 2;
            if (xs && ys) {
                w[cell(x0, y0)] = gauss * ((1.f - cx) * (1.f - cy));
                w[cell(x0 + 1, y0)] = gauss * (cx * (1.f - cy));
                w[cell(x0, y0 + 1)] = gauss * ((1.f - cx) * cy);
                w[cell(x0 + 1, y0 + 1)] = gauss * (cx * cy);
            } else if (xs) {
                const int y = y0 >= 0 ? y0 : y0 + 1;
                const float fy = y0 >= 0 ? 1.f - cy : cy;
                w[cell(x0, y)] = gauss * ((1.f - cx) * fy);
                w[cell(x0 + 1, y)] = gauss * (cx * fy);
            } else if (ys) {
                const int x = x0 >= 0 ? x0 : x0 + 1;
                const float fx = x0 >= 0 ? 1.f - cx : cx;
                w[cell(x, y0)] = gauss * (fx * (1.f - cy));
                w[cell(x, y0 + 1)] = gauss * (fx * cy);
            } else {
                const int x = x0 >= 0 ? x0 : x0 + 1, y = y0 >= 0 ? y0 : y0 + 1;
                const float fx = x0 >= 0 ? 1.f - cx : cx, fy = y0 >= 0 ? 1.f - cy : cy;
                w[cell(x, y)] = gauss * (fx * fy);
            }
        }
    }
    for (int v = 0; v < kBlock; v++)
        for (int u = 0; u < kCell; u++) {
            std::memcpy(pair_weights_[v * kCell + u], pixel_weights[v * kBlock + kCell + u], 16);
            std::memcpy(pair_weights_[v * kCell + u] + 4, pixel_weights[v * kBlock + u], 16);
        }
}

// Gradients of the image padded by `pad` (mirrored, BORDER_REFLECT_101) on square-root gamma
// corrected values; each pixel's magnitude is split between its two nearest orientation bins.
void PeopleDetector::compute_gradient(const cv::Mat &img, int pad) {
    const int w = img.cols + 2 * pad, h = img.rows + 2 * pad;
    grad_w_ = w;
    grad_h_ = h;
    grad_.resize(size_t(w) * h * 2);
    bins_.resize(size_t(w) * h * 2);
    dx_.resize(size_t(w));
    dy_.resize(size_t(w));
    mag_.resize(size_t(w));
    angle_.resize(size_t(w));
    rows_.resize(size_t(w + 2) * 3);

    static const std::vector<float> lut = [] {
        std::vector<float> t(256);
        for (int i = 0; i < 256; i++) t[size_t(i)] = std::sqrt(float(i));
        return t;
    }();
    auto mirror = [](int i, int n) { return cv::borderInterpolate(i, n, cv::BORDER_REFLECT_101); };
    // Padded column -1 ... w of the gamma-corrected row that padded row y reads.
    const int inner_begin = std::min(pad + 1, w + 2), inner_end = std::max(inner_begin, std::min(pad + 1 + img.cols, w + 2));
    auto load_row = [&](int y, float *dst) {
        const uint8_t *src = img.ptr(mirror(y - pad, img.rows));
        for (int x = 0; x < inner_begin; x++) dst[x] = lut[src[mirror(x - 1 - pad, img.cols)]];
        for (int x = inner_begin; x < inner_end; x++) dst[x] = lut[src[x - 1 - pad]];
        for (int x = inner_end; x < w + 2; x++) dst[x] = lut[src[mirror(x - 1 - pad, img.cols)]];
    };
    float *prev = rows_.data(), *cur = prev + (w + 2), *next = cur + (w + 2);
    load_row(-1, prev);
    load_row(0, cur);

    const float angle_scale = float(kBins / CV_PI);
    cv::Mat dx(1, w, CV_32F, dx_.data()), dy(1, w, CV_32F, dy_.data());
    cv::Mat mag(1, w, CV_32F, mag_.data()), angle(1, w, CV_32F, angle_.data());
    for (int y = 0; y < h; y++) {
        load_row(y + 1, next);
        for (int x = 0; x < w; x++) {
            dx_[size_t(x)] = cur[x + 2] - cur[x];
            dy_[size_t(x)] = next[x + 1] - prev[x + 1];
        }
        // OpenCV's own magnitude and (approximate) angle, so the bins match its detector's.
        cv::cartToPolar(dx, dy, mag, angle, false);
        float *g = grad_.data() + size_t(y) * w * 2;
        uint8_t *b = bins_.data() + size_t(y) * w * 2;
        int x = 0;
        for (; x + 4 <= w; x += 4) {
            v4 a = load4(&angle_[size_t(x)]) * angle_scale - 0.5f;
            v4i bin = __builtin_convertvector(a, v4i) + (a < 0.f); // floor (a >= -0.5): a true lane is -1
            a -= __builtin_convertvector(bin, v4);
            const v4 m = load4(&mag_[size_t(x)]);
            const v4 g0 = m * (1.f - a), g1 = m * a;
            store4(g + 2 * x, __builtin_shufflevector(g0, g1, 0, 4, 1, 5));
            store4(g + 2 * x + 4, __builtin_shufflevector(g0, g1, 2, 6, 3, 7));
            bin += (bin < 0) & kBins;
            bin -= (bin >= kBins) & kBins;
            const v4i next_bin = (bin + 1) & (bin + 1 < kBins);
            for (int i = 0; i < 4; i++) {
                b[2 * (x + i)] = uint8_t(bin[i]);
                b[2 * (x + i) + 1] = uint8_t(next_bin[i]);
            }
        }
        for (; x < w; x++) {
            float a = angle_[size_t(x)] * angle_scale - 0.5f;
            int bin = int(a) - (a < 0.f);
            a -= float(bin);
            const float m = mag_[size_t(x)];
            g[2 * x] = m * (1.f - a);
            g[2 * x + 1] = m * a;
            bin += bin < 0 ? kBins : bin >= kBins ? -kBins : 0;
            b[2 * x] = uint8_t(bin);
            b[2 * x + 1] = uint8_t(bin + 1 < kBins ? bin + 1 : 0);
        }
        std::swap(prev, cur);
        std::swap(cur, next);
    }
}

// One normalised histogram per 16x16 block at every 8-pixel step of the padded image, each
// laid out bin-major (bin * 4 + cell).
//
// A pixel in cell column c is in block c-1 (as its right half) and block c (left half) of its
// block row, with the same two bins and shares and weights that depend only on where it sits
// in its cell. So the histograms of a block row are accumulated bin-major across the row,
// [bin][block][cell], and one 8-float add updates both blocks; the pixels of one in-cell
// position are visited cell by cell, two cells apart, so consecutive adds never touch the same
// floats and never wait on each other.
void PeopleDetector::compute_blocks() {
    // Only called when a window fits, so there is at least one block each way.
    blocks_x_ = (grad_w_ - kBlock) / kCell + 1;
    blocks_y_ = (grad_h_ - kBlock) / kCell + 1;
    blocks_.resize(size_t(blocks_x_) * blocks_y_ * kBlockLen);
    acc_.resize(size_t(kBins) * (blocks_x_ + 2) * 4);
#if defined(__x86_64__)
    if (has_avx2())
        return accumulate_block_rows_avx2(grad_.data(), bins_.data(), grad_w_, blocks_x_, blocks_y_, pair_weights_,
                                          acc_.data(), blocks_.data());
#endif
    accumulate_block_rows_generic(grad_.data(), bins_.data(), grad_w_, blocks_x_, blocks_y_, pair_weights_,
                                  acc_.data(), blocks_.data());
}
void PeopleDetector::detect_level(const cv::Mat &gray, const Settings &s, std::vector<cv::Point> &hits,
                                  std::vector<double> &scores) {
    hits.clear();
    scores.clear();
    const int pad = (std::max(s.padding, 0) + kCell - 1) / kCell * kCell; // aligned to the block stride
    compute_gradient(gray, pad);
    if (grad_w_ < kWinW || grad_h_ < kWinH) return;
    compute_blocks();
    const int step = s.win_stride / kCell; // windows advance this many blocks
    const int nx = (grad_w_ - kWinW) / s.win_stride + 1, ny = (grad_h_ - kWinH) / s.win_stride + 1;
    const size_t stride = size_t(blocks_x_) * kBlockLen;
    for (int wy = 0; wy < ny; wy++) {
        const float *row = blocks_.data() + size_t(wy * step) * stride;
        for (int wx = 0; wx < nx; wx += 4) {
            const int n = std::min(4, nx - wx);
            const float *starts[4] = {};
            for (int j = 0; j < n; j++) starts[j] = row + size_t((wx + j) * step) * kBlockLen;
            float out[4];
            score_windows(starts, n, stride, weights_.data(), out);
            for (int j = 0; j < n; j++) {
                const double score = double(bias_) + double(out[j]);
                if (score >= s.hit_threshold) {
                    hits.emplace_back((wx + j) * s.win_stride - pad, wy * s.win_stride - pad);
                    scores.push_back(score);
                }
            }
        }
    }
}

void PeopleDetector::detect_multiscale(const cv::Mat &gray, const Settings &s, std::vector<cv::Rect> &boxes,
                                       std::vector<double> &scores) {
    boxes.clear();
    scores.clear();
    // The same pyramid as detectMultiScale: levels down to (and including) the first one
    // smaller than the window.
    std::vector<double> levels;
    double scale = 1;
    for (int i = 0; i < kNLevels; i++) {
        levels.push_back(scale);
        if (cvRound(gray.cols / scale) < kWinW || cvRound(gray.rows / scale) < kWinH || s.scale <= 1) break;
        scale *= s.scale;
    }
    std::vector<cv::Point> hits;
    std::vector<double> level_scores;
    for (double level : levels) {
        const cv::Size size(cvRound(gray.cols / level), cvRound(gray.rows / level));
        const cv::Mat *img = &gray;
        if (size != gray.size()) {
            cv::resize(gray, resized_, size, 0, 0, cv::INTER_LINEAR_EXACT);
            img = &resized_;
        }
        detect_level(*img, s, hits, level_scores);
        const cv::Size win(cvRound(kWinW * level), cvRound(kWinH * level));
        for (size_t i = 0; i < hits.size(); i++) {
            boxes.emplace_back(cvRound(hits[i].x * level), cvRound(hits[i].y * level), win.width, win.height);
            scores.push_back(level_scores[i]);
        }
    }
}

} // namespace rtd_hog_impl
