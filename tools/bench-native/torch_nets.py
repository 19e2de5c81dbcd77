"""PyTorch peer of tfjs-nets.mjs: the same dense VAE and 30^3 WGAN-GP training steps.

Run by bench.mjs with Debian's /usr/bin/python3 (python3-torch); prints one JSON line with
samples/s for each network. Layer sizes, optimisers and batch sizes match tfjs-nets.mjs.
"""
import argparse
import json
import time

import torch
from torch import nn


def dense_vae(batch):
    enc = nn.Sequential(nn.Linear(369, 512), nn.LeakyReLU(0.2), nn.Linear(512, 512), nn.LeakyReLU(0.2),
                        nn.Linear(512, 512), nn.LeakyReLU(0.2), nn.Linear(512, 70))
    dec = nn.Sequential(nn.Linear(36, 512), nn.LeakyReLU(0.2), nn.Linear(512, 512), nn.LeakyReLU(0.2),
                        nn.Linear(512, 512), nn.LeakyReLU(0.2), nn.Linear(512, 368), nn.Sigmoid())
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=1e-4)
    x, e, noise = torch.rand(batch, 368), torch.rand(batch, 1), torch.randn(batch, 35)

    def step():
        opt.zero_grad()
        stats = enc(torch.cat([x, e], 1))
        mu, log_var = stats[:, :35], stats[:, 35:]
        z = mu + torch.exp(0.5 * log_var) * noise
        xr = dec(torch.cat([z, e], 1))
        kl = -0.5 * torch.mean(torch.sum(1 + log_var - mu ** 2 - torch.exp(log_var), 1))
        loss = torch.mean((x - xr) ** 2) + kl
        loss.backward()
        opt.step()
        return loss.item()

    return sum(p.numel() for p in params), step


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(101, 4 * 4 * 4 * 160)
        def up(i, o):
            return nn.Sequential(nn.ConvTranspose3d(i, o, 3, stride=2, padding=1, output_padding=1),
                                 nn.BatchNorm3d(o, eps=1e-3), nn.LeakyReLU(0.2))
        self.body = nn.Sequential(up(160, 96), up(96, 32), up(32, 16), nn.Conv3d(16, 1, 3), nn.ReLU())

    def forward(self, z):
        h = nn.functional.leaky_relu(self.dense(z), 0.2).view(-1, 160, 4, 4, 4)
        return self.body(h)


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv3d(1, 32, 3, 2, 1), nn.LeakyReLU(0.2), nn.Conv3d(32, 64, 3, 2, 1),
                                  nn.LeakyReLU(0.2), nn.Conv3d(64, 128, 3, 2, 1), nn.LeakyReLU(0.2))
        self.head = nn.Sequential(nn.Linear(8193, 48), nn.LeakyReLU(0.2), nn.Linear(48, 1))

    def forward(self, x, e):
        return self.head(torch.cat([self.conv(x).flatten(1), e], 1))


def wgan_gp(batch):
    g, c = Generator(), Critic()
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-4, betas=(0.5, 0.9))
    opt_c = torch.optim.Adam(c.parameters(), lr=1e-4, betas=(0.5, 0.9))
    real, e = torch.rand(batch, 1, 30, 30, 30), torch.rand(batch, 1)
    latent, eps = torch.randn(batch, 100), torch.rand(batch, 1, 1, 1, 1)

    def step():
        opt_c.zero_grad()
        fake = g(torch.cat([latent, e], 1))
        mixed = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
        grad, = torch.autograd.grad(c(mixed, e).sum(), mixed, create_graph=True)
        gp = 10 * torch.mean((torch.sqrt(torch.sum(grad ** 2, (1, 2, 3, 4)) + 1e-12) - 1) ** 2)
        loss_c = torch.mean(c(fake.detach(), e)) - torch.mean(c(real, e)) + gp
        loss_c.backward()
        opt_c.step()
        opt_g.zero_grad()
        loss_g = -torch.mean(c(g(torch.cat([latent, e], 1)), e))
        loss_g.backward()
        opt_g.step()
        return loss_c.item() + loss_g.item()

    counts = {'generator': sum(p.numel() for p in g.parameters()), 'critic': sum(p.numel() for p in c.parameters())}
    return counts, step


def timed(step, batch, warmup, steps):
    for _ in range(warmup):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {'samples_per_s': batch * steps / dt, 'seconds_per_step': dt / steps, 'steps': steps,
            'cpu_ms_per_sample': 1000 * cpu / (batch * steps)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--dense-steps', type=int, default=20)
    ap.add_argument('--wgan-steps', type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {'torch': torch.__version__, 'threads': torch.get_num_threads()}
    params, step = dense_vae(256)
    out['dense'] = {'params': params, **timed(step, 256, 3, args.dense_steps)}
    params, step = wgan_gp(32)
    out['wgan'] = {'params': params, **timed(step, 32, 1, args.wgan_steps)}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
