#!/usr/bin/env python3
"""Records the expected result of the image pipeline test: a UINT8 28x28x3 image, pre-processed by
pipeline_script.py's `pre`, classified by mnist_cnn.pt, and reduced by `post` (argmax).

Run from this folder after make_models.py, with the same packages:  /tmp/fx/bin/python make_pipeline.py
Writes pipeline.json.
"""
import json

import torch

torch.manual_seed(11)
image = torch.randint(0, 256, (28, 28, 3), dtype=torch.uint8)
scope = {"torch": torch, "List": list, "Tensor": torch.Tensor}
exec(open("pipeline_script.py").read(), scope)
cnn = torch.jit.load("mnist_cnn.pt")
with torch.no_grad():
    batch = scope["pre"]([image], [], [])
    log_probs = cnn(batch)
    label = scope["post"]([log_probs], [], [])
with open("pipeline.json", "w") as out:
    json.dump({
        "image": image.flatten().tolist(),
        "log_probs": log_probs.flatten().tolist(),
        "label": label.tolist(),
    }, out)
print("label", label.tolist())
