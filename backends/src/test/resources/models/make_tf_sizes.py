#!/usr/bin/env python3
"""Makes tf_sizes.pb: TensorFlow lists, TensorArrays and sparse rows sized by a run's input, past which TensorFlow's
std::vector allocation threw std::bad_alloc and aborted the process (x = [2^30, ...], for rows [2^40, ...]). Input x:
FLOAT [None]; n = x[0] as INT32 (as INT64 for rows). Each output is a size, as FLOAT (store the graph once per output):
  reserve                TensorListReserve(num_elements=n)                              -> n
  resize                 TensorListResize(empty list, size=n)                           -> n
  set_item               TensorListSetItem(empty list, index=n, resize_if_index_out_of_bounds) -> n + 1
  scatter                TensorListScatterV2(one row, indices=[n])                      -> n + 1
  scatter_num_elements   TensorListScatterV2(one row, indices=[0], num_elements=n)      -> n
  scatter_existing       TensorListScatterIntoExistingList(empty list, one row, indices=[n]) -> n + 1
  tensor_array           TensorArrayV3(size=n)                                          -> n
  tensor_array_write     TensorArrayWriteV3(dynamic array, index=n)                     -> n + 1
  tensor_array_scatter   TensorArrayScatterV3(dynamic array, indices=[n])               -> n + 1
  reserve_in_function    TensorListReserve(num_elements=n) inside a function the graph calls -> n
  rows                   SparseFillEmptyRows of one value at [0, 0] in a dense shape [n, 1]: the rows it fills -> n
Run with tensorflow-cpu installed (see make_tf_models.py): /tmp/tf/bin/python make_tf_lists.py
"""
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
ops = tf.raw_ops


def any_shape():
    return tf.constant(-1, tf.int32)


def empty_list():
    return ops.EmptyTensorList(element_shape=any_shape(), max_num_elements=-1, element_dtype=tf.float32)


def length(handle):
    return ops.TensorListLength(input_handle=handle)


def array_size(handle, flow):
    return ops.TensorArraySizeV3(handle=handle, flow_in=flow)


@tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
def reserve_in_function(n):
    return length(ops.TensorListReserve(element_shape=any_shape(), num_elements=n, element_dtype=tf.float32))


def build():
    x = tf1.placeholder(tf.float32, [None], name="x")
    n = tf.cast(x[0], tf.int32)
    row = tf.reshape(x, [1, -1])
    rows, _, _, _ = ops.SparseFillEmptyRows(indices=tf.constant([[0, 0]], tf.int64), values=[1.0],
                                           dense_shape=tf.stack([tf.cast(x[0], tf.int64), 1]), default_value=0.0)
    sizes = {
        "reserve": length(ops.TensorListReserve(element_shape=any_shape(), num_elements=n, element_dtype=tf.float32)),
        "resize": length(ops.TensorListResize(input_handle=empty_list(), size=n)),
        "set_item": length(ops.TensorListSetItem(input_handle=empty_list(), index=n, item=x,
                                                 resize_if_index_out_of_bounds=True)),
        "scatter": length(ops.TensorListScatterV2(tensor=row, indices=tf.reshape(n, [1]), element_shape=any_shape(),
                                                  num_elements=-1)),
        "scatter_num_elements": length(ops.TensorListScatterV2(tensor=row, indices=[0], element_shape=any_shape(),
                                                               num_elements=n)),
        "scatter_existing": length(ops.TensorListScatterIntoExistingList(input_handle=empty_list(), tensor=row,
                                                                         indices=tf.reshape(n, [1]))),
        "tensor_array": array_size(*ops.TensorArrayV3(size=n, dtype=tf.float32)),
        "reserve_in_function": reserve_in_function(n),
        "rows": tf.shape(rows)[0],
    }
    handle, flow = ops.TensorArrayV3(size=0, dtype=tf.float32, dynamic_size=True)
    sizes["tensor_array_write"] = array_size(handle, ops.TensorArrayWriteV3(handle=handle, index=n, value=x,
                                                                           flow_in=flow))
    handle, flow = ops.TensorArrayV3(size=0, dtype=tf.float32, dynamic_size=True)
    sizes["tensor_array_scatter"] = array_size(handle, ops.TensorArrayScatterV3(
        handle=handle, indices=tf.reshape(n, [1]), value=row, flow_in=flow))
    for name, size in sizes.items():
        tf.identity(tf.cast(size, tf.float32), name=name)


graph = tf1.Graph()
with graph.as_default():
    build()
with open("tf_sizes.pb", "wb") as out:
    out.write(graph.as_graph_def().SerializeToString())
