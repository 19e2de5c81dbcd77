#!/usr/bin/python3
"""PyTorch reference of @calozoo/flows' CaloMan flow (calomanFlowPreset), for the benchmark and
for checking the TypeScript log-densities.

Same maths and conventions as packages/flows/src: nflows-style rational-quadratic coupling
(Durkan et al. 2019) with a ResidualNet conditioner (context in the first layer and a GLU gate in
every block), a fixed permutation and an LU linear map after each coupling, standard-normal base.
Dense weights are [in, out] (y = x W + b) so that weights.safetensors written by the TypeScript
flow load unchanged.

  /usr/bin/python3 caloman_flow.py bench [--threads 2] [--json]
  /usr/bin/python3 caloman_flow.py logprob FLOW_DIR INPUT.json     # prints log p(x | c) as JSON
"""
import argparse
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F

MIN_BIN_WIDTH = 1e-3
MIN_BIN_HEIGHT = 1e-3
MIN_DERIVATIVE = 1e-3
LU_EPS = 1e-3


def rqs(x, raw, bins, B, inverse):
    """Element-wise spline with identity tails; raw [n, f, 3K-1]. Returns (out, logdet [n, f])."""
    K = bins
    inside = (x >= -B) & (x <= B)
    out = x.clone()
    ld = torch.zeros_like(x)
    if not inside.any():
        return out, ld
    v = x[inside]
    r = raw[inside]
    w = MIN_BIN_WIDTH + (1 - MIN_BIN_WIDTH * K) * torch.softmax(r[:, :K], -1)
    h = MIN_BIN_HEIGHT + (1 - MIN_BIN_HEIGHT * K) * torch.softmax(r[:, K:2 * K], -1)
    d = MIN_DERIVATIVE + F.softplus(r[:, 2 * K:])
    one = torch.ones_like(v[:, None])
    d = torch.cat([one, d, one], -1)

    def knots(s):
        c = torch.cumsum(s, -1)[:, :-1]
        return torch.cat([torch.zeros_like(one), c, torch.ones_like(one)], -1) * 2 * B - B

    xk, yk = knots(w), knots(h)
    search = (yk if inverse else xk).clone()
    search[:, -1] += 1e-6
    idx = (torch.sum(v[:, None] >= search, -1) - 1).clamp(0, K - 1)[:, None]
    x0, x1 = xk.gather(-1, idx)[:, 0], xk.gather(-1, idx + 1)[:, 0]
    y0, y1 = yk.gather(-1, idx)[:, 0], yk.gather(-1, idx + 1)[:, 0]
    d0, d1 = d.gather(-1, idx)[:, 0], d.gather(-1, idx + 1)[:, 0]
    wb, hb = x1 - x0, y1 - y0
    s = hb / wb
    if inverse:
        delta = v - y0
        t = d0 + d1 - 2 * s
        a = hb * (s - d0) + delta * t
        b = hb * d0 - delta * t
        c = -s * delta
        disc = (b * b - 4 * a * c).clamp(min=0)
        xi = (2 * c / (-b - torch.sqrt(disc))).clamp(0, 1)
        res = x0 + xi * wb
    else:
        xi = ((v - x0) / wb).clamp(0, 1)
        xo = xi * (1 - xi)
        res = y0 + hb * (s * xi * xi + d0 * xo) / (s + (d0 + d1 - 2 * s) * xo)
    xo = xi * (1 - xi)
    den = s + (d0 + d1 - 2 * s) * xo
    lder = torch.log(s * s * (d1 * xi * xi + 2 * s * xo + d0 * (1 - xi) ** 2)) - 2 * torch.log(den)
    out[inside] = res
    ld[inside] = -lder if inverse else lder
    return out, ld


class Dense(torch.nn.Module):
    def __init__(self, i, o, small=False):
        super().__init__()
        bound = 1e-3 if small else 1 / math.sqrt(max(1, i))
        self.weight = torch.nn.Parameter(torch.empty(i, o).uniform_(-bound, bound))
        self.bias = torch.nn.Parameter(torch.empty(o).uniform_(-bound, bound))

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight)


