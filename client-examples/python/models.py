"""Stores the same CNN as TorchScript and as ONNX, sends one NumPy batch of 8 images to each, and reads the
scores back as NumPy: both engines agree."""
import numpy as np

from common import connect, store_model, tensor_get, tensor_set

r = connect()
store_model(r, "mnist:torch", "TORCH", "mnist_cnn.pt", "TAG", "v1")
store_model(r, "mnist:onnx", "ONNX", "mnist_cnn.onnx", "TAG", "v1")

images = np.random.default_rng(7).random((8, 1, 28, 28), dtype=np.float32)
# redis-py's default pipeline is a MULTI/EXEC transaction: the batch and its first image are stored together
with r.pipeline() as transaction:
    tensor_set(transaction, "mnist:images", images)
    tensor_set(transaction, "mnist:first", images[:1])
    assert len(transaction.execute()) == 2
assert np.array_equal(tensor_get(r, "mnist:first"), images[:1])
for model in ("mnist:torch", "mnist:onnx"):
    r.execute_command("AI.MODELEXECUTE", model, "INPUTS", 1, "mnist:images", "OUTPUTS", 1, f"{model}:scores")

torch_scores = tensor_get(r, "mnist:torch:scores")
onnx_scores = tensor_get(r, "mnist:onnx:scores")
print("scores", torch_scores.shape, "classes", torch_scores.argmax(axis=1).tolist())
assert torch_scores.shape == (8, 10)
assert np.allclose(torch_scores, onnx_scores, atol=1e-4), "TorchScript and ONNX disagree"
print("models.py: OK, TorchScript and ONNX agree, tensors stored in one transaction")
