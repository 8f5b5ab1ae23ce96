#!/usr/bin/env python3
"""Makes divide_on_load.pt: a TorchScript module whose __setstate__, which libtorch runs while it loads the archive,
divides the least 64-bit integer (kept in its state) by -1: the processor traps (SIGFPE) and libtorch does not check.
A model no check at store time can tell from a harmless one; engine-isolation contains it (EngineIsolationIT).
Run with torch installed (see make_models.py): /tmp/fx/bin/python make_divide_on_load.py
"""
import torch


class DivideOnLoad(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.least = -2**63
        self.divisor = -1
        self.quotient = 0

    def forward(self, x):
        return x + self.quotient

    @torch.jit.export
    def __getstate__(self):
        return (self.least, self.divisor, self.training)

    @torch.jit.export
    def __setstate__(self, state: tuple[int, int, bool]):
        self.least = state[0]
        self.divisor = state[1]
        self.quotient = state[0] // state[1]
        self.training = state[2]


torch.jit.save(torch.jit.script(DivideOnLoad()), "divide_on_load.pt")
print("wrote divide_on_load.pt")
