#!/usr/bin/python3
"""PyTorch mirror of @calozoo/caloman generation, for the speed benchmark and as a check of the
TypeScript networks (packages/caloman/bench/generate.bench.mjs writes the model and the check files).

Loads the SAME saved model directory: the EPL flow and the latent flow through
tools/flows-reference/caloman_flow.py, the decoder's dense weights from vae/weights.safetensors,
and mirrors packages/caloman/src: the parallel MLP of dense.ts, and model.ts `generate` (EPL
sample, clip to eplRange, preprocess.ts inversion, condition y, latent sample, decoder mean (plus
generation.decoderNoise · σ · ε for models that sample their decoder; for the zero-inflated
likelihood the hit draw u < p, folded |mean + σ·ε| values and one hit in each layer left empty),
voxel inverse, clip to the training range, per-layer renormalisation, threshold (zero-inflated:
the hit floor), layer-energy rescale). Not mirrored: the response calibration (a model that has one is timed without it; the
script says so). Random numbers come from torch, not calozoo's Rng, so showers differ from the
TypeScript ones sample by sample; the networks are checked on identical inputs instead.

  /usr/bin/python3 tools/caloman-reference/generate_torch.py MODEL_DIR --check CHECK_DIR \
      [--threads 2] [--seconds 2] [--batches 1,100,10000] [--json OUT.json] [--serve]

--serve: after the check, answer timing requests on stdin, one JSON object per line
({"batch": n, "seconds": s}, one JSON line back with the `generate` statistics), so that the node
bench can alternate PyTorch and ONNX Runtime rounds in one run on a machine whose speed drifts.
"""
import argparse
import json
import math
import os
import platform
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'flows-reference'))
import caloman_flow  # noqa: E402  (tools/flows-reference)

DS1_ENERGIES_MEV = [2.0 ** (k + 8) for k in range(15)]
EPL_OFFSET_MEV = 0.001
VOXEL_LOGIT_EPSILON = 1e-6


class ParallelMlp(torch.nn.Module):
    """dense.ts ParallelMlp: condition stack c_i = relu(c_{i-1} W + b), main h_i = relu([h, c_i] W + b), out = [h, c] W + b."""

    def __init__(self, tensors, name, hidden_layers):
        super().__init__()
        self.cond = [(tensors[f'{name}.cond.{i}.kernel'], tensors[f'{name}.cond.{i}.bias']) for i in range(hidden_layers)]
        self.main = [(tensors[f'{name}.main.{i}.kernel'], tensors[f'{name}.main.{i}.bias']) for i in range(hidden_layers)]
        self.out = (tensors[f'{name}.out.kernel'], tensors[f'{name}.out.bias'])

    def forward(self, x, y):
        h, c = x, y
        for (ck, cb), (mk, mb) in zip(self.cond, self.main):
            c = torch.relu(torch.addmm(cb, c, ck))
            h = torch.relu(torch.addmm(mb, torch.cat([h, c], 1), mk))
        return torch.addmm(self.out[1], torch.cat([h, c], 1), self.out[0])


def flow_inverse(flow, z, ctx):
    """The flow's sampling pass from given base noise z (caloman_flow.Flow.sample draws its own)."""
    for layer in reversed(flow.layers):
        z, _ = layer.run(z, ctx, True)
    return z


