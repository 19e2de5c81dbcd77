#!/usr/bin/python3
"""PyTorch mirror of the @calozoo/bib-ae conv generator (ILD 30x30x30 photon grid), for the speed
benchmark (packages/bib-ae/bench/generate.bench.mjs writes the model directory and the check inputs).

Builds the published decoder and post-processor (field-reference.md 4.1; packages/bib-ae/src/
conv-networks.ts ConvDecoder, dense-networks.ts PostProcessor) as a PyTorch user writes them,
channels-first, loading the SAME weights from decoder/ and post-processor/weights.safetensors
(TF.js layouts converted):
- decoder: [z, c] -> nn.Linear 513 -> 768 -> 4000 -> 1000 ngf (LeakyReLU 0.2 after each) -> view
  (ngf, 10, 10, 10) -> nn.ConvTranspose3d k3 s3 p1 op2 (30^3), k3 s2 p1 op1 (60^3) -> nn.Conv3d k2 s2
  (30^3), three k3 p1 (nn.LayerNorm([D, H, W]) + LeakyReLU 0.2 after each of these six) -> nn.Conv3d
  2ngf -> 1 k3 p1, ReLU. The last Linear's output columns are permuted on loading, because TF.js
  reshapes them channels-last to (10, 10, 10, ngf).
- post-processor, per cell (the published kernel-size-1 3-D convolutions) written as nn.Linear on the
  channel axis of (n, cells, C) with nn.LayerNorm(C) of each cell's channels (--post linear, the
  default: the faster here), or as nn.Conv3d(kernel_size=1) on (n, C, D, H, W), the LayerNorm then
  on a channels-last view (--post conv). The condition path Linear 2 -> 64 -> 64 -> 64 (LeakyReLU
  0.2, 0.2, 0.01) on [E_sum/E_inc, c] and a bias-free Linear 64 -> C join the first hidden layer as a
  per-shower bias; LeakyReLU 0.2 after every per-cell LayerNorm, ReLU after the output layer.
Activations and the condition bias are applied in place (inference under no_grad): the per-cell
tensors of an 8-shower call are 8 x 27000 x 128 floats (110 MB), and each fresh one costs page faults;
in place, the post-processor ran about 1.6x faster here.
The network condition is c = E/1000 (GeV), the representation `mev` (network values are MeV),
both from config.json "preprocessing"; a model with postProcessor.enabled false runs the decoder only.

It checks its showers against ONNX Runtime's for the same inputs (--check), then times `generate` at
each batch size: the latent (24 active dimensions) and the noise (the other 488) drawn N(0, 1) by
torch, the networks run in chunks of --chunk showers under torch.no_grad() into one preallocated
output, as the TypeScript model does (8 per network call for the conv variant).

  /usr/bin/python3 tools/bibae-reference/generate_torch.py MODEL_DIR --check CHECK.safetensors \
      [--threads 2] [--seconds 2] [--batches 1,100,10000] [--chunk 8] [--post linear|conv] [--json OUT.json]

Prints one JSON object (and writes it to --json): the check, and per batch mean and std of
ms/shower over the timed calls (one warm-up call per batch size below 10 000; the batch-10 000
call is timed once, after the smaller ones warmed the same 8-shower network calls).
"""
import argparse
import json
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench-native"))
from torch_mirror import conv, convt, emit, layer_norm, linear, load_safetensors, time_batches  # noqa: E402


