#!/usr/bin/env python3
"""Makes slow models, no weights, so the files stay tiny:
  slow.onnx         y = x @ x @ x ... (64 MatMuls of its own input). On a 1024x1024 FLOAT input each MatMul is ~2 GFLOP:
                    the whole run takes tens of seconds on a small CPU, long enough for model-execution-timeout to stop
                    it, which ONNX Runtime does between two nodes.
  long_kernel.onnx  one kernel that takes long and never looks at the stop flag: NonMaxSuppression of n disjoint boxes
                    (n the value of x, a FLOAT [1]; box i spans [2i, 2i+1] x [0, 1], its score i), which compares each
                    box with every one kept before it, so its time grows as n squared (n = 40000: ~0.5 s on 2 cores).
                    y: the shape of the kept indices, [n, 3].
Run with onnx installed (see make_models.py): /tmp/fx/bin/python make_slow_onnx.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

nodes = []
previous = "x"
for i in range(64):
    output = "y" if i == 63 else f"t{i}"
    nodes.append(helper.make_node("MatMul", [previous, "x"], [output]))
    previous = output
graph = helper.make_graph(nodes, "slow",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", "n"])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "n"])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "slow.onnx")

constants = {"zero": np.float32(0), "one": np.float32(1), "two": np.float32(2), "columns": np.array([1], np.int64),
             "rows": np.array([0], np.int64), "batch_and_class": np.array([0, 1], np.int64),
             "most": np.array([2**31], np.int64), "iou": np.array([0.5], np.float32)}
nodes = [helper.make_node("Squeeze", ["x"], ["n"]), helper.make_node("Range", ["zero", "n", "one"], ["i"]),
         helper.make_node("Mul", ["i", "two"], ["left"]), helper.make_node("Add", ["left", "one"], ["right"]),
         helper.make_node("Mul", ["i", "zero"], ["bottom"]), helper.make_node("Add", ["bottom", "one"], ["top"])]
for side in ("bottom", "left", "top", "right"):
    nodes.append(helper.make_node("Unsqueeze", [side, "columns"], [side + "_column"]))
nodes += [helper.make_node("Concat", ["bottom_column", "left_column", "top_column", "right_column"], ["box_rows"], axis=1),
          helper.make_node("Unsqueeze", ["box_rows", "rows"], ["boxes"]),
          helper.make_node("Unsqueeze", ["i", "batch_and_class"], ["scores"]),
          helper.make_node("NonMaxSuppression", ["boxes", "scores", "most", "iou"], ["kept"]),
          helper.make_node("Shape", ["kept"], ["y"])]
graph = helper.make_graph(nodes, "long_kernel", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, [2])],
                          initializer=[numpy_helper.from_array(np.array(v), k) for k, v in constants.items()])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "long_kernel.onnx")
