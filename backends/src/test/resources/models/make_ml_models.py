#!/usr/bin/env python3
"""Makes the ai.onnx.ml fixtures: models of the shapes scikit-learn's converter writes, and crafted ones.

ONNX Runtime's LinearRegressor, LinearClassifier, SVMRegressor and SVMClassifier kernels index one attribute by
another's length, or by their input's width, without checking; each crafted model killed the server on its first
run before Inferis checked them:
  ml_many_targets.onnx   LinearRegressor: 1 coefficient for 1,000,000 targets
  ml_few_labels.onnx     LinearClassifier: 4 intercepts (classes), 1 class label
  ml_no_rho.onnx         SVMRegressor without rho
  ml_short_kernel.onnx   SVMRegressor with 1 kernel parameter of the 3 it reads
  ml_concat_input.onnx   LinearRegressor fed by a Concat: its input's width cannot be followed to a model input
  ml_far_feature.onnx    TreeEnsembleRegressor splitting on feature 2^31 + 1 (ONNX Runtime checks it as an int32)
  ml_negative_index.onnx ArrayFeatureExtractor of index -100,000,000: read from before its input, into the output
  ml_tree_v5.onnx        TreeEnsemble (ai.onnx.ml opset 5) whose tree root is node 100,000 of 1 (killed the store)
Valid, with the outputs ONNX Runtime gives for ml_input in ml_expected.json:
  ml_pipeline.onnx       Scaler -> LinearClassifier (3 classes, string labels, softmax), x: FLOAT [N, 4]
  ml_svc.onnx            SVMClassifier (RBF, 3 classes, probabilities), x: FLOAT [N, 4]
  ml_regressor.onnx      LinearRegressor (1 target), x: FLOAT [N, F] (any width: the run must have 4)
  ml_select.onnx         ArrayFeatureExtractor, x: FLOAT [N, 4], i: INT64 [K] (the columns: no run's may be negative)
Run with onnx and onnxruntime installed (see make_models.py): /tmp/fx/bin/python make_ml_models.py
"""
import json

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto as T
from onnx import helper as h

ML = "ai.onnx.ml"


def save(name, nodes, outputs, width=4, initializers=(), ml_opset=3):
    graph = h.make_graph(nodes, name, [h.make_tensor_value_info("x", T.FLOAT, ["N", width])],
                         [h.make_tensor_value_info(o, t, None) for o, t in outputs], initializer=list(initializers))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 19 if ml_opset >= 4 else 17),
                                               h.make_opsetid(ML, ml_opset)])
    model.ir_version = 8
    onnx.save(model, name + ".onnx")
    return name + ".onnx"


rng = np.random.default_rng(7)
pipeline = save("ml_pipeline", [
    h.make_node("Scaler", ["x"], ["scaled"], domain=ML, offset=[5.8, 3.0, 3.7, 1.2], scale=[1.2, 2.3, 0.6, 1.3]),
    h.make_node("LinearClassifier", ["scaled"], ["label", "probabilities"], domain=ML,
                coefficients=rng.normal(size=12).round(3).tolist(), intercepts=[0.2, 0.9, -1.1],
                classlabels_strings=["setosa", "versicolor", "virginica"], multi_class=1,
                post_transform="SOFTMAX")], [("label", T.STRING), ("probabilities", T.FLOAT)])
svc = save("ml_svc", [h.make_node(
    "SVMClassifier", ["x"], ["label", "probabilities"], domain=ML, kernel_type="RBF", kernel_params=[0.25, 0.0, 3.0],
    vectors_per_class=[2, 2, 1], support_vectors=rng.normal(size=20).round(3).tolist(),
    coefficients=rng.normal(size=10).round(3).tolist(), rho=[0.1, -0.2, 0.3], prob_a=[-1.5, -2.0, -1.0],
    prob_b=[0.1, 0.0, -0.1], classlabels_ints=[10, 20, 30])], [("label", T.INT64), ("probabilities", T.FLOAT)])
regressor = save("ml_regressor", [h.make_node("LinearRegressor", ["x"], ["y"], domain=ML,
                                              coefficients=[1.0, 2.0, 3.0, 4.0], intercepts=[0.5])],
                 [("y", T.FLOAT)], width="F")

