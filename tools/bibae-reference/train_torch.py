#!/usr/bin/python3
"""PyTorch mirror of the @calozoo/bib-ae training steps, for the training-speed benchmark
(packages/bib-ae/bench/train.bench.mjs writes DIR: config.json with the representation's constants,
the networks' weights in weights/<component>.safetensors and check.safetensors with check inputs,
TF.js's outputs, the critics' feature matrices and the training showers). Two architectures, as the
geometry's default config says:

Conv (ILD 30x30x30 photon grid; packages/bib-ae/src/conv-networks.ts; TF.js layouts converted,
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

Dense (dataset-1 photons; dense-networks.ts): MLPs with nn.LayerNorm + LeakyReLU 0.2 after each
hidden Linear: encoder [x, c] -> 512 -> 256 -> mu, log sigma^2; decoder [z, c] -> 256 -> 512 -> cells,
ReLU with a straight-through gradient; data critic and resetting critic: branches [y, f(y)] ->
256 -> 64, y - x -> 256 -> 64, c -> 64, concatenated -> 256 -> 256 -> 1, f the candidate's
standardised physics features (core's train/critic-features.ts: E_dep/E_inc, layer fractions,
per-layer centres and widths, from the exported matrices); the same latent critic and
post-processor (which keeps the decoder's empty cells empty). Network values are root-fraction
(x^k / scale = E_cell / E_inc) with the data's readout threshold.

Steps (packages/bib-ae/src/training.ts):
- bibae: one encoder+decoder update on kld*KLD + mmd*MMD(z, N(0,1)) + mse*sum (x_hat - x)^2 / B
  - critic*mean D(x, x_hat) - resetCritic*mean D_reset(x, x_hat) - latentCritic*mean C(z) (the
  critics' parameters frozen for it; x_hat through the readout threshold with a straight-through
  gradient), then `criticIterations` updates of each data critic (WGAN-GP, the penalty at
  alpha*(x, x, f(x)) + (1 - alpha)*(x, x_hat, f(x_hat)) with respect to every input, reconstructions
  under no_grad) and as many latent critic updates (WGAN-GP on single coordinates against N(0, 1));
  Adam with the config's learning rates and betas. Conv default: no MSE, no resetting critic, no
  features, no threshold on the `mev` representation.
- post: reconstructions under no_grad (dense: cells below the readout threshold zeroed), the
  post-processor on them (their E_dep/E_inc and c as its condition), loss mse*MSE(PP(x_hat), x_hat)
  + sortedMmd*SortedKernelMMD(readout(PP(x_hat)), x).

  /usr/bin/python3 tools/bibae-reference/train_torch.py DIR [--threads 2] [--steps 4] [--warmup 2] \
      [--stages bibae,post] [--json OUT.json]

Prints one JSON object (and writes it to --json): the check (each network's outputs on the check
inputs against TF.js's: max |diff| and max |y|) and per stage the timed steps' seconds.
"""
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "bench-native"))
from generate_torch import Decoder, PostProcessor  # noqa: E402
from torch_mirror import adam, compare, conv, emit, layer_norm, linear, mlp, time_steps, training_mirror_setup  # noqa: E402

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
        self.net = mlp(w, "net")

    def forward(self, z):
        return self.net(z)



def straight_through_relu(y):
    """max(y, 0) forward, the gradient passed unchanged."""
    return y + (y.clamp_min(0) - y).detach()


