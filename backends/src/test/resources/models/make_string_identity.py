#!/usr/bin/env python3
"""Makes string_identity.onnx: y = Identity(x) over a STRING tensor of any shape, as RedisAI's string-tensor test uses.

Run with onnx installed (see make_models.py): /tmp/fx/bin/python make_string_identity.py
"""
import onnx
from onnx import TensorProto, helper

graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "string_identity",
                          [helper.make_tensor_value_info("x", TensorProto.STRING, ["a", "b"])],
                          [helper.make_tensor_value_info("y", TensorProto.STRING, ["a", "b"])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "string_identity.onnx")
