#!/usr/bin/env python3
"""Makes nonzero.onnx: y = NonZero(x), the indices of x's non-zero elements (INT64, shape [rank, count]).

Its output's shape depends on the input's values, not only on its shape: the case a run on a kept binding of
pre-shaped outputs cannot serve. Run with onnx installed (see make_models.py): /tmp/fx/bin/python make_nonzero_onnx.py
"""
import onnx
from onnx import TensorProto, helper

graph = helper.make_graph([helper.make_node("NonZero", ["x"], ["y"])], "nonzero",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, [1, "count"])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "nonzero.onnx")
