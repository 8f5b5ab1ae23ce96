#!/usr/bin/env python3
"""Makes inplace_input.pt, resize_input.pt and keep_input.pt: TorchScript models that change or keep their input.

Runs of one shape reuse their input tensors (TorchBinding). inplace_input.pt changes its input's data and shape, and
checks that each run still starts from its own data and shape; resize_input.pt grows its input after using it, so
libtorch reallocates the input's memory, and checks that later runs' data still reaches the model; keep_input.pt keeps
its input for the next run (returning x minus the previous x), which must not see later runs' data in it.
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
        doubled = x * 2
        x.resize_(x.numel() * 1000)
        return doubled


class KeepInput(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.previous = torch.zeros(1)

    def forward(self, x):
        change = x - self.previous
        self.previous = x
        return change


torch.jit.script(InPlaceInput()).save("inplace_input.pt")
torch.jit.script(ResizeInput()).save("resize_input.pt")
torch.jit.script(KeepInput()).save("keep_input.pt")
