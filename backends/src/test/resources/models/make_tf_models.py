#!/usr/bin/env python3
"""Makes the TensorFlow fixtures: frozen graphs (TF1 GraphDefs, as RedisAI's TF backend takes them) and crafted ones.

Run from this folder with tensorflow-cpu and numpy installed (the local package mirror has them):
    python3 -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu numpy
    /tmp/tf/bin/python make_tf_models.py
Writes:
  tf_mul.pb       a, b: FLOAT [None, 2] -> mul = a * b (the graph the official RedisAI clients test with)
  tf_conv.pb      x: FLOAT [None, 6, 6, 1] -> Conv2D 3x3x2 + ReLU -> MatMul to 3 -> logits (seeded weights)
  tf_dtypes.pb    one Placeholder per dtype (in_<dtype>) and its Identity (out_<dtype>)
  tf_count.pb     n: INT64 [] -> count: a while loop counting to n (n large: a run that takes long)
  tf_unknown_op.pb    a graph with a node of an op TensorFlow does not have
  tf_recursive.pb     a function that calls itself, called by the graph
  tf_nested.pb        attribute values nested 5,000 deep (hand-encoded protobuf)
and adds tf_mul's and tf_conv's inputs and TensorFlow's outputs for them to expected.json.
"""
import json

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
tf1.disable_eager_execution()
rng = np.random.default_rng(7)


def frozen(build, feeds, fetches):
    """Builds a graph, writes nothing; returns (graph_def, outputs for the feeds)."""
    g = tf1.Graph()
    with g.as_default():
        build()
        with tf1.Session(graph=g) as session:
            outputs = session.run(fetches, {name + ":0": value for name, value in feeds.items()})
    return g.as_graph_def(), outputs


def write(name, graph_def):
    with open(name, "wb") as f:
        f.write(graph_def.SerializeToString())


def spec(name, value):
    return {"name": name, "dtype": "FLOAT", "shape": list(value.shape),
            "values": [float(v) for v in value.flatten()]}


expected = json.load(open("expected.json"))

# a * b
def mul():
    a = tf1.placeholder(tf.float32, shape=[None, 2], name="a")
    b = tf1.placeholder(tf.float32, shape=[None, 2], name="b")
    tf.multiply(a, b, name="mul")

feeds = {"a": np.array([[2, 3], [4, 5]], np.float32), "b": np.array([[3, 5], [0.5, -1]], np.float32)}
graph_def, (product,) = frozen(mul, feeds, ["mul:0"])
write("tf_mul.pb", graph_def)
expected["tf_mul"] = {"inputs": [spec(n, v) for n, v in feeds.items()], "outputs": [spec("mul", product)]}

# a small conv net with constant weights
kernel = rng.standard_normal((3, 3, 1, 2)).astype(np.float32)
dense = rng.standard_normal((32, 3)).astype(np.float32)

def conv():
    x = tf1.placeholder(tf.float32, shape=[None, 6, 6, 1], name="x")
    hidden = tf.nn.relu(tf.nn.conv2d(x, tf.constant(kernel), strides=1, padding="VALID"))
    tf.matmul(tf.reshape(hidden, [-1, 32]), tf.constant(dense), name="logits")

feeds = {"x": rng.standard_normal((2, 6, 6, 1)).astype(np.float32)}
graph_def, (logits,) = frozen(conv, feeds, ["logits:0"])
write("tf_conv.pb", graph_def)
expected["tf_conv"] = {"inputs": [spec("x", feeds["x"])], "outputs": [spec("logits", logits)]}

with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1)

# every dtype of Inferis's tensors
DTYPES = {"float": tf.float32, "double": tf.float64, "float16": tf.float16, "bfloat16": tf.bfloat16,
          "int8": tf.int8, "int16": tf.int16, "int32": tf.int32, "int64": tf.int64, "uint8": tf.uint8,
          "uint16": tf.uint16, "bool": tf.bool, "string": tf.string}
g = tf1.Graph()
with g.as_default():
    for name, dtype in DTYPES.items():
        tf.identity(tf1.placeholder(dtype, shape=None, name="in_" + name), name="out_" + name)
write("tf_dtypes.pb", g.as_graph_def())

# a loop that runs n times
g = tf1.Graph()
with g.as_default():
    n = tf1.placeholder(tf.int64, shape=[], name="n")
    count = tf1.while_loop(lambda i: i < n, lambda i: i + 1, [tf.constant(0, tf.int64)])
    tf.identity(count, name="count")
write("tf_count.pb", g.as_graph_def())

# an op TensorFlow does not have
graph_def = tf1.GraphDef()
node = graph_def.node.add(name="a", op="Placeholder")
node.attr["dtype"].type = tf.float32.as_datatype_enum
graph_def.node.add(name="out", op="NoSuchOpInTensorFlow", input=["a"])
write("tf_unknown_op.pb", graph_def)

# f(x) = f(x): a function that calls itself
graph_def = tf1.GraphDef()
node = graph_def.node.add(name="a", op="Placeholder")
node.attr["dtype"].type = tf.float32.as_datatype_enum
function = graph_def.library.function.add()
function.signature.name = "f"
function.signature.input_arg.add(name="x", type=tf.float32.as_datatype_enum)
function.signature.output_arg.add(name="y", type=tf.float32.as_datatype_enum)
function.node_def.add(name="again", op="f", input=["x"])
function.ret["y"] = "again:y:0"
graph_def.node.add(name="out", op="f", input=["a"])
write("tf_recursive.pb", graph_def)


# GraphDef.node[0].attr["k"] = AttrValue{func: NameAttrList{attr: {"k": AttrValue{func: ...}}}}, 5,000 deep
def field(number, payload):
    def varint(value):
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            if value:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                return bytes(out)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


attr_value = b""
for _ in range(5000):
    entry = field(1, b"k") + field(2, attr_value)  # map entry: key, AttrValue
    attr_value = field(10, field(1, b"f") + field(2, entry))  # AttrValue.func = NameAttrList{name, attr}
node = field(1, b"n") + field(2, b"NoOp") + field(5, field(1, b"k") + field(2, attr_value))
with open("tf_nested.pb", "wb") as f:
    f.write(field(1, node))
print("TensorFlow", tf.__version__)
