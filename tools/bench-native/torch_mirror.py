"""What the PyTorch mirrors of the generation benchmarks share (tools/wgan-reference,
tools/bibae-reference): reading safetensors without the safetensors package, PyTorch layers
from TF.js weight layouts, and the timing protocol of tools/bench-native/generate-bench.mjs
(ms per shower of a `generate(n, energy)` at each batch size, one warm-up call below 10 000).
"""
import json
import struct
import time

import torch
from torch import nn


def load_safetensors(path):
    """{name: float32 tensor} of a safetensors file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + a : 8 + n + b]), dtype=torch.float32).reshape(info["shape"])
    return out


def _with(m, w, bias):
    m.weight.data = w
    if bias is not None:
        m.bias.data = bias.clone()
    return m


def linear(kernel, bias):
    """nn.Linear from a TF.js Dense kernel [in, out] (and bias [out] or None)."""
    return _with(nn.Linear(kernel.shape[0], kernel.shape[1], bias=bias is not None), kernel.t().contiguous(), bias)


def conv(kernel, bias, stride, padding):
    """nn.Conv3d from a TF.js conv3d kernel [kd, kh, kw, in, out]."""
    w = kernel.permute(4, 3, 0, 1, 2).contiguous()  # (out, in, kd, kh, kw)
    return _with(nn.Conv3d(w.shape[1], w.shape[0], tuple(w.shape[2:]), stride=stride, padding=padding, bias=bias is not None), w, bias)


def convt(kernel, bias, stride, padding, output_padding=0):
    """nn.ConvTranspose3d from a TF.js conv3dTranspose kernel [kd, kh, kw, out, in]."""
    w = kernel.permute(4, 3, 0, 1, 2).contiguous()  # (in, out, kd, kh, kw)
    m = nn.ConvTranspose3d(w.shape[0], w.shape[1], tuple(w.shape[2:]), stride=stride, padding=padding, output_padding=output_padding, bias=bias is not None)
    return _with(m, w, bias)


def layer_norm(gamma, beta):
    """nn.LayerNorm over gamma's shape (eps 1e-5, core's LayerNorm default)."""
    ln = nn.LayerNorm(tuple(gamma.shape), eps=1e-5)
    ln.weight.data = gamma.contiguous()
    ln.bias.data = beta.contiguous()
    return ln


def time_batches(generate, batches, seconds):
    """Rows {batch, msPerShower, std, calls}: per batch (showers at 50 GeV) one warm-up call below
    10 000, then calls for `seconds`; a batch of 10 000 or more is one call."""
    rows = []
    for b in batches:
        energy = torch.full((b, 1), 50000.0)
        if b < 10000:
            generate(b, energy)
        times = []
        t_end = time.perf_counter() + seconds
        while True:
            t0 = time.perf_counter()
            generate(b, energy)
            times.append((time.perf_counter() - t0) * 1000 / b)
            if b >= 10000 or time.perf_counter() > t_end:
                break
        mean = sum(times) / len(times)
        std = (sum((t - mean) ** 2 for t in times) / max(1, len(times) - 1)) ** 0.5
        rows.append({"batch": b, "msPerShower": mean, "std": std, "calls": len(times)})
    return rows


def emit(result, path):
    """Prints the result as one JSON line and writes it to `path` (when given)."""
    text = json.dumps(result)
    if path:
        with open(path, "w") as f:
            f.write(text)
    print(text)
