#!/usr/bin/env python3
"""Makes inplace_input.pt: a TorchScript model that changes its input in place, data and shape, before using it.

Runs of one shape reuse their input tensors (TorchBinding); this model checks that each run still starts from its own
data and shape. Run with torch installed (see make_models.py): /tmp/fx/bin/python make_inplace_pt.py
"""
import torch


class InPlaceInput(torch.nn.Module):
    def forward(self, x):
        x.add_(1.0)  # the data it was given
        x.unsqueeze_(0)  # and its shape
        return x * 2


torch.jit.script(InPlaceInput()).save("inplace_input.pt")
