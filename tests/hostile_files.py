"""Hostile files for the robustness tests: each is small on disk and built to hurt a reader
that trusts it (a zip bomb, tensors of odd layouts, metadata that is not what it says)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import torch

BOMB_CHUNK = 1 << 20


def lecture_tensors() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [
        torch.randn((27, 2), generator=g),
        torch.randn((6, 10), generator=g),
        torch.randn(10, generator=g),
        torch.randn((10, 27), generator=g),
        torch.randn(27, generator=g),
    ]


def torch_save_bytes(obj: object) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def zip_bomb(inflated_bytes: int) -> bytes:
    """A torch.save of the lecture's five tensors whose first storage entry is replaced by
    `inflated_bytes` of DEFLATE-compressed zeros (about 1/1000 of that on disk)."""
    original = zipfile.ZipFile(io.BytesIO(torch_save_bytes(lecture_tensors())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for info in original.infolist():
            if info.filename.endswith("/data/0"):
                bomb = zipfile.ZipInfo(info.filename)
                bomb.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(bomb, "w", force_zip64=True) as fh:
                    zeros = bytes(BOMB_CHUNK)
                    left = inflated_bytes
                    while left > 0:
                        fh.write(zeros[: min(left, BOMB_CHUNK)])
                        left -= BOMB_CHUNK
            else:
                zf.writestr(info.filename, original.read(info))
    return out.getvalue()


def write_bomb(path: Path, inflated_bytes: int) -> Path:
    path.write_bytes(zip_bomb(inflated_bytes))
    return path


def sparse_tensors() -> bytes:
    return torch_save_bytes([t.to_sparse() for t in lecture_tensors()])


def meta_tensors() -> bytes:
    return torch_save_bytes([torch.empty(t.shape, device="meta") for t in lecture_tensors()])


def app_file_with_metadata(good: bytes, **changes: str) -> bytes:
    """An app model file (safetensors bytes) with metadata fields replaced by `changes`."""
    n = int.from_bytes(good[:8], "little")
    header = json.loads(good[8 : 8 + n])
    header["__metadata__"].update(changes)
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + good[8 + n :]
