#!/usr/bin/python3
"""PyTorch mirror of the @calozoo/bib-ae conv training steps (ILD 30x30x30 photon grid), for the
training-speed benchmark (packages/bib-ae/bench/train.bench.mjs writes DIR: config.json, the
networks' weights in weights/<component>.safetensors and check.safetensors with check inputs,
TF.js's outputs and the training showers).

Networks (packages/bib-ae/src/conv-networks.ts, dense-networks.ts; TF.js layouts converted,
channels-first as a PyTorch user writes them):
- encoder: Conv3d 1->ngf k4 s2 p2, ngf->2ngf k4 s2 p2, 2ngf->4ngf k4 s2 p2, 4ngf->8ngf k3 p1
  (nn.LayerNorm([D, H, W]) + LeakyReLU 0.2 after each) -> flatten (+) c -> Linear 8001 -> 4000 ->
  768 (LeakyReLU 0.2) -> mu, log sigma^2 heads; the first Linear's rows are permuted because TF.js
  flattens channels-last.
- decoder and post-processor: generate_torch.py's Decoder and PostProcessor.
- data critic: two branches (y and log1p(y)) Conv3d 1->ndf k3 s2 (LN), ndf->ndf k3 s2 (LN), ndf->ndf
  k3 (LeakyReLU 0.2 after each) -> Linear -> ndf/2; y - x -> Linear -> ndf/2 (LeakyReLU 0.01);
  c -> Linear -> ndf/2; concatenated -> Linear 2ndf x 3 (LeakyReLU 0.2) -> 1.
- latent critic: Linear 1 -> 50 -> 100 -> 50 -> 1 (LeakyReLU 0.2) on single latent coordinates.

Steps (packages/bib-ae/src/training.ts, conv default: no MSE term, no resetting critic, no readout
threshold on the `mev` representation):
- bibae: one encoder+decoder update on kld*KLD + mmd*MMD(z, N(0,1)) - critic*mean D(x, x_hat)
  - latentCritic*mean C(z) (the critics' parameters frozen for it), then `criticIterations` data
  critic updates (WGAN-GP, the penalty at alpha*(x, x) + (1 - alpha)*(x, x_hat) with respect to both
  inputs, reconstructions under no_grad) and as many latent critic updates (WGAN-GP on single
  coordinates against N(0, 1)); Adam with the config's learning rates and betas.
- post: reconstructions under no_grad, the post-processor on them (energy sum / E_inc and c as its
  condition), loss mse*MSE(PP(x_hat), x_hat) + sortedMmd*SortedKernelMMD(PP(x_hat), x).

  /usr/bin/python3 tools/bibae-reference/train_torch.py DIR [--threads 2] [--steps 4] [--warmup 2] \
      [--stages bibae,post] [--json OUT.json]

Prints one JSON object (and writes it to --json): the check (each network's outputs on the check
inputs against TF.js's: max |diff| and max |y|) and per stage the timed steps' seconds.
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bench-native"))
from generate_torch import Decoder, PostProcessor  # noqa: E402
from torch_mirror import conv, emit, layer_norm, linear, load_safetensors  # noqa: E402

SHAPE = (30, 30, 30)


def channels_first_rows(kernel, cells, channels):
    """Rows of a Dense kernel fed by a channels-last flatten (cells, C), reordered for a (C, cells) flatten."""
    head = kernel[: cells * channels].reshape(cells, channels, -1).permute(1, 0, 2).reshape(cells * channels, -1)
    return torch.cat([head, kernel[cells * channels :]], 0).contiguous()


def conv_stack(w, prefix, specs, shape):
    """Conv3d layers `prefix.conv<i>` with (kernel, stride, padding, norm) specs, LeakyReLU 0.2 after each; returns layers and the output (C, d, h, w)."""
    layers = []
    d = list(shape)
    for i, (k, s, p, norm) in enumerate(specs):
        kern = w[f"{prefix}.conv{i}.kernel"]
        layers.append(conv(kern, w[f"{prefix}.conv{i}.bias"], s, p))
        d = [(x + 2 * p - k) // s + 1 for x in d]
        if norm:
            layers.append(layer_norm(w[f"{prefix}.ln{i}.gamma"][..., 0], w[f"{prefix}.ln{i}.beta"][..., 0]))
        layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers), (kern.shape[4], *d)


class Encoder(nn.Module):
    """x (n, d*h*w), c (n, 1) -> mu, log sigma^2 (n, active)."""

    def __init__(self, w):
        super().__init__()
        self.conv, out = conv_stack(w, "conv", [(4, 2, 2, True), (4, 2, 2, True), (4, 2, 2, True), (3, 1, 1, True)], SHAPE)
        fcs = sorted((k for k in w if k.startswith("fc.fc") and k.endswith(".kernel")), key=lambda k: int(k.split(".")[1][2:]))
        layers = []
        for i, name in enumerate(fcs):
            k = w[name]
            if i == 0:
                k = channels_first_rows(k, out[1] * out[2] * out[3], out[0])
            layers += [linear(k, w[name.replace(".kernel", ".bias")]), nn.LeakyReLU(0.2)]
        self.fc = nn.Sequential(*layers)
        self.mu = linear(w["mu.kernel"], w["mu.bias"])
        self.log_var = linear(w["logVar.kernel"], w["logVar.bias"])

    def forward(self, x, c):
        h = self.conv(x.view(-1, 1, *SHAPE)).flatten(1)
        h = self.fc(torch.cat([h, c], 1))
        return self.mu(h), self.log_var(h)


class Branch(nn.Module):
    """A data critic's convolution branch: three Conv3d k3 (s2 LN, s2 LN, s1), LeakyReLU 0.2, flatten, Linear (LeakyReLU 0.2)."""

    def __init__(self, w, prefix):
        super().__init__()
        self.conv, out = conv_stack(w, prefix, [(3, 2, 0, True), (3, 2, 0, True), (3, 1, 0, False)], SHAPE)
        self.fc = linear(channels_first_rows(w[f"{prefix}.fc.kernel"], out[1] * out[2] * out[3], out[0]), w[f"{prefix}.fc.bias"])

    def forward(self, y):
        return F.leaky_relu(self.fc(self.conv(y.view(-1, 1, *SHAPE)).flatten(1)), 0.2)


