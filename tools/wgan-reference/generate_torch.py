#!/usr/bin/python3
"""PyTorch mirror of the @calozoo/wgan conv generators, for the speed benchmark
(packages/wgan/bench/generate.bench.mjs writes the model directory and the check inputs).

Builds the published generator (field-reference.md 4.4 for the 30^3 photon grid, 4.5 for the
48x25x25 pion grid) as a PyTorch user writes it: nn.ConvTranspose3d stems and stack,
nn.LayerNorm([D, H, W]) + ReLU between, a final ReLU, loading the SAME weights from
generator/weights.safetensors (TF.js layouts converted). The energy input is E/1000 (GeV) as in
config.json. It checks its showers against ONNX Runtime's for the same inputs (--check), then
times `generate` at each batch size: the noise drawn by torch (uniform in [-1, 1]), the network
run in chunks of --chunk showers under torch.no_grad() into one preallocated output (16, its
fastest: chunks of 4, ONNX Runtime's CPU default in the TypeScript model, ran 9-23 % slower at batch 100, the faster wait policy of each).

  /usr/bin/python3 tools/wgan-reference/generate_torch.py MODEL_DIR --check CHECK.safetensors \
      [--threads 2] [--seconds 2] [--batches 1,100,10000] [--chunk 16] [--json OUT.json]

Prints one JSON object (and writes it to --json): the check, and per batch mean and std of
ms/shower over the timed calls (one warm-up call per batch size below 10 000; the batch-10 000
call is timed once, after the smaller ones warmed the same network calls).
"""
import argparse
import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench-native"))
from torch_mirror import convt, emit, layer_norm, load_safetensors, time_batches  # noqa: E402


def up_specs(layout, ngf):
    """(out channels, kernel, stride, padding) of the stack after the 4^3 stem: packages/wgan/src/conv-networks.ts upSpecs."""
    if layout == "ild-30":
        return [(4 * ngf, 4, 2, 1), (2 * ngf, 4, 2, 1), (ngf, 4, 2, 1), (1, 3, 1, 2)]
    return [
        (4 * ngf, (4, 2, 2), 2, 1),
        (2 * ngf, (4, 2, 2), 2, 1),
        (ngf, 4, (2, 1, 1), 1),
        (10, (10, 4, 4), 1, 1),
        (5, (8, 3, 3), (1, 2, 2), 1),
        (1, (7, 5, 5), 1, 1),
    ]


class Generator(nn.Module):
    """E -> ConvT 1->4ngf k4 and z -> ConvT latent->4ngf k4 (4^3 each), concatenated, then the stack."""

    def __init__(self, w, layout):
        super().__init__()
        bias = lambda name: w[name] if bool(w[name].abs().max() > 0) else None  # published convs have none
        self.energy = convt(w["energy.up.kernel"], bias("energy.up.bias"), 1, 0)
        self.noise = convt(w["noise.up.kernel"], bias("noise.up.bias"), 1, 0)
        ngf = w["energy.up.kernel"].shape[3] // 4
        layers = []
        specs = up_specs(layout, ngf)
        for i, (_, _, stride, padding) in enumerate(specs):
            layers.append(convt(w[f"body.up{i}.kernel"], bias(f"body.up{i}.bias"), stride, padding))
            if i < len(specs) - 1:
                layers += [layer_norm(w[f"body.ln{i}.gamma"][..., 0], w[f"body.ln{i}.beta"][..., 0]), nn.ReLU()]
            else:
                layers.append(nn.ReLU())
        self.body = nn.Sequential(*layers)
        self.latent = w["noise.up.kernel"].shape[4]

    def forward(self, z, c):
        h = torch.cat([self.energy(c.view(-1, 1, 1, 1, 1)), self.noise(z.view(-1, self.latent, 1, 1, 1))], 1)
        return self.body(h).flatten(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--check", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--batches", default="1,100,10000")
    ap.add_argument("--chunk", type=int, default=16)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    geometry = cfg["geometry"]
    layout = {"ild-ecal": "ild-30", "ild-hcal": "ild-48"}[geometry]
    w = load_safetensors(os.path.join(a.model, "generator", "weights.safetensors"))
    gen = Generator(w, layout).eval()
    chk = load_safetensors(a.check)
    with torch.no_grad():
        y = gen(chk["z"], chk["energy"] / 1000.0)
    ref = chk["showers"]
    check = {"maxAbsDiff": float((y - ref).abs().max()), "maxAbs": float(ref.abs().max()), "n": int(ref.shape[0])}
    V = ref.shape[1]

    def generate(n, energy):
        out = torch.empty(n, V)
        with torch.no_grad():
            z = torch.rand(n, gen.latent) * 2 - 1
            c = energy / 1000.0
            for s in range(0, n, a.chunk):
                t = min(n, s + a.chunk)
                out[s:t] = gen(z[s:t], c[s:t])
        return out

    rows = time_batches(generate, [int(x) for x in a.batches.split(",") if x], a.seconds)
    emit({"torch": torch.__version__, "threads": a.threads, "chunk": a.chunk, "geometry": geometry, "check": check, "rows": rows}, a.json)


if __name__ == "__main__":
    main()
