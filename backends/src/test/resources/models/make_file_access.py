#!/usr/bin/env python3
"""Makes TorchScript archives whose code writes a file, each hidden from a naive check in its own way.

Every one calls torch.save(..., "inferis-file-access-fixture.out"), relative to the server's working directory:
- save_on_load.pt: from the module's __setstate__, which libtorch runs while it loads the archive;
- save_in_upper_case.pt: from forward, in a code file named "...__torch__.PY", which libtorch's zip reader (miniz)
  finds when asked for "...__torch__.py", as it looks names up without regard to case;
- save_behind_zip64.pt: from forward, in a central directory that only the zip64 end record points to; the plain
  end record points to a second directory, of the harmless original, which miniz does not read.
Run with torch installed (see make_models.py): /tmp/fx/bin/python make_file_access.py
"""
import io
import struct
import zipfile

import torch

TARGET = "inferis-file-access-fixture.out"


class Stateful(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.ones(1)

    def forward(self, x):
        return x * self.scale

    @torch.jit.export
    def __getstate__(self):
        return (self.scale, self.training)

    @torch.jit.export
    def __setstate__(self, state: tuple[torch.Tensor, bool]):
        self.scale = state[0]
        self.training = state[1]
        print("loaded")


class Double(torch.nn.Module):
    def forward(self, x):
        return x * 2


def archive(module):
    out = io.BytesIO()
    torch.jit.save(torch.jit.script(module), out)
    return out.getvalue()


def entries(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def rezip(items):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in items:
            z.writestr(name, data)
    return out.getvalue()


def code_name(items):
    return next(name for name, _ in items if name.endswith("code/__torch__.py"))


def with_code(items, old, new, rename=None):
    name = code_name(items)
    result = []
    for n, data in items:
        if n == name:
            text = data.decode()
            assert old in text, text
            data = text.replace(old, new).encode()
            n = rename(n) if rename else n
        result.append((n, data))
    return result


def behind_zip64(hidden, shown):
    """hidden's entries and directory, then shown's, then a zip64 end record for hidden's and a plain one for shown's."""
    def split(data):
        end = data.rindex(b"PK\x05\x06")
        count, size, offset = struct.unpack("<HII", data[end + 10:end + 20])
        return data[:offset], data[offset:offset + size], count

    hidden_entries, hidden_dir, hidden_count = split(hidden)
    shown_entries, shown_dir, shown_count = split(shown)
    base = len(hidden_entries) + len(hidden_dir)
    moved = bytearray(shown_dir)  # shown's local headers move behind hidden's: shift each entry's offset
    at = 0
    for _ in range(shown_count):
        name_len, extra_len, comment_len = struct.unpack("<HHH", moved[at + 28:at + 34])
        local, = struct.unpack("<I", moved[at + 42:at + 46])
        moved[at + 42:at + 46] = struct.pack("<I", local + base)
        at += 46 + name_len + extra_len + comment_len
    body = hidden_entries + hidden_dir + shown_entries + bytes(moved)
    zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, hidden_count, hidden_count,
                            len(hidden_dir), len(hidden_entries))
    locator = struct.pack("<IIQI", 0x07064b50, 0, len(body), 1)
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, shown_count, shown_count, len(moved),
                      base + len(shown_entries), 0)
    return body + zip64_end + locator + end


call = 'torch.save(x, "%s")\n    return ' % TARGET
stateful = entries(archive(Stateful()))
open("save_on_load.pt", "wb").write(rezip(with_code(stateful, 'print("loaded")', 'torch.save(state, "%s")' % TARGET)))
double = entries(archive(Double()))
open("save_in_upper_case.pt", "wb").write(
    rezip(with_code(double, "return ", call, rename=lambda n: n[:-3] + ".PY")))
open("save_behind_zip64.pt", "wb").write(behind_zip64(rezip(with_code(double, "return ", call)), rezip(double)))
print("wrote save_on_load.pt, save_in_upper_case.pt, save_behind_zip64.pt")