class DataCritic(nn.Module):
    """(reference x, candidate y, c) -> score (n, 1)."""

    def __init__(self, w):
        super().__init__()
        self.direct, self.log = Branch(w, "direct"), Branch(w, "log")
        self.diff = linear(w["diff.kernel"], w["diff.bias"])
        self.energy = linear(w["energy.kernel"], w["energy.bias"])
        heads = [f"head.fc{i}" for i in range(3)]
        layers = []
        for name in heads:
            layers += [linear(w[f"{name}.kernel"], w[f"{name}.bias"]), nn.LeakyReLU(0.2)]
        layers.append(linear(w["head.out.kernel"], w["head.out.bias"]))
        self.head = nn.Sequential(*layers)

    def forward(self, x, y, c):
        h = torch.cat([self.direct(y), self.log(torch.log1p(y)), F.leaky_relu(self.diff(y - x), 0.01), F.leaky_relu(self.energy(c), 0.2)], 1)
        return self.head(h)


class LatentCritic(nn.Module):
    """z (m, 1) -> score (m, 1)."""

    def __init__(self, w):
        super().__init__()
        layers = []
        for i in range(4):
            layers.append(linear(w[f"net.fc{i}.kernel"], w[f"net.fc{i}.bias"]))
            if i < 3:
                layers.append(nn.LeakyReLU(0.2))
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return self.net(z)


def kld(mu, log_var):
    return -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp()) / mu.shape[0]


def mean_kernel(a, b, alphas):
    d2 = (a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1, keepdim=True).t() - 2 * a @ b.t()).clamp_min(0)
    return sum(torch.exp(-al * d2).mean() for al in alphas)


def latent_mmd(z, prior, alphas):
    return mean_kernel(z, z, alphas) + mean_kernel(prior, prior, alphas) - 2 * mean_kernel(z, prior, alphas)


def gradient_penalty(critic, reals, fakes, alpha):
    mixed = [(alpha * r + (1 - alpha) * f).requires_grad_(True) for r, f in zip(reals, fakes)]
    grads = torch.autograd.grad(critic(*mixed).sum(), mixed, create_graph=True)
    sq = sum(g.pow(2).sum(1) for g in grads)
    return ((sq + 1e-12).sqrt() - 1).pow(2).mean()


def sorted_kernel_mmd(a, b, window, stride, positions, alpha):
    k = min(positions, a.shape[1])
    window = min(window, k)
    starts = list(range(0, k - window + 1, stride)) or [0]
    idx = torch.tensor([[s + j for j in range(window)] for s in starts])
    wa, wb = torch.topk(a, k, dim=1).values[:, idx], torch.topk(b, k, dim=1).values[:, idx]

    def km(p, q):
        return torch.exp(-alpha * (p[..., :, None] - q[..., None, :]).pow(2)).mean((2, 3))

    return (km(wa, wa) + km(wb, wb) - 2 * km(wa, wb)).mean()


