"""The reference CNN of the benchmarks (cnn.pt, cnn.onnx) and a Linear(4,3)+ReLU: input 1x1x28x28 FLOAT,
Conv2d(1,16,3) -> ReLU -> MaxPool 2 -> Conv2d(16,32,3) -> ReLU -> MaxPool 2 -> Linear(1568,128) -> ReLU -> Linear(128,10);
TorchScript by torch.jit.script, ONNX opset 17 with a dynamic batch dimension. Run with torch and onnx installed."""
import torch, torch.nn as nn
torch.manual_seed(0)
class CNN(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(1, 16, 3, padding=1); s.c2 = nn.Conv2d(16, 32, 3, padding=1)
        s.fc1 = nn.Linear(32*7*7, 128); s.fc2 = nn.Linear(128, 10)
    def forward(s, x):
        x = torch.max_pool2d(torch.relu(s.c1(x)), 2)
        x = torch.max_pool2d(torch.relu(s.c2(x)), 2)
        return s.fc2(torch.relu(s.fc1(x.flatten(1))))
m = CNN().eval()
torch.jit.script(m).save("cnn.pt")
x = torch.randn(1,1,28,28)
torch.onnx.export(m, (x,), "cnn.onnx", input_names=["x"], output_names=["y"], dynamic_axes={"x":{0:"n"},"y":{0:"n"}}, opset_version=17, dynamo=False)
class Lin(nn.Module):
    def __init__(s):
        super().__init__(); s.l = nn.Linear(4,3)
    def forward(s, x): return torch.relu(s.l(x))
torch.jit.script(Lin().eval()).save("linear.pt")
import numpy as np
x.numpy().astype('<f4').tofile("cnn_input.bin")
print(m(x))
