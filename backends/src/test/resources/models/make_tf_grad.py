#!/usr/bin/env python3
"""Makes tf_pool_grad.pb: x: FLOAT [None] (unused) -> y = MaxPoolGradWithArgmax whose argmax lies far past its input.

TensorFlow's kernel CHECKs the argmax and aborts the process when it fails: the graph must be refused (inference graphs
have no gradient ops). Run with tensorflow-cpu installed (see make_tf_models.py): /tmp/tf/bin/python make_tf_grad.py
"""
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
graph = tf1.Graph()
with graph.as_default():
    tf1.placeholder(tf.float32, [None], name="x")
    grad = tf.raw_ops.MaxPoolGradWithArgmax(
        input=tf.ones([1, 2, 2, 1]), grad=tf.ones([1, 1, 1, 1]), argmax=tf.constant([[[[100_000_000]]]], tf.int64),
        ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="VALID")
    tf.identity(grad, name="y")
with open("tf_pool_grad.pb", "wb") as out:
    out.write(graph.as_graph_def().SerializeToString())
