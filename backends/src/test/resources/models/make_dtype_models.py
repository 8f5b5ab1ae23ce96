#!/usr/bin/env python3
"""Makes models whose outputs have dtypes the TORCH backend cannot hand back (DJL's libtorch bridge lacks them).

Run from this folder with torch installed (see make_models.py): /tmp/fx/bin/python make_dtype_models.py
Writes to_bfloat16.pt, to_int16.pt and to_float16.pt: each returns its input converted to that dtype.
"""
import torch
from torch import nn


class To(nn.Module):
    def __init__(self, dtype: torch.dtype):
        super().__init__()
        self.dtype = dtype

    def forward(self, x):
        return x.to(self.dtype)


for name, dtype in [("bfloat16", torch.bfloat16), ("int16", torch.int16), ("float16", torch.float16)]:
    torch.jit.script(To(dtype)).save(f"to_{name}.pt")