class ResidualNet(torch.nn.Module):
    def __init__(self, i, o, c, hidden, blocks):
        super().__init__()
        self.initial = Dense(i + c, hidden)
        self.blocks = torch.nn.ModuleList()
        for _ in range(blocks):
            b = torch.nn.Module()
            b.l0, b.l1 = Dense(hidden, hidden), Dense(hidden, hidden, small=True)
            b.context = Dense(c, hidden) if c else None
            self.blocks.append(b)
        self.final = Dense(hidden, o)

    def forward(self, x, ctx):
        h = self.initial(torch.cat([x, ctx], 1) if ctx is not None else x)
        for b in self.blocks:
            t = b.l1(torch.relu(b.l0(torch.relu(h))))
            if ctx is not None:
                t = t * torch.sigmoid(b.context(ctx))
            h = h + t
        return self.final(h)


class Coupling(torch.nn.Module):
    def __init__(self, dim, cdim, identity, bins, B, hidden, blocks):
        super().__init__()
        par = 0 if identity == 'even' else 1
        self.id_idx = [i for i in range(dim) if i % 2 == par]
        self.tr_idx = [i for i in range(dim) if i % 2 != par]
        self.bins, self.B, self.hidden = bins, B, hidden
        self.conditioner = ResidualNet(len(self.id_idx), len(self.tr_idx) * (3 * bins - 1), cdim, hidden, blocks)

    def run(self, v, ctx, inverse):
        raw = self.conditioner(v[:, self.id_idx], ctx).reshape(v.shape[0], len(self.tr_idx), 3 * self.bins - 1)
        scale = torch.ones(3 * self.bins - 1)
        scale[:2 * self.bins] = 1 / math.sqrt(self.hidden)
        o, ld = rqs(v[:, self.tr_idx], raw * scale, self.bins, self.B, inverse)
        out = v.clone()
        out[:, self.tr_idx] = o
        return out, ld.sum(1)


class Permutation(torch.nn.Module):
    def __init__(self, idx):
        super().__init__()
        self.idx = list(idx)
        self.inv = [0] * len(idx)
        for j, i in enumerate(idx):
            self.inv[i] = j

    def run(self, v, ctx, inverse):
        return v[:, self.inv if inverse else self.idx], torch.zeros(v.shape[0])


