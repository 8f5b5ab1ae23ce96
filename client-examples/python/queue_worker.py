"""A producer/worker queue on a Redis list, the way teams serve streaming jobs: producers LPUSH jobs, workers
BRPOP them, classify each image with one AI.DAGEXECUTE, and push the answer to the job's reply list, where the
producer waits for it with BRPOP."""
import threading
import uuid

import numpy as np

from common import connect, store_model, to_numpy

JOBS = "queue:jobs"
WORKERS = 2
COUNT = 40


def worker() -> None:
    r = connect()
    while True:
        _, job = r.brpop(JOBS)
        if job == b"stop":
            return
        job_id, image = job[:36].decode(), job[36:]
        scores = r.execute_command(
            "AI.DAGEXECUTE", "ROUTING", job_id,
            "|>", "AI.TENSORSET", "image", "FLOAT", 1, 1, 28, 28, "BLOB", image,
            "|>", "AI.MODELEXECUTE", "queue:cnn", "INPUTS", 1, "image", "OUTPUTS", 1, "scores",
            "|>", "AI.TENSORGET", "scores", "META", "BLOB")[2]
        r.lpush(f"queue:reply:{job_id}", int(to_numpy(scores).argmax()))


r = connect()
store_model(r, "queue:cnn", "TORCH", "mnist_cnn.pt", "BATCHSIZE", 8)
threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
for thread in threads:
    thread.start()

images = np.random.default_rng(3).random((COUNT, 1, 28, 28), dtype=np.float32)
jobs = []
for image in images:
    job_id = str(uuid.uuid4())
    r.lpush(JOBS, job_id.encode() + image.astype("<f4").tobytes())
    jobs.append(job_id)
answers = [int(r.brpop(f"queue:reply:{job_id}", timeout=30)[1]) for job_id in jobs]
for _ in threads:
    r.lpush(JOBS, "stop")
for thread in threads:
    thread.join()

print(f"{COUNT} jobs through {WORKERS} workers, classes {answers[:10]}...")
assert len(answers) == COUNT and all(0 <= answer < 10 for answer in answers)
print("queue_worker.py: OK")
