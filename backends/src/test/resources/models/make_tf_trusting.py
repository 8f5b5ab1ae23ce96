#!/usr/bin/env python3
"""Makes TensorFlow graphs whose kernels abort the process (a failed CHECK) on what a client or the graph gives:
  tf_pool_grad.pb    x: FLOAT [None] (unused) -> y = MaxPoolGradWithArgmax whose argmax lies far past its input
  tf_encode_png.pb   image: UINT8 [None, None, 1], rows: INT32 [1] -> png = EncodePng(image[:rows]): rows 0 aborts
  tf_huge_window.pb  x: FLOAT [None] (unused) -> y = MaxPool3D with a window of 2^30 x 2^30 x 2^30 (crashed)
These must be refused. And one that must run:
  tf_constant_strings.pb  x: FLOAT [None] (unused) -> y = StringLength(AsString([1, 2], width=2^30)): 2 GiB of strings
                          from constants, which Grappler's constant folding aborted the process on; y = [2^30, 2^30] Run with tensorflow-cpu installed (see make_tf_models.py): /tmp/tf/bin/python make_tf_trusting.py
"""
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()


def save(name, build):
    graph = tf1.Graph()
    with graph.as_default():
        build()
    with open(name, "wb") as out:
        out.write(graph.as_graph_def().SerializeToString())


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