class CaloManTorch:
    """The three generation networks and the preprocessing of a saved CaloMan model."""

    def __init__(self, model_dir, slices):
        mc = json.load(open(os.path.join(model_dir, 'config.json')))
        self.config, pre = mc['config'], mc['preprocessing']
        comp = mc.get('components', {'epl': 'epl/', 'vae': 'vae/', 'latent-flow': 'latent-flow/'})
        self.epl = caloman_flow.load(os.path.join(model_dir, comp['epl']))
        self.latent_flow = caloman_flow.load(os.path.join(model_dir, comp['latent-flow']))
        vae = caloman_flow.read_safetensors(os.path.join(model_dir, comp['vae'], 'weights.safetensors'))
        self.decoder_net = ParallelMlp(vae, 'decoder', len(self.config['vae']['hidden']))
        # vae.ts: 'per-voxel' decoders output [mean | log σ] (log σ clipped to [−6, 1]); 'shared'
        # ones the mean, with one learned decoder.logSigma. Model directories without the key are shared.
        # 'zero-inflated' ones (vae.ts drawsHits) output [mean | log σ | hit logit].
        likelihood = self.config['vae'].get('likelihood', 'shared')
        self.zero_inflated = likelihood == 'zero-inflated'
        self.per_voxel = likelihood in ('per-voxel', 'zero-inflated')
        self.shared_log_sigma = vae.get('decoder.logSigma')
        self.decoder_noise = self.config['generation'].get('decoderNoise', 0)
        self.epl_floor = self.config.get('eplFloor', 1e-7)  # configs.ts LEGACY_DEFAULTS
        self.frac_lo, self.frac_hi = vae.get('buffer.fractionLo'), vae.get('buffer.fractionHi')
        t = lambda s: (torch.tensor(s['shift'], dtype=torch.float32), torch.tensor(s['scale'], dtype=torch.float32))  # noqa: E731
        self.st_epl, self.st_ctx, self.st_latent = t(pre['epl']), t(pre['context']), t(pre['latent'])
        self.epl_lo = torch.tensor(pre['eplRange']['lo'], dtype=torch.float32)
        self.epl_hi = torch.tensor(pre['eplRange']['hi'], dtype=torch.float32)
        self.calibrated = pre.get('calibration') is not None
        self.slices = slices
        self.L = len(slices)
        self.voxels = slices[-1][1]
        # Voxel → layer index, for per-layer sums with index_add / gather.
        self.layer_of = torch.cat([torch.full((e - s,), l, dtype=torch.long) for l, (s, e) in enumerate(slices)])

    def decoder(self, z, y):
        """Decoder expected value [n, V] (the TF.js `decode`: p · mean for zero-inflated)."""
        out = self.decoder_net(z, y)
        V = self.voxels
        if self.zero_inflated:
            return out[:, :V] * torch.sigmoid(out[:, 2 * V:])
        return out[:, :V] if self.per_voxel else out

    def decoder_sample(self, z, y):
        """Mean + decoderNoise · σ · ε, as model.ts generates (ε, u from torch, not calozoo's Rng)."""
        out = self.decoder_net(z, y)
        V = self.voxels
        if self.per_voxel:
            mean, sigma = out[:, :V], torch.exp(out[:, V:2 * V].clamp(-6, 1))
        else:
            mean, sigma = out, torch.exp(self.shared_log_sigma)
        x = mean + self.decoder_noise * sigma * torch.randn_like(mean) if self.decoder_noise > 0 else mean
        if not self.zero_inflated:
            return x
        # vae.ts sample: hit when u < p, value |x|; a layer without a hit gets one at its largest p·|mean|
        p = torch.sigmoid(out[:, 2 * V:])
        drawn = torch.where(torch.rand_like(p) < p, x.abs(), torch.zeros_like(x))
        q = p * mean.abs()
        empty = self.layer_sum(drawn) == 0
        layer_max = torch.stack([q[:, s:e].max(1).values for s, e in self.slices], 1)
        top = (q == layer_max[:, self.layer_of]) & (q > 0)
        return drawn + torch.where(top & empty[:, self.layer_of], q, torch.zeros_like(q))

    def epl_to_energies(self, u, energy):
        if self.config['eplTransform'] == 'published':
            e = torch.pow(10.0, u + 1) * 1e5 - EPL_OFFSET_MEV
        else:
            e = (torch.pow(10.0, u) - self.epl_floor) * energy[:, None]
        return torch.nan_to_num(e, nan=0.0, posinf=0.0, neginf=0.0).clamp(min=0)

    def energies_to_epl(self, e, energy):
        e = e.clamp(min=0)
        if self.config['eplTransform'] == 'published':
            return torch.log10((e + EPL_OFFSET_MEV) / 1e5) - 1
        return torch.log10(e / energy[:, None] + self.epl_floor)

    def voxel_inverse(self, x):
        kind = self.config['voxelTransform']
        if kind == 'linear':
            return x.clamp(min=0)
        if kind == 'sqrt':
            return torch.where(x > 0, x * x, torch.zeros_like(x))
        eps = VOXEL_LOGIT_EPSILON
        return ((torch.sigmoid(x) - eps) / (1 - 2 * eps)).clamp(min=0)

    def layer_sum(self, v):
        return torch.zeros(v.shape[0], self.L).index_add_(1, self.layer_of, v)

    def fractions_to_showers(self, f, layer_e):
        f = f.clamp(min=0)
        if self.config['generation']['clipToTrainingRange'] and self.frac_lo is not None:
            clipped = torch.minimum(self.frac_hi, torch.maximum(self.frac_lo, f))
            # under the hit floor a miss stays a miss (preprocess.ts fractionsToShowers)
            f = torch.where(f > 0, clipped, f) if self.zero_inflated else clipped
        e = layer_e.clamp(min=0)
        s = self.layer_sum(f)
        ok = (s > 0) & (e > 0)
        k = torch.where(ok, e / torch.where(ok, s, torch.ones_like(s)), torch.zeros_like(s))
        x = f * k[:, self.layer_of]
        t = self.config['thresholdMeV']
        keep = self.config['generation']['keepLayerEnergy']
        floored = None
        if self.zero_inflated:
            # hit floor: hits raised to t, the energy above m·t shared by each hit's excess over t
            hit = x > 0
            m = self.layer_sum(hit.float())
            excess = self.layer_sum(torch.where(hit, x.clamp(min=t) - t, torch.zeros_like(x)))
            if not keep:
                return torch.where(hit, x.clamp(min=t), x)
            use = (m * t <= e) & (excess > 0)
            r = torch.where(use, (e - m * t) / torch.where(use, excess, torch.ones_like(excess)), torch.zeros_like(e))
            floored = torch.where(hit, t + (x.clamp(min=t) - t) * r[:, self.layer_of], x)
        cut = torch.where(x >= t, x, torch.zeros_like(x))
        if keep:
            kept = self.layer_sum(cut)
            r = torch.where((kept > 0) & (kept < e), e / kept, torch.ones_like(kept))
            cut = cut * r[:, self.layer_of]
        if floored is None:
            return cut
        return torch.where(use[:, self.layer_of], floored, cut)

    def generate(self, energy):
        n = energy.shape[0]
        c = ((torch.log10(energy + EPL_OFFSET_MEV) - self.st_ctx[0]) / self.st_ctx[1])[:, None]
        u = self.epl.sample(n, c) * self.st_epl[1] + self.st_epl[0]
        u = torch.minimum(self.epl_hi, torch.maximum(self.epl_lo, u))
        layer_e = self.epl_to_energies(u, energy)
        y = torch.cat([c, (self.energies_to_epl(layer_e, energy) - self.st_epl[0]) / self.st_epl[1]], 1)
        z = self.latent_flow.sample(n, y) * self.st_latent[1] + self.st_latent[0]
        return self.fractions_to_showers(self.voxel_inverse(self.decoder_sample(z, y)), layer_e)


