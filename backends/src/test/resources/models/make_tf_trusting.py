#!/usr/bin/env python3
"""Makes TensorFlow graphs whose kernels abort the process (a failed CHECK) on what a client or the graph gives:
  tf_pool_grad.pb    x: FLOAT [None] (unused) -> y = MaxPoolGradWithArgmax whose argmax lies far past its input
  tf_encode_png.pb   image: UINT8 [None, None, 1], rows: INT32 [1] -> png = EncodePng(image[:rows]): rows 0 aborts
  tf_huge_window.pb  x: FLOAT [None] (unused) -> y = MaxPool3D with a window of 2^30 x 2^30 x 2^30 (crashed)
  tf_gather_batch_dims.pb  x: FLOAT [None] (unused) -> y = GatherV2 of a [2] by a scalar with batch_dims 2 (aborted
                          in shape inference as the graph loaded)
  tf_fft_zero.pb     x: FLOAT [None] (unused) -> y = RFFT2D of a 4x4 constant with fft_length [0, 0] (an assertion)
  tf_block_lstm.pb   x: FLOAT [None] (unused) -> y = BlockLSTM over 1 time step with seq_len_max 100000 (a CHECK)
  tf_unbatch.pb      x: FLOAT [None] (unused) -> y = Unbatch with a batch index past its batch (a CHECK)
  tf_boosted_trees.pb  x: FLOAT [None] (unused) -> y = BoostedTreesAggregateStats with a scalar node_ids (its shape
                     function crashed the process as the graph loaded)
  tf_unigram_sampler.pb  x: FLOAT [None] (unused) -> y = LearnedUnigramCandidateSampler with a range_max of 2^40 (a
                     CHECK that it is under 2^31 - 1)
  tf_fused_matmul.pb x: FLOAT [None] (unused) -> y = _FusedMatMul (an op TF keeps for its own rewrites) of two
                     constants, told to add a bias it is not given (crashed the process)
  tf_dataset.pb      x: FLOAT [None] (unused) -> y = the first element of a tf.data range shuffled with a buffer of
                     2^40 elements (std::bad_alloc)
  tf_abort.pb        x: FLOAT [None] -> y = x once an Abort op ran (it aborts the process)
  tf_split_outputs.pb  x: FLOAT [None] -> y = the first of a Split of x into 2^30 outputs (all the memory)
  tf_constant_fill.pb  x: FLOAT [None] (unused) -> y = the first elements of three constants of 2^32 floats each,
                     written as one value each (48 GiB as the graph runs)
These must be refused. And ones that must run:
  tf_fft.pb               x: FLOAT [4] -> y = |RFFT(x)| with fft_length [4]
  tf_constant_strings.pb  x: FLOAT [None] (unused) -> y = StringLength(AsString([1, 2], width=2^30)): 2 GiB of strings
                          from constants, which Grappler's constant folding aborted the process on; y = [2^30, 2^30]
Run with tensorflow-cpu installed (see make_tf_models.py): /tmp/tf/bin/python make_tf_trusting.py
"""
import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()


def save(name, build, constants=None, edit=None):
    """constants: values of placeholders to turn into constants once the graph is built, past the Python shape checks
    (some of which abort on them); edit: changes the GraphDef before it is written"""
    graph = tf1.Graph()
    with graph.as_default():
        build()
    graph_def = graph.as_graph_def()
    for node in graph_def.node:
        if node.name in (constants or {}):
            proto = tf.make_tensor_proto(constants[node.name])
            node.op = "Const"
            node.ClearField("attr")
            node.attr["dtype"].type = proto.dtype
            node.attr["value"].tensor.CopyFrom(proto)
    if edit:
        edit(graph_def)
    with open(name, "wb") as out:
        out.write(graph_def.SerializeToString())


def crafted(op, inputs, **attrs):
    """x: FLOAT [None], unused; y: op's first output, its inputs placeholders in_<argument> (made constants)"""
    def build():
        tf1.placeholder(tf.float32, [None], name="x")
        holders = {key: tf1.placeholder(tf.as_dtype(value.dtype), None, name="in_" + key)
                   for key, value in inputs.items()}
        output = getattr(tf.raw_ops, op)(**holders, **attrs)
        tf.identity(output[0] if isinstance(output, (list, tuple)) else output, name="y")
    return build


def pool_grad():
    tf1.placeholder(tf.float32, [None], name="x")
    grad = tf.raw_ops.MaxPoolGradWithArgmax(
        input=tf.ones([1, 2, 2, 1]), grad=tf.ones([1, 1, 1, 1]), argmax=tf.constant([[[[100_000_000]]]], tf.int64),
        ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="VALID")
    tf.identity(grad, name="y")


def encode_png():
    image = tf1.placeholder(tf.uint8, [None, None, 1], name="image")
    rows = tf1.placeholder(tf.int32, [1], name="rows")
    top = tf.slice(image, tf.concat([[0, 0, 0]], 0), tf.concat([rows, [-1, -1]], 0))
    tf.identity(tf.raw_ops.EncodePng(image=top), name="png")


