#!/usr/bin/env python3
"""PyTorch reference for packages/core/bench/onnx/bench.mjs (run with /usr/bin/python3, Debian's torch).

Loads the weights and check inputs the Node benchmark wrote (safetensors, parsed here without the
safetensors package), builds the same two networks in PyTorch:
  * the dense decoder (41 -> 512 -> 512 -> 512 -> 368, ReLU on hidden layers), nn.Linear;
  * the 30^3 WGAN-like generator (field-reference.md section 4.4: ConvTranspose3d stems 1->128 and
    100->128 k4 -> 4^3, concat 256 ch, ConvT k4 s2 p1 stages to 8^3, 16^3, 32^3 with 128, 64, 32
    channels, ConvT 32->1 k3 s1 p2 -> 30^3, ReLU),
checks their outputs against onnxruntime's outputs for the check inputs (max abs diff), then
times them: per batch size, one warm-up run and `--reps` timed runs, torch.set_num_threads(--threads).
Prints one JSON object on stdout.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench-native"))
from torch_mirror import load_safetensors  # noqa: E402


class Dense(torch.nn.Module):
    def __init__(self, w, n_layers):
        super().__init__()
        self.layers = torch.nn.ModuleList()
        for k in range(n_layers):
            kern = w[f"dense.{k}.kernel"]  # (in, out) as TF.js
            lin = torch.nn.Linear(kern.shape[0], kern.shape[1])
            lin.weight.data = kern.t().contiguous()
            lin.bias.data = w[f"dense.{k}.bias"].clone()
            self.layers.append(lin)

    def forward(self, x):
        for k, lin in enumerate(self.layers):
            x = lin(x)
            if k < len(self.layers) - 1:
                x = torch.relu(x)
        return x


def convt(w, name, stride, padding):
    kern = w[f"{name}.weight"]  # (C_in, C_out, k, k, k) as ONNX/PyTorch
    m = torch.nn.ConvTranspose3d(kern.shape[0], kern.shape[1], kern.shape[2], stride=stride, padding=padding)
    m.weight.data = kern.clone()
    m.bias.data = w[f"{name}.bias"].clone()
    return m


class Generator(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.stem_e = convt(w, "gen.stem_e", 1, 0)
        self.stem_z = convt(w, "gen.stem_z", 1, 0)
        self.up = torch.nn.ModuleList([convt(w, f"gen.up{k}", 2, 1) for k in range(3)])
        self.head = convt(w, "gen.head", 1, 2)

    def forward(self, e, z):
        h = torch.cat([torch.relu(self.stem_e(e)), torch.relu(self.stem_z(z))], 1)
        for m in self.up:
            h = torch.relu(m(h))
        return torch.relu(self.head(h))


def timeit(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--dense-batches", default="1,100,10000")
    ap.add_argument("--conv-batches", default="1,10")
    ap.add_argument("--conv-reps", type=int, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    w = load_safetensors(args.weights)
    n_dense = len([k for k in w if k.startswith("dense.") and k.endswith(".kernel")])
    dense = Dense(w, n_dense).eval()
    gen = Generator(w).eval()
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(), "timings": [], "checks": {}}
    with torch.inference_mode():
        result["checks"]["dense_max_abs_diff_vs_ort"] = float((dense(w["check.dense.x"]) - w["check.dense.ort"]).abs().max())
        result["checks"]["dense_max_abs_ref"] = float(w["check.dense.ort"].abs().max())
        y = gen(w["check.gen.e"], w["check.gen.z"])
        result["checks"]["gen_max_abs_diff_vs_ort"] = float((y - w["check.gen.ort"]).abs().max())
        result["checks"]["gen_max_abs_ref"] = float(w["check.gen.ort"].abs().max())
        in_dim = w["dense.0.kernel"].shape[0]
        for b in [int(s) for s in args.dense_batches.split(",") if s]:
            x = torch.randn(b, in_dim)
            t = timeit(lambda: dense(x), args.reps)
            result["timings"].append({"model": "dense", "batch": b, "seconds": t})
        for b in [int(s) for s in args.conv_batches.split(",") if s]:
            e = torch.rand(b, 1, 1, 1, 1)
            z = torch.rand(b, 100, 1, 1, 1) * 2 - 1
            t = timeit(lambda: gen(e, z), args.conv_reps or args.reps)
            result["timings"].append({"model": "wgan30", "batch": b, "seconds": t})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