class Decoder(nn.Module):
    """[z, c] -> Linear stack -> (ngf, d/3, h/3, w/3) -> ConvT / Conv3d stack -> ReLU -> (n, d*h*w)."""

    def __init__(self, w, shape):
        super().__init__()
        bias = lambda name: w[name] if bool(w[name].abs().max() > 0) else None  # published convs have none
        fcs = sorted((k for k in w if k.startswith("net.fc") and k.endswith(".kernel")), key=lambda k: int(k.split(".")[1][2:]))
        self.base = [s // 3 for s in shape]
        self.ngf = w["net.conv0.kernel"].shape[4]
        cells = self.base[0] * self.base[1] * self.base[2]
        layers = []
        for i, name in enumerate(fcs):
            k, b = w[name], w[name.replace(".kernel", ".bias")]
            if i == len(fcs) - 1:  # TF.js reshapes to (d, h, w, ngf): reorder the columns to (ngf, d, h, w)
                k = k.reshape(k.shape[0], cells, self.ngf).permute(0, 2, 1).reshape(k.shape[0], -1)
                b = b.reshape(cells, self.ngf).t().reshape(-1)
            layers += [linear(k, b), nn.LeakyReLU(0.2, inplace=True)]
        self.fc = nn.Sequential(*layers)
        specs = [  # (kind, stride, padding, output padding): ConvDecoder's stack
            ("t", 3, 1, 2), ("t", 2, 1, 1), ("c", 2, 0, 0), ("c", 1, 1, 0), ("c", 1, 1, 0), ("c", 1, 1, 0), ("c", 1, 1, 0),
        ]
        layers = []
        for i, (kind, stride, padding, op) in enumerate(specs):
            k, b = w[f"net.conv{i}.kernel"], bias(f"net.conv{i}.bias")
            layers.append(convt(k, b, stride, padding, op) if kind == "t" else conv(k, b, stride, padding))
            if i < len(specs) - 1:
                layers += [layer_norm(w[f"net.ln{i}.gamma"][..., 0], w[f"net.ln{i}.beta"][..., 0]), nn.LeakyReLU(0.2, inplace=True)]
            else:
                layers.append(nn.ReLU(inplace=True))
        self.body = nn.Sequential(*layers)

    def forward(self, z, c):
        h = self.fc(torch.cat([z, c], 1)).view(-1, self.ngf, *self.base)
        return self.body(h).flatten(1)


class PostProcessor(nn.Module):
    """Per cell: v -> C (LayerNorm, LeakyReLU 0.2) -> layers x (C [+ condition bias] -> C, LayerNorm, LeakyReLU 0.2) -> 1, ReLU."""

    def __init__(self, w, shape, form):
        super().__init__()
        self.shape, self.form = shape, form
        self.cond = nn.Sequential(
            linear(w["cond.fc0.kernel"], w["cond.fc0.bias"]), nn.LeakyReLU(0.2, inplace=True),
            linear(w["cond.fc1.kernel"], w["cond.fc1.bias"]), nn.LeakyReLU(0.2, inplace=True),
            linear(w["cond.fc2.kernel"], w["cond.fc2.bias"]), nn.LeakyReLU(0.01, inplace=True),
        )
        self.join = linear(w["join.kernel"], None)
        n_layers = sum(1 for k in w if k.startswith("fc") and k.endswith(".kernel"))
        names = ["cell"] + [f"fc{j}" for j in range(n_layers)] + ["out"]
        norms = ["cellNorm"] + [f"ln{j}" for j in range(n_layers)]
        if form == "linear":
            self.cell = nn.ModuleList(linear(w[f"{k}.kernel"], w[f"{k}.bias"]) for k in names)
        else:  # Dense kernel [in, out] as a kernel-size-1 Conv3d kernel [1, 1, 1, in, out]
            self.cell = nn.ModuleList(conv(w[f"{k}.kernel"].view(1, 1, 1, *w[f"{k}.kernel"].shape), w[f"{k}.bias"], 1, 0) for k in names)
        self.norm = nn.ModuleList(layer_norm(w[f"{k}.gamma"], w[f"{k}.beta"]) for k in norms)

    def forward(self, x, total, c):
        n = x.shape[0]
        bias = self.join(self.cond(torch.cat([total, c], 1)))  # (n, C): the condition's share of the first hidden layer
        if self.form == "linear":  # (n, cells, C)
            h = x.view(n, -1, 1)
            for j, (lin, ln) in enumerate(zip(self.cell, self.norm)):
                h = lin(h)
                if j == 1:
                    h += bias[:, None, :]
                h = F.leaky_relu_(ln(h), 0.2)
            return F.relu_(self.cell[-1](h)).view(n, -1)
        h = x.view(n, 1, *self.shape)  # (n, C, D, H, W)
        for j, (cv, ln) in enumerate(zip(self.cell, self.norm)):
            h = cv(h)
            if j == 1:
                h += bias[:, :, None, None, None]
            h = F.leaky_relu_(ln(h.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3), 0.2)
        return F.relu_(self.cell[-1](h)).view(n, -1)


class Generator(nn.Module):
    """decoder(z, c) -> [post-processor(x, sum(x)/E, c)]; network values are MeV (`mev`)."""

    def __init__(self, model_dir, shape, post, form):
        super().__init__()
        self.decoder = Decoder(load_safetensors(os.path.join(model_dir, "decoder", "weights.safetensors")), shape)
        self.post = PostProcessor(load_safetensors(os.path.join(model_dir, "post-processor", "weights.safetensors")), shape, form) if post else None

    def forward(self, z, c, energy):
        x = self.decoder(z, c)
        if self.post is not None:
            x = self.post(x, x.sum(1, keepdim=True) / energy, c)
        return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--check", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--batches", default="1,100,10000")
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--post", choices=["linear", "conv"], default="linear")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    pre, mc = cfg["preprocessing"], cfg["config"]
    assert cfg["geometry"] == "ild-ecal" and mc["architecture"] == "conv", "the conv BIB-AE on ild-ecal only"
    assert pre["representation"] == "mev" and pre["condition"] == "E_inc / 1000 (GeV)", pre
    assert mc["sampler"]["kind"] == "normal", "time with sampler.kind normal (the KDE has no latents before training)"
    post = bool(mc["postProcessor"]["enabled"])
    gen = Generator(a.model, (30, 30, 30), post, a.post).eval()
    active, latent = mc["activeDim"], mc["latentDim"]

    chk = load_safetensors(a.check)
    assert bool((chk["condition"] - chk["energy"] / 1000.0).abs().max() < 1e-6), "condition is not E/1000"
    with torch.no_grad():
        y = gen(torch.cat([chk["latent"], chk["noise"]], 1), chk["condition"], chk["energy"])
    ref = chk["showers"]
    check = {"maxAbsDiff": float((y - ref).abs().max()), "maxAbs": float(ref.abs().max()), "nonzero": float((ref > 0).float().mean()), "n": int(ref.shape[0])}
    V = ref.shape[1]

    def generate(n, energy):
        out = torch.empty(n, V)
        with torch.no_grad():
            z = torch.cat([torch.randn(n, active), torch.randn(n, latent - active)], 1)
            c = energy / 1000.0
            for s in range(0, n, a.chunk):
                t = min(n, s + a.chunk)
                out[s:t] = gen(z[s:t], c[s:t], energy[s:t])
        return out

    rows = time_batches(generate, [int(x) for x in a.batches.split(",") if x], a.seconds)
    result = {"torch": torch.__version__, "threads": a.threads, "chunk": a.chunk, "post": a.post if post else None, "geometry": cfg["geometry"], "check": check, "rows": rows}
    emit(result, a.json)


if __name__ == "__main__":
    main()