class DenseEncoder(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.body = mlp(w, "body")
        self.norm = layer_norm(w["norm.gamma"], w["norm.beta"])
        self.mu = linear(w["mu.kernel"], w["mu.bias"])
        self.log_var = linear(w["logVar.kernel"], w["logVar.bias"])

    def forward(self, x, c):
        h = F.leaky_relu(self.norm(self.body(torch.cat([x, c], 1))), 0.2)
        return self.mu(h), self.log_var(h)


class DenseDecoder(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.net = mlp(w, "net")

    def forward(self, z, c):
        return straight_through_relu(self.net(torch.cat([z, c], 1)))


class DenseDataCritic(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.candidate, self.difference = mlp(w, "candidate", 0.2), mlp(w, "difference", 0.2)
        self.condition, self.head = mlp(w, "condition", 0.2), mlp(w, "head")

    def forward(self, x, y, c, f=None):
        yy = y if f is None else torch.cat([y, f], 1)
        return self.head(torch.cat([self.candidate(yy), self.difference(y - x), self.condition(c)], 1))


class Representation:
    """Network values: `mev` (conv) or root-fraction x = (E_cell / E_inc * scale)^(1/k) with the readout threshold (dense)."""

    def __init__(self, pre):
        self.name = pre["representation"]
        self.scale, self.root, self.threshold = pre.get("scale", 1.0), pre.get("root", 1), pre.get("threshold", 0.0)

    def fraction(self, x):
        p = x
        for _ in range(self.root - 1):
            p = p * x
        return p / self.scale

    def decode(self, x, e):
        if self.name == "mev":
            return x
        s = self.fraction(x) * e
        return s * (s >= self.threshold).float() if self.threshold > 0 else s

    def readout(self, x, e):
        """Cells below the threshold's network value at each row's energy set to 0, straight-through gradient."""
        if self.name == "mev" or not self.threshold > 0:
            return x
        xt = (self.threshold / e * self.scale) ** (1.0 / self.root)
        return x + (x * (x >= xt).float() - x).detach()


class Features:
    """The critics' physics features of network values (core's rawCriticFeatures, standardised)."""

    def __init__(self, chk, repr_):
        self.repr, self.M = repr_, chk["features.M"]
        self.lat = [chk[k] for k in ("features.lx", "features.ly", "features.lx2", "features.ly2")] if "features.lx" in chk else None
        self.mean, self.inv_std = chk["features.mean"], chk["features.invStd"]

    def __call__(self, x):
        u = self.repr.fraction(x)
        per_layer = u @ self.M
        total = per_layer.sum(1, keepdim=True)
        parts = [total, per_layer / (total + 1e-3)]
        if self.lat:
            norm = per_layer + 1e-4
            lx, ly, lx2, ly2 = [(u @ m) / norm for m in self.lat]
            parts += [lx, ly, (F.relu(lx2 - lx * lx) + 1).sqrt(), (F.relu(ly2 - ly * ly) + 1).sqrt()]
        return (torch.cat(parts, 1) - self.mean) * self.inv_std


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


def main():
    a, cfg, weights, chk = training_mirror_setup(4, 2, "bibae,post")
    dense = cfg["architecture"] == "dense"
    w, pp = cfg["loss"], cfg["postProcessor"]
    if dense:
        assert cfg["dense"]["outputGradient"] == "straight-through" and cfg["trainingReadout"] == "straight-through", "the mirror has the dense default's readout and output gradient"
    else:
        assert w["mse"] == 0 and w["resetCritic"] == 0 and not pp["keepZeros"], "the mirror has the conv default's loss terms only"
    repr_ = Representation(cfg["preprocessing"])
    if dense:
        E, G, D = DenseEncoder(weights("encoder")), DenseDecoder(weights("decoder")), DenseDataCritic(weights("critic"))
        RD = DenseDataCritic(weights("reset-critic")) if w["resetCritic"] > 0 else None
        feats = Features(chk, repr_) if cfg["dense"]["criticFeatures"] else None
    else:
        E, G, D, RD, feats = Encoder(weights("encoder")), Decoder(weights("decoder"), SHAPE), DataCritic(weights("critic")), None, None
    LC, PPnet = LatentCritic(weights("latent-critic")), PostProcessor(weights("post-processor"), SHAPE, "linear")
    keep_zeros = bool(pp["keepZeros"])
    A, L = cfg["activeDim"], cfg["latentDim"]

    def score(net, x, y, c):
        return net(x, y, c, feats(y)) if feats else net(x, y, c)

    def post(x, total, c):
        out = PPnet(x, total, c)
        return out * (x > 0).float() if keep_zeros else out

    def post_input(x, e):
        return x * (repr_.decode(x, e) > 0).float() if keep_zeros and repr_.threshold > 0 else x

    def response(x, e):
        return repr_.decode(x, e).sum(1, keepdim=True) / e

    with torch.no_grad():
        mu, log_var = E(chk["x"], chk["c"])
        got = {
            "mu": mu, "logVar": log_var, "recon": G(chk["z"], chk["c"]), "critic": score(D, chk["x"], chk["recon"], chk["c"]),
            "latentCritic": LC(chk["latent"]), "total": response(chk["recon"], chk["e"]), "post": post(chk["recon"], chk["total"], chk["c"]),
            **({"features": feats(chk["recon"])} if feats else {}),
        }
    check = compare(got, chk)

    X, C, EN = chk["train.x"], chk["train.c"], chk["train.e"]
    B = cfg["batchSize"]
    opt = cfg["optimizer"]
    lam, iters = cfg["gradientPenalty"], cfg["criticIterations"]
    o_main = adam(list(E.parameters()) + list(G.parameters()), opt["main"])
    critics = [(D, adam(D.parameters(), opt["critic"]))] + ([(RD, adam(RD.parameters(), opt["critic"]))] if RD else [])
    o_latent, o_post = adam(LC.parameters(), opt["latentCritic"]), adam(PPnet.parameters(), opt["postProcessor"])
    frozen = [D, LC] + ([RD] if RD else [])

    def encode(x, c):
        mu, log_var = E(x, c)
        return mu, log_var, mu + (0.5 * log_var).exp() * torch.randn_like(mu)

    def decode(z, c):
        return G(torch.cat([z, torch.randn(z.shape[0], L - A)], 1), c)

    def set_grad(nets, on):
        for n in nets:
            for p in n.parameters():
                p.requires_grad_(on)

    def bibae_step(_, x, c, e):
        set_grad(frozen, False)
        o_main.zero_grad(set_to_none=True)
        mu, log_var, z = encode(x, c)
        recon = repr_.readout(decode(z, c), e)
        loss = w["kld"] * kld(mu, log_var) + w["mmd"] * latent_mmd(z, torch.randn_like(z), cfg["mmdAlphas"])
        if w["mse"] > 0:
            loss = loss + w["mse"] / x.shape[0] * (recon - x).pow(2).sum()
        loss = loss - w["critic"] * score(D, x, recon, c).mean() - w["latentCritic"] * LC(z.reshape(-1, 1)).mean()
        if RD:
            loss = loss - w["resetCritic"] * score(RD, x, recon, c).mean()
        loss.backward()
        o_main.step()
        set_grad(frozen, True)
        for net, o in critics:
            for _ in range(iters):
                o.zero_grad(set_to_none=True)
                with torch.no_grad():
                    fake = repr_.readout(decode(encode(x, c)[2], c), e)
                    f_real, f_fake = (feats(x), feats(fake)) if feats else (None, None)
                alpha = torch.rand(x.shape[0], 1)
                if feats:
                    s = net(torch.cat([x, x]), torch.cat([x, fake]), torch.cat([c, c]), torch.cat([f_real, f_fake]))
                    gp = gradient_penalty(lambda r, y, f: net(r, y, c, f), [x, x, f_real], [x, fake, f_fake], alpha)
                else:
                    s = net(torch.cat([x, x]), torch.cat([x, fake]), torch.cat([c, c]))
                    gp = gradient_penalty(lambda r, y: net(r, y, c), [x, x], [x, fake], alpha)
                (s[B:].mean() - s[:B].mean() + lam * gp).backward()
                o.step()
        for _ in range(iters):
            o_latent.zero_grad(set_to_none=True)
            with torch.no_grad():
                z = encode(x, c)[2].reshape(-1, 1)
            real = torch.randn_like(z)
            gp = gradient_penalty(LC, [real], [z], torch.rand(z.shape[0], 1))
            (LC(z).mean() - LC(real).mean() + lam * gp).backward()
            o_latent.step()

    def post_step(_, x, c, e):
        o_post.zero_grad(set_to_none=True)
        with torch.no_grad():
            recon = post_input(decode(encode(x, c)[2], c), e)
            total = response(recon, e)
        out = post(recon, total, c)
        loss = pp["mse"] * (out - recon).pow(2).mean() + pp["sortedMmd"] * sorted_kernel_mmd(repr_.readout(out, e), x, pp["window"], pp["stride"], pp["positions"], pp["alpha"])
        loss.backward()
        o_post.step()

    steps = {"bibae": bibae_step, "post": post_step}
    batch = lambda i: (X[i * B : (i + 1) * B], C[i * B : (i + 1) * B], EN[i * B : (i + 1) * B])
    stages = {stage: time_steps(stage, steps[stage], batch, a.warmup, a.steps, B) for stage in a.stages.split(",") if stage}
    emit({"torch": torch.__version__, "threads": a.threads, "check": check, "stages": stages}, a.json)


if __name__ == "__main__":
    main()
