#!/usr/bin/env python3
"""Makes slow.onnx: y = x @ x @ x ... (64 MatMuls of its own input), no weights, so the file stays tiny.

On a 1024x1024 FLOAT input each MatMul is ~2 GFLOP: the whole run takes tens of seconds on a small CPU, long enough
for model-execution-timeout to stop it. Run with onnx installed (see make_models.py): /tmp/fx/bin/python make_slow_onnx.py
"""
import onnx
from onnx import TensorProto, helper

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
