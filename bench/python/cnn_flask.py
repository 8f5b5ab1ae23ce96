"""The MNIST CNN behind a plain Flask handler, one forward per request, served by gunicorn.

POST /predict with 1x1x28x28 little-endian float32 bytes; the reply is the 10 logits as float32 bytes.
Run: MODEL=mnist_cnn.pt gunicorn -w 2 -b 127.0.0.1:8001 cnn_flask:app"""
import os

import numpy as np
import torch
from flask import Flask, Response, request

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
model = torch.jit.load(os.environ["MODEL"]).eval()
app = Flask(__name__)


@app.post("/predict")
def predict() -> Response:
    image = np.frombuffer(request.get_data(), dtype="<f4").reshape(1, 1, 28, 28)
    with torch.inference_mode():
        logits = model(torch.from_numpy(image.copy())).numpy()
    return Response(logits.astype("<f4").tobytes(), mimetype="application/octet-stream")