def adam(params, o):
    return torch.optim.Adam(params, lr=o["learningRate"], betas=(o["beta1"], o["beta2"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--stages", default="bibae,post")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    cfg = json.load(open(os.path.join(a.dir, "config.json")))
    assert cfg["architecture"] == "conv", "the conv BIB-AE only"
    assert cfg["loss"]["mse"] == 0 and cfg["loss"]["resetCritic"] == 0 and not cfg["postProcessor"]["keepZeros"], "the mirror has the conv default's loss terms only"
    weights = lambda name: load_safetensors(os.path.join(a.dir, "weights", f"{name}.safetensors"))
    E, G, D = Encoder(weights("encoder")), Decoder(weights("decoder"), SHAPE), DataCritic(weights("critic"))
    LC, PP = LatentCritic(weights("latent-critic")), PostProcessor(weights("post-processor"), SHAPE, "linear")
    A, L = cfg["activeDim"], cfg["latentDim"]

    chk = load_safetensors(os.path.join(a.dir, "check.safetensors"))
    with torch.no_grad():
        mu, log_var = E(chk["x"], chk["c"])
        got = {
            "mu": mu, "logVar": log_var, "recon": G(chk["z"], chk["c"]), "critic": D(chk["x"], chk["recon"], chk["c"]),
            "latentCritic": LC(chk["latent"]), "post": PP(chk["recon"], chk["total"], chk["c"]),
        }
    check = {k: {"maxAbsDiff": float((v - chk[k]).abs().max()), "maxAbs": float(chk[k].abs().max())} for k, v in got.items()}
    print(json.dumps({"check": check}), file=sys.stderr)

    X, C = chk["train.x"], chk["train.c"]
    B = cfg["batchSize"]
    w, opt = cfg["loss"], cfg["optimizer"]
    lam, iters = cfg["gradientPenalty"], cfg["criticIterations"]
    o_main = adam(list(E.parameters()) + list(G.parameters()), opt["main"])
    o_critic, o_latent, o_post = adam(D.parameters(), opt["critic"]), adam(LC.parameters(), opt["latentCritic"]), adam(PP.parameters(), opt["postProcessor"])

    def encode(x, c):
        mu, log_var = E(x, c)
        return mu, log_var, mu + (0.5 * log_var).exp() * torch.randn_like(mu)

    def decode(z, c):
        return G(torch.cat([z, torch.randn(z.shape[0], L - A)], 1), c)

    def set_grad(nets, on):
        for n in nets:
            for p in n.parameters():
                p.requires_grad_(on)

    def bibae_step(x, c):
        set_grad([D, LC], False)
        o_main.zero_grad(set_to_none=True)
        mu, log_var, z = encode(x, c)
        recon = decode(z, c)
        loss = w["kld"] * kld(mu, log_var) + w["mmd"] * latent_mmd(z, torch.randn_like(z), cfg["mmdAlphas"])
        loss = loss - w["critic"] * D(x, recon, c).mean() - w["latentCritic"] * LC(z.reshape(-1, 1)).mean()
        loss.backward()
        o_main.step()
        set_grad([D, LC], True)
        for _ in range(iters):
            o_critic.zero_grad(set_to_none=True)
            with torch.no_grad():
                fake = decode(encode(x, c)[2], c)
            s = D(torch.cat([x, x]), torch.cat([x, fake]), torch.cat([c, c]))
            gp = gradient_penalty(lambda r, y: D(r, y, c), [x, x], [x, fake], torch.rand(x.shape[0], 1))
            (s[B:].mean() - s[:B].mean() + lam * gp).backward()
            o_critic.step()
        for _ in range(iters):
            o_latent.zero_grad(set_to_none=True)
            with torch.no_grad():
                z = encode(x, c)[2].reshape(-1, 1)
            real = torch.randn_like(z)
            gp = gradient_penalty(LC, [real], [z], torch.rand(z.shape[0], 1))
            (LC(z).mean() - LC(real).mean() + lam * gp).backward()
            o_latent.step()

    pp = cfg["postProcessor"]

    def post_step(x, c):
        o_post.zero_grad(set_to_none=True)
        with torch.no_grad():
            recon = decode(encode(x, c)[2], c)
            total = recon.sum(1, keepdim=True) / (c * 1000.0)  # the `mev` representation: c = E / 1000
        out = PP(recon, total, c)
        loss = pp["mse"] * (out - recon).pow(2).mean() + pp["sortedMmd"] * sorted_kernel_mmd(out, x, pp["window"], pp["stride"], pp["positions"], pp["alpha"])
        loss.backward()
        o_post.step()

    steps = {"bibae": bibae_step, "post": post_step}
    stages = {}
    for stage in [s for s in a.stages.split(",") if s]:
        step = steps[stage]
        for i in range(a.warmup):
            step(X[i * B : (i + 1) * B], C[i * B : (i + 1) * B])
        t0 = time.perf_counter()
        for i in range(a.warmup, a.warmup + a.steps):
            step(X[i * B : (i + 1) * B], C[i * B : (i + 1) * B])
        seconds = time.perf_counter() - t0
        stages[stage] = {"steps": a.steps, "seconds": seconds, "secondsPerStep": seconds / a.steps, "showersPerSecond": B * a.steps / seconds}
        print(f"{stage}: PyTorch {B * a.steps / seconds:.3g} showers/s ({seconds / a.steps:.3g} s/step)", file=sys.stderr)
    emit({"torch": torch.__version__, "threads": a.threads, "check": check, "stages": stages}, a.json)


if __name__ == "__main__":
    main()
