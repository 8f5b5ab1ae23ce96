#!/usr/bin/env python3
"""Makes ONNX fixtures of operators ONNX Runtime runs trusting what it is given, each of which killed the server:
  div_by_zero.onnx     y = x // 0 on INT32 (the processor traps on an integer division by zero)
  div_computed.onnx    y = a // (b + b) on INT32: a divisor the model computes, which could be 0
  max_unpool.onnx      MaxUnpool whose index lies far past its output
  roi_align.onnx       RoiAlign whose batch index lies far past its batch
  conv_stride_zero.onnx       Conv with strides [0, 0] (ONNX Runtime divides by them as the model loads)
  group_norm_no_groups.onnx   GroupNormalization with num_groups 0 (divided by on the first run)
  col2im_negative_pads.onnx   Col2Im of x [1, 4, 9] into a 4x4 image in 2x2 blocks, pads -5 (its kernel never returned)
  conv_negative_pads.onnx     Conv of x [1, 1, 4, 4] by a 2x2 kernel with pads -1 (killed the process on the first run)
  trilu_least_k.onnx          upper Trilu of x with a constant k of -2^63 (corrupted the heap as the model loaded)
  found by a fuzzer of single-operator models, each of which killed the process as it loaded (or, the block size, ran):
  conv_transpose_group_zero.onnx   ConvTranspose of x [1, 1, 3, 3] by a 2x2 kernel with group 0 (divided by)
  depth_to_space_huge_block.onnx   DepthToSpace of x [1, 4, 2, 2] with blocksize 2^62 (its square overflows to 0)
  gather_nd_negative_batch.onnx    GatherND of x [4, 4] at i: INT64 [2, 1] with batch_dims -436
  max_roi_pool_one_dim.onnx        MaxRoiPool of x [1, 1, 1] with a pooled_shape of one value
  one_hot_empty_depth.onnx         OneHot of i: INT64 [2] with a constant depth of no element
  conv_transpose_input_weights.onnx  ConvTranspose of x [1, 1, 3] by weights w, a model input [1, 1, 2, 2], without
                                   kernel_shape (read from the weights' dimensions, past the input's; and 1-D weights
                                   a client sent killed the process on a run)
  conv_1d_by_2d.onnx               Conv of x [1, 1, 3] by a constant 2x2 kernel, without kernel_shape: the server adds
                                   it from the kernel, and ONNX Runtime refuses the model
  col2im_input_block.onnx          Col2Im of x [1, 4, 9] into image_shape [4, 4] by a block_shape b: INT64 [2] a model
                                   input (a block of 0 a client sent killed the process)
  and, on a run (the server guards them):
  top_k_of_nothing.onnx            y = TopK(x[s:e], k = 1) over the last axis, x: FLOAT [N, 3], s and e: INT64 [1]
                                   (with s = e, the empty tensor killed the process)
  dot_product.onnx                 y = MatMul(a, b) of a and b of undeclared shapes (1-D ones of different lengths
                                   read past b: a [3] by a [2] answered other memory, by an empty one killed the process)
  gather_nd_any_ranks.onnx         y = GatherND(x, i) of x and i of undeclared shapes (a scalar i killed the process)
  gather_nd_batches.onnx           y = GatherND(x, i) with batch_dims 1, x: INT32 and i of undeclared shapes (an x
                                   [2, 1, 3] at an i [1, 1], batches of 2 and 1, killed the process)
  max_pool_any_rank.onnx           y = MaxPool(x) by a 1x1x1x2 kernel with auto_pad SAME_LOWER, x: DOUBLE of undeclared
                                   shape (an x [1, 3, 4, 4], 2 dimensions short, killed the process)
and ones that must keep working:
  int_divide.onnx      y = a // b on INT32 [N] inputs: the divisor is a model input, checked on every run
  normalize.onnx       y = x / ReduceSum(x) on FLOAT [1, 4]: floating-point divisions are not checked
  shape_divide.onnx    y = x reshaped to [-1, shape(x)[1] // 2, 2], x: FLOAT [N, 4] (as PyTorch exports write)
  trilu.onnx           y = upper Trilu of x: FLOAT [3, 3] with k: INT64 [] a model input, checked on every run
  Einsums, whose operands the server guards; each but einsum_any_ranks.onnx killed the process: einsum_product.onnx on
  a run with a 1-D a (ONNX Runtime 1.21's kernel aborted), the others as they loaded (its shape inference read out of
  bounds):
  einsum_short_rank.onnx      y = einsum("ij,jk->ik", a, b) with a declared FLOAT [3] and b FLOAT [3, 2]
  einsum_product.onnx         y = einsum("ij,jk->ik", a, b) of inputs a and b of undeclared shapes
  and Einsums whose ellipses stand for different numbers of dimensions, as NumPy and PyTorch broadcast them:
  einsum_broadcast.onnx       y = einsum("...ij,...jk->...ik", w, x), w a 3x4 weight (0, 0.1, ..., 1.1), x: FLOAT
                              [5, 4, 2], as torch.onnx.export writes torch.einsum of a weight and a batch
  einsum_ellipsis_ranks.onnx  the same equation of a 3x4 and a 5x4x2 constant of ones (x: FLOAT [1] unused)
  einsum_in_branch.onnx       an If on c: BOOL [] whose branches take y = the einsum above of w and x (then) or its
                              negation (else); w is named inferis_einsum_0, a name the server's rewrite must avoid
  einsum_in_function.onnx     the einsum above inside a function of the model's own (domain inferis.test)
  einsum_any_ranks.onnx       y = einsum("...ij,...jk->...ik", a, b) of inputs a and b of undeclared shapes
Run with onnx installed (see make_models.py): /tmp/fx/bin/python make_trusting_onnx.py
"""
import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper


