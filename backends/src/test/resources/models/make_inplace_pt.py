#!/usr/bin/env python3
"""Makes inplace_input.pt and resize_input.pt: TorchScript models that change their input in place.

Runs of one shape reuse their input tensors (TorchBinding). inplace_input.pt changes its input's data and shape, and
checks that each run still starts from its own data and shape; resize_input.pt grows its input, which must fail as it
does on an input wrapped around staged memory, never reallocate memory that later runs are copied into.
Run with torch installed (see make_models.py): /tmp/fx/bin/python make_inplace_pt.py
"""
import torch


class InPlaceInput(torch.nn.Module):
    def forward(self, x):
        x.add_(1.0)  # the data it was given
        x.unsqueeze_(0)  # and its shape
        return x * 2


class ResizeInput(torch.nn.Module):
    def forward(self, x):
        x.resize_(x.numel() * 1000)
        return x.sum()


torch.jit.script(InPlaceInput()).save("inplace_input.pt")
torch.jit.script(ResizeInput()).save("resize_input.pt")
