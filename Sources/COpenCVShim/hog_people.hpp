// rtd's HOG people detector: the features, linear SVM, pyramid and grouping of
// cv::HOGDescriptor::detectMultiScale with OpenCV's default people model (64x128 window, 16x16
// blocks of 8x8 cells at an 8-pixel stride, 9 unsigned bins, Gaussian block window sigma 4,
// L2-Hys 0.2, square-root gamma), laid out for speed: a block row's histograms are summed
// bin-major so one 8-float add updates a pixel's cells in both blocks it belongs to, and the SVM
// scores four windows per pass over the weights with 8-wide FMA where the CPU has it.
// Equivalence with OpenCV is a unit test (HOGEngineTests).
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/objdetect.hpp>

#include <cstdint>
#include <vector>

namespace rtd_hog_impl {

struct Settings {
    int win_stride;   // a multiple of 8 (the block stride); other strides use OpenCV's detector
    int padding;
    double scale;
    double hit_threshold;
};

class PeopleDetector {
public:
    PeopleDetector();

    /// Every window of one pyramid level whose score reaches `hit_threshold`: top-left corners
    /// (level pixels, padding included, so they may be negative) and SVM scores, in raster order.
    void detect_level(const cv::Mat &gray, const Settings &s, std::vector<cv::Point> &hits,
                      std::vector<double> &scores);

    /// detectMultiScale before grouping: candidate boxes in frame pixels and their scores.
    void detect_multiscale(const cv::Mat &gray, const Settings &s, std::vector<cv::Rect> &boxes,
                           std::vector<double> &scores);

private:
    void compute_gradient(const cv::Mat &img, int pad);
    void compute_blocks();

    // Model, in this detector's layout: per window block row (15), per block (7), per bin (9),
    // per cell (4, column-major as OpenCV numbers them).
    std::vector<float> weights_;
    float bias_ = 0;
    // A pixel's weights towards the four cells of each of the two blocks of a block row it belongs
    // to (right half of the left block, then left half of the right one), by its row in the block
    // row and its column in its cell: the Gaussian window times the bilinear cell weights, exactly
    // as OpenCV forms them.
    alignas(32) float pair_weights_[16 * 8][8];

    // Per level scratch, reused across frames.
    int grad_w_ = 0, grad_h_ = 0;
    std::vector<float> grad_;      // two magnitude shares per pixel
    std::vector<uint8_t> bins_;    // the two orientation bins they go to
    int blocks_x_ = 0, blocks_y_ = 0;
    std::vector<float> blocks_;    // normalised 36-float histogram per block, row-major grid
    std::vector<float> acc_;       // one block row's histograms while they are summed
    cv::Mat resized_;
    std::vector<float> dx_, dy_, mag_, angle_;
    std::vector<float> rows_;      // three gamma-corrected padded rows
};

} // namespace rtd_hog_impl