class LuLinear(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim
        self.lower = torch.nn.Parameter(torch.zeros(dim, dim))
        self.upper = torch.nn.Parameter(torch.zeros(dim, dim))
        self.unconstrainedDiagonal = torch.nn.Parameter(torch.full((dim,), math.log(math.expm1(1 - LU_EPS))))
        self.bias = torch.nn.Parameter(torch.zeros(dim))

    def parts(self):
        d = F.softplus(self.unconstrainedDiagonal) + LU_EPS
        L = torch.tril(self.lower, -1) + torch.eye(self.dim)
        U = torch.triu(self.upper, 1) + torch.diag(d)
        return L, U, d

    def run(self, v, ctx, inverse):
        L, U, d = self.parts()
        ld = torch.log(d).sum() * torch.ones(v.shape[0])
        if not inverse:
            return v @ U.T @ L.T + self.bias, ld
        t = torch.linalg.solve_triangular(L, (v - self.bias).T, upper=False, unitriangular=True)
        return torch.linalg.solve_triangular(U, t, upper=True).T, -ld


class Flow(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        self.dim, self.cdim = config['dim'], config['contextDim']
        layers = []
        for l in config['layers']:
            if l['type'] == 'coupling':
                t = l['transform']
                assert t['kind'] == 'rqs', 'the reference implements spline couplings only'
                layers.append(Coupling(self.dim, self.cdim, l['identityFeatures'], t['bins'], t['tailBound'], l['hiddenFeatures'], l['numBlocks']))
            elif l['type'] == 'permutation':
                layers.append(Permutation(l['indices']))
            elif l['type'] == 'lu-linear':
                layers.append(LuLinear(self.dim))
            else:
                raise ValueError(f"reference: layer type {l['type']} not implemented")
        self.layers = torch.nn.ModuleList(layers)

    def log_prob(self, x, ctx):
        total = torch.zeros(x.shape[0])
        for l in self.layers:
            x, ld = l.run(x, ctx, False)
            total = total + ld
        return -0.5 * (x * x).sum(1) - 0.5 * self.dim * math.log(2 * math.pi) + total

    def sample(self, n, ctx):
        z = torch.randn(n, self.dim)
        for l in reversed(self.layers):
            z, _ = l.run(z, ctx, True)
        return z


def caloman_config(dim, cdim, seed=0):
    g = torch.Generator().manual_seed(seed)
    layers = []
    for i in range(4):
        layers.append({'type': 'coupling', 'identityFeatures': 'even' if i % 2 == 0 else 'odd',
                       'transform': {'kind': 'rqs', 'bins': 8, 'tailBound': 1}, 'hiddenFeatures': 64, 'numBlocks': 3})
        layers.append({'type': 'permutation', 'indices': torch.randperm(dim, generator=g).tolist()})
        layers.append({'type': 'lu-linear'})
    return {'formatVersion': 1, 'dim': dim, 'contextDim': cdim, 'seed': seed, 'layers': layers}


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        assert v['dtype'] == 'F32'
        a, b = v['data_offsets']
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(v['shape'])
    return out


def load(flow_dir):
    config = json.load(open(f'{flow_dir}/config.json'))
    flow = Flow(config)
    tensors = read_safetensors(f'{flow_dir}/weights.safetensors')
    state = {}
    for k, v in tensors.items():
        parts = k.split('.')  # layers.<i>.<rest>
        state['layers.' + parts[1] + '.' + '.'.join(parts[2:])] = v
    flow.load_state_dict(state, strict=True)
    return flow


def timed(fn, min_time=1.0, min_reps=3):
    fn()
    reps, t0 = 0, time.perf_counter()
    while reps < min_reps or time.perf_counter() - t0 < min_time:
        fn()
        reps += 1
    return (time.perf_counter() - t0) / reps


def bench(threads, train_batch, seed=0):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    dim, cdim = 35, 6
    flow = Flow(caloman_config(dim, cdim, seed))
    out = {'torch': torch.__version__, 'threads': threads, 'sample': {}, 'logProb': {}}
    with torch.no_grad():
        for n in (1, 100, 10000):
            ctx = torch.rand(n, cdim) * 2 - 1
            x = torch.rand(n, dim) * 2 - 1
            out['sample'][str(n)] = n / timed(lambda: flow.sample(n, ctx))
            out['logProb'][str(n)] = n / timed(lambda: flow.log_prob(x, ctx))
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
    x = torch.rand(train_batch, dim) * 2 - 1
    ctx = torch.rand(train_batch, cdim) * 2 - 1

    def step():
        opt.zero_grad()
        loss = -flow.log_prob(x, ctx).mean()
        loss.backward()
        opt.step()

    out['trainStepsPerSecond'] = 1 / timed(step)
    out['trainBatch'] = train_batch
    return out


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    b = sub.add_parser('bench')
    b.add_argument('--threads', type=int, default=2)
    b.add_argument('--train-batch', type=int, default=512)
    lp = sub.add_parser('logprob')
    lp.add_argument('flow_dir')
    lp.add_argument('input')
    a = p.parse_args()
    if a.cmd == 'bench':
        print(json.dumps(bench(a.threads, a.train_batch)))
    else:
        torch.set_num_threads(1)
        flow = load(a.flow_dir)
        inp = json.load(open(a.input))
        x = torch.tensor(inp['x'], dtype=torch.float64)
        ctx = torch.tensor(inp['context'], dtype=torch.float64) if inp.get('context') else None
        flow = flow.double()
        with torch.no_grad():
            print(json.dumps({'logProb': flow.log_prob(x, ctx).tolist()}))


if __name__ == '__main__':
    sys.exit(main())
