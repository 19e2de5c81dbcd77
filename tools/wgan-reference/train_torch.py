#!/usr/bin/python3
"""PyTorch mirror of the @calozoo/wgan conv WGAN-GP training phase, for the training-speed benchmark
(packages/wgan/bench/train.bench.mjs writes DIR: config.json, weights/<network>.safetensors, and
check.safetensors with check inputs, TF.js's outputs and the training showers).

Networks (packages/wgan/src/conv-networks.ts; TF.js layouts converted, channels-first as a PyTorch
user writes them; zero biases are the published bias-free layers and are left out):
- generator: generate_torch.py's Generator (E and z stems, ConvTranspose3d stack with
  nn.LayerNorm([D, H, W]) + ReLU, final ReLU).
- critic: Conv3d 1->ndf k(10,2,2) s(1,2,2) p(0,1,1), ndf->2ndf k(6,2,2) s(1,2,2), 2ndf->4ndf k(4,2,2)
  s(1,2,2) (LayerNorm + LeakyReLU 0.2 after each), 4ndf->1 k(4,2,2) -> flatten (+) c -> Linear
  100, 200, 100, 75 (LeakyReLU 0.2) -> 1.
  With `conv.critic` "resnet" (the 48x25x25 default): ResNetCritic, the 3-D ResNet of section 4.5
  (packages/wgan/src/resnet-critic.ts).
- constrainer: Conv3d 1->ch k3 s2, ch->2ch k3 s2 (LayerNorm + LeakyReLU 0.2), 2ch->ch k2 -> flatten
  -> Linear 100 (LeakyReLU 0.2) -> 1, ReLU; its first Linear's rows are permuted (TF.js flattens
  channels-last).

One step (packages/wgan/src/training.ts, conv default: no readout threshold on the `mev`
representation): a critic update on a batch (its gradient accumulated over even slices of at most
`criticSliceRows` showers when that is > 0, as the TF.js engine's `split` does) (fakes from uniform [-1, 1] noise under no_grad, real and
fake in one pass, WGAN-GP with the penalty at alpha*x + (1 - alpha)*fake), a constrainer update on the
same real showers (mean |C(x) - E|), and every `criticIterations` steps a generator update on
-mean D(G(z)) + kappa*mean |(C(G(z)) - E)^2 - (C(x) - E)^2| (critic and constrainer frozen for it);
Adam with the config's learning rates and betas.

  /usr/bin/python3 tools/wgan-reference/train_torch.py DIR [--threads 2] [--steps 10] [--warmup 5] \
      [--stages wgan] [--json OUT.json]

Prints one JSON object (and writes it to --json): the check (each network's outputs on the check
inputs against TF.js's) and the timed steps' seconds (stage `wgan`).
"""
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bench-native"))
from generate_torch import Generator  # noqa: E402
from torch_mirror import adam, compare, conv, emit, layer_norm, linear, mlp, time_steps, training_mirror_setup  # noqa: E402


def bias(w, name):
    """A saved bias, or None where it is 0 (the published layers have none; TF.js keeps it at 0, untrained)."""
    return w[name] if bool(w[name].abs().max() > 0) else None