def huge_window():
    tf1.placeholder(tf.float32, [None], name="x")
    pooled = tf.raw_ops.MaxPool3D(input=tf.ones([1, 1, 1, 1, 1]), ksize=[1, 2**30, 2**30, 2**30, 1],
                                  strides=[1, 1, 1, 1, 1], padding="SAME")
    tf.identity(pooled, name="y")


def constant_strings():
    tf1.placeholder(tf.float32, [None], name="x")
    wide = tf.raw_ops.AsString(input=tf.constant([1.0, 2.0]), width=2**30)
    tf.identity(tf.strings.length(wide), name="y")


save("tf_pool_grad.pb", pool_grad)
save("tf_huge_window.pb", huge_window)
save("tf_encode_png.pb", encode_png)
save("tf_constant_strings.pb", constant_strings)
def save_crafted(name, op, inputs, **attrs):
    save(name, crafted(op, inputs, **attrs), {"in_" + key: value for key, value in inputs.items()})


save_crafted("tf_gather_batch_dims.pb", "GatherV2",
             {"params": np.zeros(2, np.float32), "indices": np.int32(0), "axis": np.int32(0)}, batch_dims=2)
save_crafted("tf_fft_zero.pb", "RFFT2D",
             {"input": np.ones((4, 4), np.float32), "fft_length": np.array([0, 0], np.int32)})
save_crafted("tf_block_lstm.pb", "BlockLSTM",
             {"seq_len_max": np.int64(100000), "x": np.ones((1, 1, 2), np.float32),
              "cs_prev": np.ones((1, 3), np.float32), "h_prev": np.ones((1, 3), np.float32),
              "w": np.ones((5, 12), np.float32), "wci": np.ones(3, np.float32),
              "wcf": np.ones(3, np.float32), "wco": np.ones(3, np.float32), "b": np.ones(12, np.float32)})
save_crafted("tf_unbatch.pb", "Unbatch", {"batched_tensor": np.ones(2, np.float32),
                                          "batch_index": np.array([[0, 100000, 5]], np.int64), "id": np.int64(0)},
             timeout_micros=1)
save_crafted("tf_boosted_trees.pb", "BoostedTreesAggregateStats",
             {"node_ids": np.int32(100000), "gradients": np.ones((1, 1), np.float32),
              "hessians": np.ones((1, 1), np.float32), "feature": np.zeros((1, 1), np.int32)},
             max_splits=1, num_buckets=1)
save_crafted("tf_unigram_sampler.pb", "LearnedUnigramCandidateSampler", {"true_classes": np.zeros((1, 1), np.int64)},
             num_true=1, num_sampled=4, unique=True, range_max=2 ** 40)


def fft():
    x = tf1.placeholder(tf.float32, [4], name="x")
    tf.identity(tf.abs(tf.signal.rfft(x, fft_length=[4])), name="y")


save("tf_fft.pb", fft)


def matmul():
    tf1.placeholder(tf.float32, [None], name="x")
    tf.identity(tf.matmul(tf.ones([2, 2]), tf.ones([2, 2]), name="fused"), name="y")


def as_fused_matmul_without_bias(graph_def):
    """the MatMul becomes TensorFlow's internal _FusedMatMul, told to add a bias it is not given"""
    node = next(node for node in graph_def.node if node.name == "fused")
    node.op = "_FusedMatMul"
    node.attr["num_args"].i = 0
    node.attr["fused_ops"].list.s.append(b"BiasAdd")


save("tf_fused_matmul.pb", matmul, edit=as_fused_matmul_without_bias)


def dataset():
    tf1.placeholder(tf.float32, [None], name="x")
    shuffled = tf.data.Dataset.range(4).shuffle(2 ** 40).take(1)
    tf.identity(tf.cast(tf.data.experimental.get_single_element(shuffled), tf.float32), name="y")


save("tf_dataset.pb", dataset)


def abort():
    x = tf1.placeholder(tf.float32, [None], name="x")
    with tf.control_dependencies([tf.raw_ops.Abort(error_msg="aborted by the graph")]):
        tf.identity(x, name="y")


save("tf_abort.pb", abort)


def split():
    x = tf1.placeholder(tf.float32, [None], name="x")
    tf.identity(tf.split(x, 1, name="parts")[0], name="y")


def into_2_to_30(graph_def):
    next(node for node in graph_def.node if node.name == "parts").attr["num_split"].i = 2 ** 30


save("tf_split_outputs.pb", split, edit=into_2_to_30)


def constants():
    tf1.placeholder(tf.float32, [None], name="x")
    firsts = [tf.constant([1.0], name=f"fill{i}")[0] for i in range(3)]
    tf.identity(tf.add_n(firsts), name="y")


def as_fills(graph_def):
    for node in graph_def.node:
        if node.name.startswith("fill"):
            node.attr["value"].tensor.tensor_shape.dim[0].size = 2 ** 32


save("tf_constant_fill.pb", constants, edit=as_fills)
