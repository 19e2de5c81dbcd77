"""What the PyTorch mirrors of the benchmarks share (tools/wgan-reference, tools/bibae-reference):
reading safetensors without the safetensors package, PyTorch layers from TF.js weight layouts, the
timing protocol of tools/bench-native/generate-bench.mjs (ms per shower of a `generate(n, energy)` at
each batch size, one warm-up call below 10 000) and that of the training mirrors
(tools/bench-native/train-bench.mjs: warm-up steps, then timed steps).
"""
import argparse
import json
import os
import struct
import sys
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


def adam(params, o):
    """torch.optim.Adam with a config entry's learningRate, beta1 and beta2."""
    return torch.optim.Adam(params, lr=o["learningRate"], betas=(o["beta1"], o["beta2"]))


def training_mirror_setup(steps, warmup, stages):
    """The training mirrors' command line (DIR --threads --steps --warmup --stages --json): the
    arguments (torch's threads and seed set), DIR/config.json, a loader of DIR/weights/<name>.safetensors
    and DIR/check.safetensors."""
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=steps)
    ap.add_argument("--warmup", type=int, default=warmup)
    ap.add_argument("--stages", default=stages)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    cfg = json.load(open(os.path.join(a.dir, "config.json")))
    weights = lambda name: load_safetensors(os.path.join(a.dir, "weights", f"{name}.safetensors"))
    return a, cfg, weights, load_safetensors(os.path.join(a.dir, "check.safetensors"))


def compare(got, chk):
    """{name: maxAbsDiff, maxAbs} of the mirror's outputs `got` against TF.js's in the check file (also printed to stderr)."""
    check = {k: {"maxAbsDiff": float((v - chk[k]).abs().max()), "maxAbs": float(chk[k].abs().max())} for k, v in got.items()}
    print(json.dumps({"check": check}), file=sys.stderr)
    return check


def time_steps(name, step, batch, warmup, steps, size):
    """Runs step(*batch(i)) for `warmup` untimed and `steps` timed steps i; the stage's row (showers/s with `size` showers a step)."""
    for i in range(warmup):
        step(i, *batch(i))
    t0 = time.perf_counter()
    for i in range(warmup, warmup + steps):
        step(i, *batch(i))
    seconds = time.perf_counter() - t0
    row = {"steps": steps, "seconds": seconds, "secondsPerStep": seconds / steps, "showersPerSecond": size * steps / seconds}
    print(f"{name}: PyTorch {row['showersPerSecond']:.3g} showers/s ({row['secondsPerStep']:.3g} s/step)", file=sys.stderr)
    return row


def mlp(w, prefix, last=None):
    """Linear layers `prefix.fc<j>`, nn.LayerNorm `prefix.ln<j>` where saved and LeakyReLU 0.2 after each hidden one; LeakyReLU `last` after the output when given."""
    n = sum(1 for k in w if k.startswith(f"{prefix}.fc") and k.endswith(".kernel"))
    layers = []
    for j in range(n):
        layers.append(linear(w[f"{prefix}.fc{j}.kernel"], w[f"{prefix}.fc{j}.bias"]))
        if j < n - 1:
            if f"{prefix}.ln{j}.gamma" in w:
                layers.append(layer_norm(w[f"{prefix}.ln{j}.gamma"], w[f"{prefix}.ln{j}.beta"]))
            layers.append(nn.LeakyReLU(0.2))
        elif last is not None:
            layers.append(nn.LeakyReLU(last))
    return nn.Sequential(*layers)