save("ml_many_targets", [h.make_node("LinearRegressor", ["x"], ["y"], domain=ML, coefficients=[1.0],
                                     targets=1_000_000)], [("y", T.FLOAT)])
save("ml_few_labels", [h.make_node("LinearClassifier", ["x"], ["label", "scores"], domain=ML,
                                   coefficients=[0.0] * 12 + [1.0] * 4, intercepts=[0.0, 0.0, 0.0, 100.0],
                                   classlabels_strings=["only"])], [("label", T.STRING), ("scores", T.FLOAT)])
no_rho = h.make_node("SVMRegressor", ["x"], ["y"], domain=ML, kernel_type="LINEAR",
                kernel_params=[0.1, 0.0, 3.0], coefficients=[1.0] * 4)
no_rho.attribute.append(h.make_attribute("rho", [], attr_type=onnx.AttributeProto.FLOATS))
save("ml_no_rho", [no_rho], [("y", T.FLOAT)])
save("ml_short_kernel", [h.make_node("SVMRegressor", ["x"], ["y"], domain=ML, kernel_type="POLY", kernel_params=[0.1],
                                     coefficients=[1.0] * 4, rho=[0.0])], [("y", T.FLOAT)])
save("ml_concat_input", [h.make_node("Concat", ["x", "x"], ["wide"], axis=1),
                         h.make_node("LinearRegressor", ["wide"], ["y"], domain=ML, coefficients=[1.0] * 8)],
     [("y", T.FLOAT)])
save("ml_far_feature", [h.make_node(
    "TreeEnsembleRegressor", ["x"], ["y"], domain=ML, n_targets=1, nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2],
    nodes_featureids=[2**31 + 1, 0, 0], nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"], nodes_values=[0.5, 0.0, 0.0],
    nodes_truenodeids=[1, 0, 0], nodes_falsenodeids=[2, 0, 0], target_treeids=[0, 0], target_nodeids=[1, 2],
    target_ids=[0, 0], target_weights=[1.0, 2.0])], [("y", T.FLOAT)])
save("ml_negative_index", [h.make_node("ArrayFeatureExtractor", ["x", "i"], ["y"], domain=ML)], [("y", T.FLOAT)],
     initializers=[h.make_tensor("i", T.INT64, [1], [-100_000_000])])
save("ml_tree_v5", [h.make_node(
    "TreeEnsemble", ["x"], ["y"], domain=ML, n_targets=1, tree_roots=[100_000],
    nodes_modes=h.make_tensor("modes", T.UINT8, [1], [0]), nodes_featureids=[0],
    nodes_splits=h.make_tensor("splits", T.FLOAT, [1], [0.5]), nodes_truenodeids=[0], nodes_trueleafs=[1],
    nodes_falsenodeids=[1], nodes_falseleafs=[1], leaf_targetids=[0, 0],
    leaf_weights=h.make_tensor("weights", T.FLOAT, [2], [1.0, 2.0]))], [("y", T.FLOAT)], ml_opset=5)
select_graph = h.make_graph([h.make_node("ArrayFeatureExtractor", ["x", "i"], ["y"], domain=ML)], "ml_select",
                            [h.make_tensor_value_info("x", T.FLOAT, ["N", 4]),
                             h.make_tensor_value_info("i", T.INT64, ["K"])], [h.make_tensor_value_info("y", T.FLOAT, None)])
select_model = h.make_model(select_graph, opset_imports=[h.make_opsetid("", 17), h.make_opsetid(ML, 3)])
select_model.ir_version = 8
onnx.save(select_model, "ml_select.onnx")

x = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], dtype=np.float32)
expected = {"ml_input": {"shape": list(x.shape), "values": x.ravel().tolist()}}
for name, file in (("ml_pipeline", pipeline), ("ml_svc", svc), ("ml_regressor", regressor)):
    session = onnxruntime.InferenceSession(file, providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"x": x})
    expected[name] = [{"shape": list(o.shape), "values": o.ravel().tolist()} for o in outputs]
with open("ml_expected.json", "w") as out:
    json.dump(expected, out, indent=1)
    out.write("\n")
