#!/usr/bin/env python3
"""Makes the fixture models of the model-execution tests, with their expected outputs.

Run from this folder with torch, onnx, onnxruntime and numpy installed (the local package mirror has them):
    python3 -m venv /tmp/fx && /tmp/fx/bin/pip install torch onnx onnxruntime numpy
    /tmp/fx/bin/python make_models.py
Writes <name>.pt (TorchScript), <name>.onnx and expected.json: per model, its inputs and the outputs
that PyTorch computed for them, which the tests compare with what Inferis returns.
"""
import io
import json
import zipfile

import numpy as np
import torch
from torch import nn

torch.manual_seed(7)


class AddMul(nn.Module):
    def forward(self, a, b):
        return a + b, a * b


class LinearRelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, x):
        return torch.relu(self.linear(x))


class MultiOutput(nn.Module):
    def forward(self, x):
        return x * 2, x.sum(dim=1, keepdim=True), torch.sigmoid(x)


class MnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, image):
        x = torch.max_pool2d(torch.relu(self.conv(image)), 2)
        return torch.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)


class Int64Affine(nn.Module):
    def forward(self, ids):
        return ids * 3 + 1


class WrongBatch(nn.Module):
    """Returns one row more than it was given: its output batch dim differs from its input's."""

    def forward(self, x):
        return torch.cat([x, x[:1]], dim=0)


def values(t):
    return t.detach().numpy().flatten().tolist()


def dtype_name(t):
    return {torch.float32: "FLOAT", torch.int64: "INT64"}[t.dtype]


def make(name, module, inputs, input_names, output_names, batched):
    module.eval()
    scripted = torch.jit.script(module)
    scripted.save(name + ".pt")
    dynamic = {n: {0: "batch"} for n in input_names + output_names} if batched else None
    torch.onnx.export(module, tuple(inputs), name + ".onnx", input_names=input_names,
                      output_names=output_names, opset_version=17, dynamo=False, dynamic_axes=dynamic)
    with torch.no_grad():
        outputs = module(*inputs)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    return {
        "inputs": [{"name": n, "dtype": dtype_name(t), "shape": list(t.shape), "values": values(t)}
                   for n, t in zip(input_names, inputs)],
        "outputs": [{"name": n, "dtype": dtype_name(t), "shape": list(t.shape), "values": values(t)}
                    for n, t in zip(output_names, outputs)],
    }


def future_version(source, target):
    """Copies a TorchScript archive but declares a file-format version no libtorch reads yet."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.endswith("/version") or item.filename.endswith("/.data/version"):
                data = b"99\n"
            zout.writestr(item, data)


expected = {
    "add_mul": make("add_mul", AddMul(),
                    [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[5.0, 6.0], [7.0, 8.0]])],
                    ["a", "b"], ["sum", "product"], batched=False),
    "linear_relu": make("linear_relu", LinearRelu(), [torch.randn(2, 4)], ["x"], ["y"], batched=True),
    "multi_output": make("multi_output", MultiOutput(), [torch.randn(2, 3)], ["x"],
                         ["doubled", "row_sum", "sigmoid"], batched=True),
    "mnist_cnn": make("mnist_cnn", MnistCnn(), [torch.rand(2, 1, 28, 28)], ["image"], ["log_probs"], batched=True),
    "int64_affine": make("int64_affine", Int64Affine(), [torch.tensor([[1, -2, 3], [40, 50, -60]])],
                         ["ids"], ["out"], batched=True),
    "wrong_batch": make("wrong_batch", WrongBatch(), [torch.randn(2, 4)], ["x"], ["y"], batched=True),
}
future_version("add_mul.pt", "future_version.pt")

with open("expected.json", "w") as out:
    json.dump(expected, out, indent=1)
print("wrote", ", ".join(sorted(expected)))
