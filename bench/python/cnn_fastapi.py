"""The MNIST CNN behind FastAPI + uvicorn, with the asyncio micro-batching queue teams write for it:
requests wait up to MAX_WAIT_MS for others, up to MAX_BATCH images run as one forward in a thread.

POST /predict with 1x1x28x28 little-endian float32 bytes; the reply is the 10 logits as float32 bytes.
Run: MODEL=mnist_cnn.pt uvicorn cnn_fastapi:app --port 8000"""
import asyncio
import os

import numpy as np
import torch
from fastapi import FastAPI, Request, Response

MAX_BATCH = int(os.environ.get("MAX_BATCH", "32"))
MAX_WAIT_MS = float(os.environ.get("MAX_WAIT_MS", "2"))

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
model = torch.jit.load(os.environ["MODEL"]).eval()
app = FastAPI()
queue: asyncio.Queue = asyncio.Queue()


def forward(images: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return model(torch.from_numpy(images)).numpy()


async def batcher() -> None:
    loop = asyncio.get_running_loop()
    while True:
        items = [await queue.get()]
        deadline = loop.time() + MAX_WAIT_MS / 1000
        while len(items) < MAX_BATCH:
            timeout = deadline - loop.time()
            if timeout <= 0:
                break
            try:
                items.append(await asyncio.wait_for(queue.get(), timeout))
            except asyncio.TimeoutError:
                break
        images = np.concatenate([image for image, _ in items])
        try:
            logits = await loop.run_in_executor(None, forward, images)
            for row, (_, future) in enumerate(items):
                future.set_result(logits[row:row + 1])
        except Exception as error:  # every waiting request gets the failure
            for _, future in items:
                future.set_exception(error)


@app.on_event("startup")
async def start_batcher() -> None:
    asyncio.get_running_loop().create_task(batcher())


@app.post("/predict")
async def predict(request: Request) -> Response:
    image = np.frombuffer(await request.body(), dtype="<f4").reshape(1, 1, 28, 28)
    future = asyncio.get_running_loop().create_future()
    await queue.put((image, future))
    logits = await future
    return Response(content=logits.astype("<f4").tobytes(), media_type="application/octet-stream")
