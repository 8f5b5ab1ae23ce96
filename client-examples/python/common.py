"""What the examples share: the connection, where the example models are, and tensors to and from NumPy."""
import os
import pathlib

import numpy as np
import redis

MODELS = pathlib.Path(__file__).resolve().parents[2] / "backends" / "src" / "test" / "resources" / "models"
DTYPES = {"FLOAT": "<f4", "DOUBLE": "<f8", "INT64": "<i8", "INT32": "<i4", "UINT8": "u1"}


def connect() -> redis.Redis:
    return redis.Redis(host=os.environ.get("INFERIS_HOST", "127.0.0.1"), port=int(os.environ.get("INFERIS_PORT", "6379")))


def store_model(r: redis.Redis, key: str, backend: str, file: str, *options) -> None:
    r.execute_command("AI.MODELSTORE", key, backend, "CPU", *options, "BLOB", (MODELS / file).read_bytes())


def tensor_set(r, key: str, array: np.ndarray) -> None:
    """AI.TENSORSET from a FLOAT NumPy array; `r` may be a pipeline."""
    array = np.ascontiguousarray(array, dtype="<f4")
    r.execute_command("AI.TENSORSET", key, "FLOAT", *array.shape, "BLOB", array.tobytes())


def to_numpy(reply) -> np.ndarray:
    """An AI.TENSORGET key META BLOB reply: [b'dtype', T, b'shape', [dims], b'blob', bytes]."""
    fields = dict(zip(reply[0::2], reply[1::2]))
    return np.frombuffer(fields[b"blob"], dtype=DTYPES[fields[b"dtype"].decode()]).reshape(fields[b"shape"])


def tensor_get(r: redis.Redis, key: str) -> np.ndarray:
    return to_numpy(r.execute_command("AI.TENSORGET", key, "META", "BLOB"))