def read_check(check_dir):
    manifest = json.load(open(os.path.join(check_dir, 'manifest.json')))
    arrays = {}
    for name, shape in manifest.items():
        if name == 'slices':
            continue
        with open(os.path.join(check_dir, f'{name}.f32'), 'rb') as f:
            arrays[name] = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape)
    return manifest['slices'], arrays


def check(m, a):
    """Max |torch − TF.js| of each network on the inputs the node script used."""
    out = {}
    with torch.no_grad():
        pairs = {
            'decoder': (m.decoder(a['z'], a['y']), a['decoderOut']),
            'eplFlow': (flow_inverse(m.epl, a['eplNoise'], a['eplContext']), a['eplOut']),
            'latentFlow': (flow_inverse(m.latent_flow, a['latentNoise'], a['y']), a['latentOut']),
        }
    for name, (mine, theirs) in pairs.items():
        d = (mine - theirs).abs()
        out[name] = {'maxAbsDiff': d.max().item(), 'maxAbsValue': theirs.abs().max().item(), 'n': theirs.shape[0]}
    return out


def repeat(fn, seconds):
    """Warm-up call, then ≥ 3 calls and ≥ `seconds`; ms per call."""
    fn()
    times, t0 = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - t0 < seconds:
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return times


def stat(times, n):
    mu = sum(times) / len(times)
    sd = math.sqrt(sum((t - mu) ** 2 for t in times) / max(1, len(times) - 1))
    return {'meanMs': mu / n, 'stdMs': sd / n, 'reps': len(times)}