def conv_stack(w, prefix, specs, shape):
    """Conv3d `prefix.conv<i>` for (stride, padding, norm+activation) specs; returns the layers and the output (C, d, h, w)."""
    layers, d = [], list(shape)
    for i, (stride, padding, act) in enumerate(specs):
        k = w[f"{prefix}.conv{i}.kernel"]
        layers.append(conv(k, bias(w, f"{prefix}.conv{i}.bias"), stride, padding))
        st = stride if isinstance(stride, tuple) else (stride,) * 3
        p = padding if isinstance(padding, tuple) else (padding,) * 3
        d = [(x + 2 * p[j] - k.shape[j]) // st[j] + 1 for j, x in enumerate(d)]
        if act:
            layers += [layer_norm(w[f"{prefix}.ln{i}.gamma"][..., 0], w[f"{prefix}.ln{i}.beta"][..., 0]), nn.LeakyReLU(0.2)]
    return nn.Sequential(*layers), (k.shape[4], *d)


class Critic(nn.Module):
    def __init__(self, w, shape):
        super().__init__()
        self.shape = shape
        self.body, _ = conv_stack(w, "body", [((1, 2, 2), (0, 1, 1), True), ((1, 2, 2), 0, True), ((1, 2, 2), 0, True), (1, 0, False)], shape)
        self.head = mlp(w, "head")

    def forward(self, x, c):
        return self.head(torch.cat([self.body(x.view(-1, 1, *self.shape)).flatten(1), c], 1))


class BasicBlock(nn.Module):
    """ResNet basic block with nn.InstanceNorm3d (criticRes.py): conv 3^3 (stride) IN ReLU conv 3^3 IN, + shortcut, ReLU."""

    def __init__(self, w, prefix, stride):
        super().__init__()
        self.conv1 = conv(w[f"{prefix}.main.conv1.kernel"], None, stride, 1)
        self.conv2 = conv(w[f"{prefix}.main.conv2.kernel"], None, 1, 1)
        ch = self.conv1.out_channels
        self.in1, self.in2 = nn.InstanceNorm3d(ch), nn.InstanceNorm3d(ch)
        self.down = None
        if f"{prefix}.shortcut.conv.kernel" in w:
            self.down = nn.Sequential(conv(w[f"{prefix}.shortcut.conv.kernel"], None, stride, 0), nn.InstanceNorm3d(ch))

    def forward(self, x):
        out = self.in2(self.conv2(F.relu(self.in1(self.conv1(x)))))
        return F.relu(out + (self.down(x) if self.down is not None else x))


class ResNetCritic(nn.Module):
    """The section 4.5 critic (neurIPS2021_hadron criticRes.py, ResNet-34's stem and first two stages):
    Conv3d 1->64 k(4,5,5) s(1,2,2) p(2,3,3), IN, ReLU, MaxPool3d(3, 2, 1), 3 blocks at 64, 4 at 128
    (stride 2), global mean (+) c -> Linear 129 -> 1. Convolutions without bias, IN without affine."""

    def __init__(self, w, shape):
        super().__init__()
        self.shape = shape
        self.stem = nn.Sequential(conv(w["stem.conv.kernel"], None, (1, 2, 2), (2, 3, 3)), nn.InstanceNorm3d(w["stem.conv.kernel"].shape[4]), nn.ReLU(), nn.MaxPool3d(3, 2, 1))
        names = sorted({k.split(".")[1] for k in w if k.startswith("blocks.")}, key=lambda n: (int(n[1]), int(n[3:])))
        self.blocks = nn.Sequential(*[BasicBlock(w, f"blocks.{n}", 2 if n.startswith("s2b0") else 1) for n in names])
        self.head = linear(w["head.kernel"], w["head.bias"])

    def forward(self, x, c):
        h = self.blocks(self.stem(x.view(-1, 1, *self.shape)))
        return self.head(torch.cat([h.mean((2, 3, 4)), c], 1))


class Constrainer(nn.Module):
    def __init__(self, w, shape):
        super().__init__()
        self.shape = shape
        self.body, out = conv_stack(w, "net", [(2, 0, True), (2, 0, True), (1, 0, False)], shape)
        cells, ch = out[1] * out[2] * out[3], out[0]
        k = w["net.fc0.kernel"].reshape(cells, ch, -1).permute(1, 0, 2).reshape(cells * ch, -1).contiguous()
        self.fc0, self.fc1 = linear(k, w["net.fc0.bias"]), linear(w["net.fc1.kernel"], w["net.fc1.bias"])

    def forward(self, x):
        h = F.leaky_relu(self.fc0(self.body(x.view(-1, 1, *self.shape)).flatten(1)), 0.2)
        return F.relu(self.fc1(h))


def gradient_penalty(critic, real, fake, alpha):
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    return ((g.pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()


def main():
    a, cfg, weights, chk = training_mirror_setup(10, 5, "wgan")
    assert cfg["architecture"] == "conv" and cfg["loss"] == "wgan-gp", "the conv WGAN-GP only"
    assert cfg["preprocessing"]["representation"] == "mev" and not cfg["conv"]["readoutThreshold"], "the conv default (no readout threshold)"
    shape = (30, 30, 30) if cfg["layout"] == "ild-30" else (48, 25, 25)
    critic = ResNetCritic if cfg["conv"]["critic"] == "resnet" else Critic
    G, D = Generator(weights("generator"), cfg["layout"]), critic(weights("critic"), shape)
    kappa = cfg["constrainer"]["weight"] if cfg["constrainer"]["enabled"] else 0.0
    C = Constrainer(weights("constrainer"), shape) if cfg["constrainer"]["enabled"] else None

    with torch.no_grad():
        got = {"generator": G(chk["z"], chk["c"]), "critic": D(chk["x"], chk["c"]), "criticFake": D(chk["generator"], chk["c"])}
        if C:
            got["constrainer"] = C(chk["x"])
    check = compare(got, chk)

    X, Cond = chk["train.x"], chk["train.c"]
    B, L, every, lam = cfg["batchSize"], cfg["latentDim"], cfg["criticIterations"], cfg["gradientPenalty"]
    o_d, o_g = adam(D.parameters(), cfg["critic"]), adam(G.parameters(), cfg["generator"])
    o_c = adam(C.parameters(), cfg["constrainer"]["optimizer"]) if C else None

    def noise(m):
        return torch.rand(m, L) * 2 - 1

    def set_grad(nets, on):
        for n in nets:
            for p in n.parameters():
                p.requires_grad_(on)

    # criticSliceRows > 0: the critic's gradient accumulated over slices of the batch, as TF.js does.
    slice_rows = cfg.get("criticSliceRows", 0) or B

    def critic_loss(x, c):
        m = x.shape[0]
        with torch.no_grad():
            fake = G(noise(m), c)
        d = D(torch.cat([x, fake]), torch.cat([c, c]))
        gp = gradient_penalty(lambda h: D(h, c), x, fake, torch.rand(m, 1))
        return d[m:].mean() - d[:m].mean() + lam * gp

    def step(i, x, c):
        o_d.zero_grad(set_to_none=True)
        k = -(-B // slice_rows)
        for j in range(k):
            a, b = round(j * B / k), round((j + 1) * B / k)
            (critic_loss(x[a:b], c[a:b]) * ((b - a) / B)).backward()
        o_d.step()
        if C:
            o_c.zero_grad(set_to_none=True)
            (C(x) - c).abs().mean().backward()
            o_c.step()
        if (i + 1) % every == 0:
            frozen = [D] + ([C] if C else [])
            set_grad(frozen, False)
            o_g.zero_grad(set_to_none=True)
            fake = G(noise(x.shape[0]), c)
            loss = -D(fake, c).mean()
            if C and kappa > 0:
                with torch.no_grad():
                    on_real = C(x)
                loss = loss + kappa * ((C(fake) - c).pow(2) - (on_real - c).pow(2)).abs().mean()
            loss.backward()
            o_g.step()
            set_grad(frozen, True)

    batch = lambda i: (X[i * B : (i + 1) * B], Cond[i * B : (i + 1) * B])
    stage = time_steps("wgan", step, batch, a.warmup, a.steps, B)
    emit({"torch": torch.__version__, "threads": a.threads, "check": check, "stages": {"wgan": stage}}, a.json)


if __name__ == "__main__":
    main()
