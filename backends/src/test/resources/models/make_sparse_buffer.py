#!/usr/bin/env python3
"""Makes sparse_buffer.pt: a TorchScript model with a sparse buffer whose index lies far outside its size.

libtorch rebuilds the buffer from data.pkl without checking its indices, and forward's to_dense() then writes
outside the dense tensor it makes: storing the model must be refused.
Run with torch installed (see make_models.py): /tmp/fx/bin/python make_sparse_buffer.py
"""
import torch


class SparseBuffer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("weights", torch.sparse_coo_tensor(
            torch.tensor([[100_000_000]]), torch.tensor([1.0]), [4], check_invariants=False))

    def forward(self, x):
        return x + self.weights.to_dense()


torch.jit.script(SparseBuffer()).save("sparse_buffer.pt")
