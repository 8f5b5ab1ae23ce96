"""One AI.DAGEXECUTE chains two models, ONNX then TorchScript, with the intermediate tensor never leaving the
server: Linear(4,3)+ReLU feeds a model with three heads; only the result is persisted."""
import numpy as np

from common import connect, store_model, tensor_get, to_numpy

r = connect()
store_model(r, "dag:linear", "ONNX", "linear_relu.onnx")
store_model(r, "dag:heads", "TORCH", "multi_output.pt")

x = np.array([[1, 2, 3, 4], [-1, -2, -3, -4]], dtype="<f4")
replies = r.execute_command(
    "AI.DAGEXECUTE", "PERSIST", 1, "dag:row_sum",
    "|>", "AI.TENSORSET", "x", "FLOAT", *x.shape, "BLOB", x.tobytes(),
    "|>", "AI.MODELEXECUTE", "dag:linear", "INPUTS", 1, "x", "OUTPUTS", 1, "hidden",
    "|>", "AI.MODELEXECUTE", "dag:heads", "INPUTS", 1, "hidden", "OUTPUTS", 3, "doubled", "dag:row_sum", "sigmoid",
    "|>", "AI.TENSORGET", "sigmoid", "META", "BLOB")
print("step replies", replies[:3])
sigmoid = to_numpy(replies[3])
row_sum = tensor_get(r, "dag:row_sum")
print("sigmoid", sigmoid.round(3).tolist(), "row_sum (persisted)", row_sum.tolist())
assert sigmoid.shape == (2, 3) and ((sigmoid > 0) & (sigmoid < 1)).all()
assert r.exists("hidden") == 0, "DAG-local tensors stay in the DAG"
print("dag.py: OK")
