"""The reference CNN as a TensorFlow frozen graph (cnn.pb), with cnn.onnx's weights, so TF runs the very network
cnn.pt and cnn.onnx hold: input x FLOAT [n,1,28,28] (NCHW, as the others take it), output y [n,10]. TF's CPU kernels
convolve NHWC, so the graph transposes in and back before flattening, keeping PyTorch's flatten order.
Run with tensorflow-cpu and onnx installed; prints the largest difference from onnxruntime's output when it is
installed too."""
import numpy as np
import onnx
import tensorflow as tf
from onnx import numpy_helper

tf1 = tf.compat.v1
tf1.disable_eager_execution()
w = {t.name: numpy_helper.to_array(t) for t in onnx.load("cnn.onnx").graph.initializer}


def conv(x, name):  # PyTorch's [out, in, kh, kw] to TF's [kh, kw, in, out], padding 1
    y = tf.nn.conv2d(x, tf.constant(w[name + ".weight"].transpose(2, 3, 1, 0)), strides=1, padding="SAME")
    return tf.nn.relu(y + w[name + ".bias"])


g = tf1.Graph()
with g.as_default():
    x = tf1.placeholder(tf.float32, shape=[None, 1, 28, 28], name="x")
    h = tf.transpose(x, [0, 2, 3, 1])
    h = tf.nn.max_pool2d(conv(h, "c1"), 2, 2, "VALID")
    h = tf.nn.max_pool2d(conv(h, "c2"), 2, 2, "VALID")
    h = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [-1, 32 * 7 * 7])
    h = tf.nn.relu(tf.matmul(h, w["fc1.weight"].T) + w["fc1.bias"])
    tf.identity(tf.matmul(h, w["fc2.weight"].T) + w["fc2.bias"], name="y")
    sample = np.fromfile("cnn_input.bin", dtype="<f4").reshape(1, 1, 28, 28)
    with tf1.Session(graph=g) as session:
        y = session.run("y:0", {"x:0": sample})
with open("cnn.pb", "wb") as f:
    f.write(g.as_graph_def().SerializeToString())
print(y)
try:
    import onnxruntime
    reference = onnxruntime.InferenceSession("cnn.onnx").run(None, {"x": sample})[0]
    print("largest difference from onnxruntime:", np.abs(reference - y).max())
except ImportError:
    pass
