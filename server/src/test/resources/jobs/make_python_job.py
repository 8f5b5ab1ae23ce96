"""Writes python_job.safetensors the way a Python client writes a job's inputs (safetensors 0.8, numpy):
tensors named 0..4 whose values are arange(n) in each dtype, so the test can recompute them.
Run: python make_python_job.py (needs safetensors and numpy)."""
import numpy as np
from safetensors.numpy import save_file

save_file({
    "0": np.arange(6, dtype=np.float32).reshape(2, 3),
    "1": np.arange(4, dtype=np.int64),
    "2": np.arange(3, dtype=np.uint16),
    "3": np.arange(2, dtype=np.float16),
    "4": (np.arange(4) % 2).astype(np.bool_).reshape(2, 2),
}, "python_job.safetensors")
