"""Writes a TorchScript archive padded to about N MB: the fixture's records plus one stored record that
libtorch loads and ignores. Usage: pad_model.py SOURCE.pt TARGET.pt MEGABYTES"""
import sys
import zipfile

source, target, megabytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as padded:
    root = original.namelist()[0].split("/")[0]
    for name in original.namelist():
        padded.writestr(name, original.read(name))
    padded.writestr(root + "/extra/padding.bin", bytes(megabytes << 20))