def bench(m, seconds, batches):
    rows = []
    g = torch.Generator().manual_seed(0)
    D = m.latent_flow.dim
    for n in batches:
        energy = torch.tensor(DS1_ENERGIES_MEV)[torch.randint(15, (n,), generator=g)]
        ctx = torch.log10(energy)[:, None]
        y = torch.rand(n, 1 + m.L, generator=g) * 2 - 1
        z = torch.randn(n, D, generator=g)
        with torch.no_grad():
            row = {
                'batch': n,
                'generate': stat(repeat(lambda: m.generate(energy), seconds), n),
                'eplSample': stat(repeat(lambda: m.epl.sample(n, ctx), seconds), n),
                'latentSample': stat(repeat(lambda: m.latent_flow.sample(n, y), seconds), n),
                'decode': stat(repeat(lambda: m.decoder(z, y), seconds), n),
            }
        f = lambda s: f"{s['meanMs']:.3g} ± {s['stdMs']:.2g}"  # noqa: E731
        print(f"  batch {n}: generate {f(row['generate'])} ms/shower ({1e3 / row['generate']['meanMs']:.0f} showers/s, "
              f"{row['generate']['reps']} reps); EPL {f(row['eplSample'])}, latent flow {f(row['latentSample'])}, "
              f"decoder {f(row['decode'])}", flush=True)
        rows.append(row)
    return rows


def serve(m):
    """Timing server: one request per stdin line, one answer per stdout line (see --serve)."""
    g = torch.Generator().manual_seed(1)
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        n = int(req['batch'])
        energy = torch.tensor(DS1_ENERGIES_MEV)[torch.randint(15, (n,), generator=g)]
        with torch.no_grad():
            res = {'batch': n, 'generate': stat(repeat(lambda: m.generate(energy), float(req['seconds'])), n), 'loadavg': os.getloadavg()}
        print(json.dumps(res), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('model_dir')
    p.add_argument('--check', required=True, help='check/ folder written by generate.bench.mjs (inputs, TF.js outputs, layer slices)')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seconds', type=float, default=2.0)
    p.add_argument('--batches', default='1,100,10000', help='comma-separated batch sizes')
    p.add_argument('--json')
    p.add_argument('--serve', action='store_true', help='answer timing requests on stdin (JSON lines) instead of the fixed benchmark')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    slices, arrays = read_check(a.check)
    m = CaloManTorch(a.model_dir, slices)
    if a.serve:
        return serve(m)
    load0 = os.getloadavg()
    print(f'torch {torch.__version__}, {a.threads} threads, {platform.processor() or platform.machine()}, load {load0}')
    if m.calibrated:
        print('note: the model has a response calibration, which this mirror skips (timing differs by a per-shower rescale)')
    res = {'torch': torch.__version__, 'threads': a.threads, 'check': check(m, arrays)}
    for name, c in res['check'].items():
        print(f"  check {name}: max |torch − tfjs| = {c['maxAbsDiff']:.3g} (max |value| {c['maxAbsValue']:.3g}, {c['n']} rows)")
    res['rows'] = bench(m, a.seconds, [int(b) for b in a.batches.split(',')])
    res['loadavg'] = {'start': load0, 'end': os.getloadavg()}
    print(f"load average at end {res['loadavg']['end']}")
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(res, f, indent=1)


if __name__ == '__main__':
    sys.exit(main())