def save(name, nodes, inputs, output_type, initializers=None, opset=17, functions=()):
    graph = h.make_graph(nodes, name, [h.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                         [h.make_tensor_value_info("y", output_type, None)],
                         initializer=[numpy_helper.from_array(np.array(v), k) for k, v in (initializers or {}).items()])
    opsets = [h.make_opsetid("", opset)] + [h.make_opsetid(f.domain, 1) for f in functions]
    model = h.make_model(graph, opset_imports=opsets, functions=list(functions))
    model.ir_version = 8
    onnx.save(model, name + ".onnx")


ints = [("a", T.INT32, ["N"]), ("b", T.INT32, ["N"])]
save("div_by_zero", [h.make_node("Div", ["a", "zero"], ["y"])], ints[:1], T.INT32,
     {"zero": np.array([0], dtype=np.int32)})
save("div_computed", [h.make_node("Add", ["b", "b"], ["twice"]), h.make_node("Div", ["a", "twice"], ["y"])], ints,
     T.INT32)
save("max_unpool", [h.make_node("MaxUnpool", ["x", "far"], ["y"], kernel_shape=[1, 1])],
     [("x", T.FLOAT, [1, 1, 1, 1])], T.FLOAT, {"far": np.array([[[[100_000_000]]]], dtype=np.int64)})
save("roi_align", [h.make_node("RoiAlign", ["x", "rois", "far"], ["y"])], [("x", T.FLOAT, [1, 1, 4, 4])], T.FLOAT,
     {"rois": np.array([[0, 0, 1, 1]], dtype=np.float32), "far": np.array([100_000_000], dtype=np.int64)})
save("int_divide", [h.make_node("Div", ["a", "b"], ["y"])], ints, T.INT32)
save("normalize", [h.make_node("ReduceSum", ["x"], ["sum"], keepdims=1), h.make_node("Div", ["x", "sum"], ["y"])],
     [("x", T.FLOAT, [1, 4])], T.FLOAT)
save("shape_divide", [
    h.make_node("Shape", ["x"], ["shape"]),
    h.make_node("Slice", ["shape", "one", "two"], ["width"]),
    h.make_node("Constant", [], ["half"], value=h.make_tensor("half", T.INT64, [1], [2])),
    h.make_node("Div", ["width", "half"], ["columns"]),
    h.make_node("Concat", ["minus_one", "columns", "two"], ["target"], axis=0),
    h.make_node("Reshape", ["x", "target"], ["y"])], [("x", T.FLOAT, ["N", 4])], T.FLOAT,
    {"one": np.array([1], dtype=np.int64), "two": np.array([2], dtype=np.int64),
     "minus_one": np.array([-1], dtype=np.int64)})
save("conv_stride_zero", [h.make_node("Conv", ["x", "w"], ["y"], strides=[0, 0])], [("x", T.FLOAT, [1, 1, 4, 4])],
     T.FLOAT, {"w": np.ones((1, 1, 2, 2), dtype=np.float32)})
save("group_norm_no_groups", [h.make_node("GroupNormalization", ["x", "scale", "bias"], ["y"], num_groups=0)],
     [("x", T.FLOAT, [1, 2, 2, 2])], T.FLOAT,
     {"scale": np.ones(2, dtype=np.float32), "bias": np.zeros(2, dtype=np.float32)}, opset=18)
save("col2im_negative_pads", [h.make_node("Col2Im", ["x", "image", "block"], ["y"], pads=[-5, -5, -5, -5])],
     [("x", T.FLOAT, [1, 4, 9])], T.FLOAT,
     {"image": np.array([4, 4], dtype=np.int64), "block": np.array([2, 2], dtype=np.int64)}, opset=18)
save("conv_negative_pads", [h.make_node("Conv", ["x", "w"], ["y"], pads=[-1, -1, -1, -1])],
     [("x", T.FLOAT, [1, 1, 4, 4])], T.FLOAT, {"w": np.ones((1, 1, 2, 2), dtype=np.float32)})
save("trilu_least_k", [h.make_node("Trilu", ["x", "k"], ["y"], upper=1)], [("x", T.FLOAT, [3, 3])], T.FLOAT,
     {"k": np.array(-2**63, dtype=np.int64)})
save("trilu", [h.make_node("Trilu", ["x", "k"], ["y"], upper=1)], [("x", T.FLOAT, [3, 3]), ("k", T.INT64, [])],
     T.FLOAT)
batched = "...ij,...jk->...ik"
weight = (np.arange(12, dtype=np.float32) / 10).reshape(3, 4)
save("einsum_broadcast", [h.make_node("Einsum", ["w", "x"], ["y"], equation=batched)], [("x", T.FLOAT, [5, 4, 2])],
     T.FLOAT, {"w": weight})
save("einsum_ellipsis_ranks", [h.make_node("Einsum", ["a", "b"], ["y"], equation=batched)],
     [("x", T.FLOAT, [1])], T.FLOAT,
     {"a": np.ones((3, 4), dtype=np.float32), "b": np.ones((5, 4, 2), dtype=np.float32)})
branch = h.make_graph([h.make_node("Einsum", ["inferis_einsum_0", "x"], ["product"], equation=batched)], "then", [],
                      [h.make_tensor_value_info("product", T.FLOAT, None)])
negated = h.make_graph([h.make_node("Einsum", ["inferis_einsum_0", "x"], ["product2"], equation=batched),
                        h.make_node("Neg", ["product2"], ["negated"])], "else", [],
                       [h.make_tensor_value_info("negated", T.FLOAT, None)])
save("einsum_in_branch", [h.make_node("If", ["c"], ["y"], then_branch=branch, else_branch=negated)],
     [("c", T.BOOL, []), ("x", T.FLOAT, [5, 4, 2])], T.FLOAT, {"inferis_einsum_0": weight})
function = h.make_function("inferis.test", "BatchedProduct", ["a", "b"], ["product"],
                           [h.make_node("Einsum", ["a", "b"], ["product"], equation=batched)],
                           [h.make_opsetid("", 17)])
save("einsum_in_function", [h.make_node("BatchedProduct", ["w", "x"], ["y"], domain="inferis.test")],
     [("x", T.FLOAT, [5, 4, 2])], T.FLOAT, {"w": weight}, functions=[function])
save("einsum_any_ranks", [h.make_node("Einsum", ["a", "b"], ["y"], equation=batched)],
     [("a", T.FLOAT, None), ("b", T.FLOAT, None)], T.FLOAT)
save("einsum_short_rank", [h.make_node("Einsum", ["a", "b"], ["y"], equation="ij,jk->ik")],
     [("a", T.FLOAT, [3]), ("b", T.FLOAT, [3, 2])], T.FLOAT)
save("einsum_product", [h.make_node("Einsum", ["a", "b"], ["y"], equation="ij,jk->ik")],
     [("a", T.FLOAT, None), ("b", T.FLOAT, None)], T.FLOAT)

two_by_two = np.ones((1, 1, 2, 2), dtype=np.float32)
save("conv_transpose_group_zero", [h.make_node("ConvTranspose", ["x", "w"], ["y"], group=0)],
     [("x", T.FLOAT, [1, 1, 3, 3])], T.FLOAT, {"w": two_by_two})
save("depth_to_space_huge_block", [h.make_node("DepthToSpace", ["x"], ["y"], blocksize=2**62)],
     [("x", T.FLOAT, [1, 4, 2, 2])], T.FLOAT)
save("gather_nd_negative_batch", [h.make_node("GatherND", ["x", "i"], ["y"], batch_dims=-436)],
     [("x", T.FLOAT, [4, 4]), ("i", T.INT64, [2, 1])], T.FLOAT)
save("max_roi_pool_one_dim", [h.make_node("MaxRoiPool", ["x", "rois"], ["y"], pooled_shape=[2])],
     [("x", T.FLOAT, [1, 1, 1])], T.FLOAT, {"rois": np.zeros((4, 5), dtype=np.float32)})
save("one_hot_empty_depth", [h.make_node("OneHot", ["i", "depth", "values"], ["y"])], [("i", T.INT64, [2])],
     T.FLOAT, {"depth": np.zeros((0, 2), dtype=np.int64), "values": np.array([0, 1], dtype=np.float32)})
save("conv_transpose_input_weights", [h.make_node("ConvTranspose", ["x", "w"], ["y"])],
     [("x", T.FLOAT, [1, 1, 3]), ("w", T.FLOAT, [1, 1, 2, 2])], T.FLOAT)
save("conv_1d_by_2d", [h.make_node("Conv", ["x", "w"], ["y"])], [("x", T.FLOAT, [1, 1, 3])], T.FLOAT,
     {"w": two_by_two})
save("col2im_input_block", [h.make_node("Col2Im", ["x", "image", "b"], ["y"])],
     [("x", T.FLOAT, [1, 4, 9]), ("b", T.INT64, [2])], T.FLOAT, {"image": np.array([4, 4], dtype=np.int64)},
     opset=18)
save("top_k_of_nothing", [h.make_node("Slice", ["x", "s", "e"], ["part"]),
                          h.make_node("TopK", ["part", "k"], ["y", "indices"], axis=-1)],
     [("x", T.FLOAT, ["N", 3]), ("s", T.INT64, [1]), ("e", T.INT64, [1])], T.FLOAT,
     {"k": np.array([1], dtype=np.int64)})
save("dot_product", [h.make_node("MatMul", ["a", "b"], ["y"])], [("a", T.FLOAT, None), ("b", T.FLOAT, None)],
     T.FLOAT)
save("gather_nd_any_ranks", [h.make_node("GatherND", ["x", "i"], ["y"])], [("x", T.FLOAT, None), ("i", T.INT64, None)],
     T.FLOAT)
save("gather_nd_batches", [h.make_node("GatherND", ["x", "i"], ["y"], batch_dims=1)],
     [("x", T.INT32, None), ("i", T.INT64, None)], T.INT32)
save("max_pool_any_rank", [h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[1, 1, 1, 2], auto_pad="SAME_LOWER")],
     [("x", T.DOUBLE, None)], T.DOUBLE)
