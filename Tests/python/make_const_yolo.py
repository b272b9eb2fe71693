#!/usr/bin/env python3
"""Builds a tiny ONNX model whose output is a known constant tensor, for the YOLO decoder tests.

The graph is  images -> GlobalAveragePool -> 1x1 Conv (zero weights, bias = the constant)
-> Reshape(output shape),  so the output equals the bias exactly whatever the image, using only
operators OpenCV 4.6's ONNX importer supports (Conv with an explicit kernel_shape).

Usage: make_const_yolo.py OUT.onnx SPEC_JSON
  SPEC_JSON keys:
    input       [1,3,H,W]; H/W may be strings for symbolic sizes
    layout      "v5" -> output [1,count,attributes], rows are candidates
                "v8" -> output [1,attributes,count], columns are candidates
    attributes  values per candidate (v5: 5 + classes, v8: 4 + classes)
    count       number of candidates; rows beyond `candidates` are all zero
    candidates  list of candidate rows (cx, cy, w, h, [objectness,] class scores...)
  or instead of layout/attributes/count/candidates:
    shape       any output shape, filled with zeros (for shape-error tests)
"""
import json
import sys

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # the Swift test reports this line verbatim
    sys.stderr.write(f"make_const_yolo.py needs the 'onnx' and 'numpy' Python packages ({e}); "
                     "set RTD_PYTHON to a python that has them\n")
    sys.exit(3)


def constant(spec):
    if "shape" in spec:
        return np.zeros(spec["shape"], np.float32)
    rows = np.zeros((spec["count"], spec["attributes"]), np.float32)
    for i, row in enumerate(spec["candidates"]):
        rows[i, : len(row)] = row
    if spec["layout"] == "v5":
        return rows[np.newaxis]
    return rows.T[np.newaxis].copy()


def build(spec, path):
    value = constant(spec)
    n = value.size
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["pooled"]),
        helper.make_node("Conv", ["pooled", "w", "b"], ["flat"], kernel_shape=[1, 1]),
        helper.make_node("Reshape", ["flat", "shape"], ["output0"]),
    ]
    weights = [
        numpy_helper.from_array(np.zeros((n, 3, 1, 1), np.float32), "w"),
        numpy_helper.from_array(value.reshape(-1), "b"),
        numpy_helper.from_array(np.array(value.shape, np.int64), "shape"),
    ]
    graph = helper.make_graph(
        nodes, "const_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, spec["input"])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(value.shape))],
        weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 6  # readable by OpenCV 4.6's bundled ONNX schema
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build(json.loads(sys.argv[2]), sys.argv[1])
