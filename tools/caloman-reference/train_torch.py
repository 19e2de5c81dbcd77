#!/usr/bin/python3
"""PyTorch mirror of CaloMan's training steps, for packages/caloman/bench/train.bench.mjs.

One optimisation step (forward, backward, torch.nn.utils.clip_grad_norm_, torch.optim.Adam) of
  - the conditional VAE of packages/caloman/src/vae.ts with the parallel MLP of src/dense.ts
    (condition stack c_i = relu(c W + b), main h_i = relu([h, c_i] W + b), out = [h, c] W + b;
    PyTorch-default U(+-1/sqrt(in)) initialisation), loss = negative ELBO with the config's
    likelihood (per-voxel mean and log sigma in [-6, 1], or one shared output log sigma), encoder
    log sigma clipped to [-12, 4], fresh eps ~ N(0, 1) every step;
  - the latent flow and the EPL flow, built by tools/flows-reference/caloman_flow.py from the
    exact layer configs the TypeScript flows use (written by train.bench.mjs --spec), loss
    -mean log p(x | context).
Sizes, batch sizes, learning rates and the clip norm come from the spec file (the default
dataset-1-photon config). Prints one JSON line: samples/s and CPU ms per sample per network.

  /usr/bin/python3 tools/caloman-reference/train_torch.py SPEC.json [--threads 2] [--steps 20] [--nets vae,latent,epl]
"""
import argparse
import json
import math
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'flows-reference'))
import caloman_flow  # noqa: E402  (tools/flows-reference)

LOG_SIGMA_RANGE = (-12.0, 4.0)
VOXEL_LOG_SIGMA_RANGE = (-6.0, 1.0)
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def dense(i, o):
    """A [in, out] kernel and [out] bias, U(+-1/sqrt(in)) as dense.ts."""
    bound = 1 / math.sqrt(max(1, i))
    return (torch.nn.Parameter(torch.empty(i, o).uniform_(-bound, bound)),
            torch.nn.Parameter(torch.empty(o).uniform_(-bound, bound)))


class ParallelMlp(torch.nn.Module):
    """dense.ts ParallelMlp, trainable."""

    def __init__(self, in_dim, cond_dim, hidden, out_dim):
        super().__init__()
        self.cond, self.main = torch.nn.ParameterList(), torch.nn.ParameterList()
        c, m = cond_dim, in_dim
        for h in hidden:
            self.cond.extend(dense(c, h))
            self.main.extend(dense(m + h, h))
            c, m = h, h
        self.out = torch.nn.ParameterList(dense(m + (c if hidden else cond_dim), out_dim))

    def forward(self, x, y):
        h, c = x, y
        for i in range(len(self.cond) // 2):
            c = torch.relu(torch.addmm(self.cond[2 * i + 1], c, self.cond[2 * i]))
            h = torch.relu(torch.addmm(self.main[2 * i + 1], torch.cat([h, c], 1), self.main[2 * i]))
        return torch.addmm(self.out[1], torch.cat([h, c], 1), self.out[0])


class ConditionalVae(torch.nn.Module):
    """vae.ts ConditionalVae: encoder x, y -> (mu, log sigma), decoder z, y -> voxel means."""

    def __init__(self, voxels, cond_dim, latent_dim, hidden, likelihood='shared'):
        super().__init__()
        self.latent_dim, self.voxels, self.per_voxel = latent_dim, voxels, likelihood == 'per-voxel'
        self.enc = ParallelMlp(voxels, cond_dim, hidden, 2 * latent_dim)
        # per-voxel: the decoder predicts a mean and a log sigma for every voxel; shared: one log sigma.
        self.dec = ParallelMlp(latent_dim, cond_dim, hidden, 2 * voxels if self.per_voxel else voxels)
        self.log_sigma_x = None if self.per_voxel else torch.nn.Parameter(torch.tensor(-1.0))

    def loss(self, x, y, eps, beta):
        h = self.enc(x, y)
        d = self.latent_dim
        mu, log_sigma = h[:, :d], torch.clamp(h[:, d:], *LOG_SIGMA_RANGE)
        z = mu + torch.exp(log_sigma) * eps
        V = self.voxels
        if self.per_voxel:
            out = self.dec(z, y)
            mean, ls = out[:, :V], torch.clamp(out[:, V:], *VOXEL_LOG_SIGMA_RANGE)
            t = (x - mean) * torch.exp(-ls)
            rec = torch.sum(0.5 * t * t + ls, 1) + V * HALF_LOG_2PI
        else:
            mean = self.dec(z, y)
            inv_var = torch.exp(-2 * self.log_sigma_x)
            sq = torch.sum((x - mean) ** 2, 1)
            rec = 0.5 * inv_var * sq + V * (self.log_sigma_x + HALF_LOG_2PI)
        kl = 0.5 * torch.sum(mu ** 2 + torch.exp(2 * log_sigma) - (1 + 2 * log_sigma), 1)
        return torch.mean(rec) + beta * torch.mean(kl)


def timed(step, batch, warmup, steps):
    for _ in range(warmup):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        loss = step()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {'samples_per_s': batch * steps / dt, 'seconds_per_step': dt / steps, 'steps': steps,
            'cpu_ms_per_sample': 1000 * cpu / (batch * steps), 'batch': batch, 'finite': math.isfinite(loss)}


def make_step(params, loss_fn, lr, clip):
    opt = torch.optim.Adam(params, lr=lr)

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        return loss.item()

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('spec')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--nets', default='vae,latent,epl')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = json.load(open(args.spec))
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads()}
    for net in args.nets.split(','):
        if net == 'vae':
            q, V, C, D = spec['vae'], spec['voxels'], 1 + spec['layers'], spec['latentDim']
            vae = ConditionalVae(V, C, D, spec['hidden'], spec.get('likelihood', 'shared'))
            x, y = torch.rand(q['batch'], V), torch.rand(q['batch'], C) * 2 - 1
            params = list(vae.parameters())
            step = make_step(params, lambda: vae.loss(x, y, torch.randn(q['batch'], D), spec['beta']), q['lr'], q['clip'])
        else:
            q = spec[net]
            flow = caloman_flow.Flow(q['config'])
            x, c = torch.rand(q['batch'], q['dim']) * 4 - 2, torch.rand(q['batch'], q['context']) * 2 - 1
            params = list(flow.parameters())
            step = make_step(params, lambda: -flow.log_prob(x, c).mean(), q['lr'], q['clip'])
        out[net] = {'params': sum(p.numel() for p in params), **timed(step, q['batch'], 2, args.steps)}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
