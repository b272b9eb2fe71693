#!/usr/bin/env python3
"""Builds a YOLOv8-shaped ONNX network for benchmarks: no trained weights can be downloaded here,
so this is a small convolutional network with fixed pseudo-random weights and a real v8 head
layout, output [1, 84, N] (4 box values + 80 class scores per candidate, sigmoid scores). The
point is the same work on both sides of a comparison: letterbox, the same DNN forward pass, the
decode of N candidates x 80 classes and class-wise NMS. Class biases are set so some candidates
pass the default 0.25 confidence (about ten boxes per test-pattern frame), as on a busy scene.

Usage: yolo_model.py OUT.onnx [INPUT_SIZE]   (default 320; candidates = (size/8)^2)
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build(path, size=320):
    rng = np.random.default_rng(7)
    nodes, weights = [], []
    # Backbone: 3x3 convolutions with ReLU, (out channels, stride): a size/8 map of 64 channels,
    # about 0.6 GFLOP at 320x320 (YOLOv8n: about 2.2 at 320).
    layers = [(16, 2), (16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (64, 1)]
    x, cin = "images", 3
    for i, (cout, stride) in enumerate(layers):
        w = (rng.standard_normal((cout, cin, 3, 3)) * np.sqrt(2 / (cin * 9))).astype(np.float32)
        b = np.zeros(cout, np.float32)
        weights += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes += [helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], kernel_shape=[3, 3], strides=[stride, stride],
                                   pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", [f"c{i}"], [f"r{i}"])]
        x, cin = f"r{i}", cout
    # Head: 1x1 conv to 84 channels. Boxes: centres spread over the input, sizes 20-120 px.
    # Scores: sigmoid of a small random response minus 1.3: about ten boxes per testsrc frame after NMS.
    n = (size // 8) ** 2
    wh = (rng.standard_normal((84, 64, 1, 1)) * 0.05).astype(np.float32)
    bh = np.concatenate([np.zeros(4), np.full(80, -1.3)]).astype(np.float32)
    weights += [numpy_helper.from_array(wh, "wh"), numpy_helper.from_array(bh, "bh"),
                numpy_helper.from_array(np.array([1, 84, n], np.int64), "shape"),
                numpy_helper.from_array(np.array([0, 0, 0], np.int64), "s0"),
                numpy_helper.from_array(np.array([1, 4, n], np.int64), "e0"),
                numpy_helper.from_array(np.array([1, 84, n], np.int64), "e1"),
                numpy_helper.from_array(np.array([0, 4, 0], np.int64), "s1")]
    side = size // 8
    grid_x = ((np.arange(n) % side) + 0.5) * 8
    grid_y = ((np.arange(n) // side) + 0.5) * 8
    anchors = np.stack([grid_x, grid_y, np.full(n, 40.0), np.full(n, 80.0)])[np.newaxis].astype(np.float32)
    weights.append(numpy_helper.from_array(anchors, "anchors"))
    weights.append(numpy_helper.from_array(np.array([[[8.0], [8.0], [20.0], [40.0]]], np.float32), "spread"))
    nodes += [
        helper.make_node("Conv", [x, "wh", "bh"], ["head"], kernel_shape=[1, 1]),
        helper.make_node("Reshape", ["head", "shape"], ["flat"]),
        helper.make_node("Slice", ["flat", "s0", "e0"], ["raw_boxes"]),
        helper.make_node("Slice", ["flat", "s1", "e1"], ["raw_scores"]),
        helper.make_node("Tanh", ["raw_boxes"], ["t_boxes"]),
        helper.make_node("Mul", ["t_boxes", "spread"], ["d_boxes"]),
        helper.make_node("Add", ["d_boxes", "anchors"], ["boxes"]),
        helper.make_node("Sigmoid", ["raw_scores"], ["scores"]),
        helper.make_node("Concat", ["boxes", "scores"], ["output0"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "bench_yolo_v8",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 84, n])],
        weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 6  # readable by OpenCV 4.6's bundled ONNX schema
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    build(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else 320)
