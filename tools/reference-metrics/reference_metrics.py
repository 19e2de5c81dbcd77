#!/usr/bin/python3
"""Independent NumPy/SciPy reference for @calozoo/metrics (field-reference.md §2, §2.7, §5.3).

Usage: /usr/bin/python3 reference_metrics.py config.json

config.json: {"reference": "ref.h5", "generated": "gen.h5", "out": "out.json",
              "dataset": "ds1-photons" | "ds1-pions" | "ds2" | "ds3" | "ild" | "cylindrical" | "grid",
              "threshold": 1.0, "hitThreshold": 1.0,
              "geometry": {"kind": "cylindrical", "layers": [{"id": 0, "rEdges": [...], "nAlpha": 1}, ...]}
                        | {"kind": "grid", "shape": [z, x, y]},
              "timing": false}

Writes per-shower features of both samples, every histogram's separation power, JSD and W1, the
correlation matrices, the mu90/sigma90 table, the cls-high matrices and full-sample Frechet
distance and unbiased polynomial MMD^2 of the normalised cls-high features.
Written from the formulas of field-reference.md, not from the TypeScript code.
"""
import json
import sys
import time

import h5py
import numpy as np
import scipy.linalg
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

EPS = 1e-16
DS1_ENERGIES = [2.0 ** k for k in range(8, 23)]


def load(path, threshold):
    with h5py.File(path, "r") as f:
        x = np.asarray(f["showers"][...], dtype=np.float64)
        e = np.asarray(f["incident_energies"][...], dtype=np.float64).reshape(-1)
    x[x < threshold] = 0.0
    return x, e


def layer_views(geo):
    """[(layer id, slice, (nAlpha, nR) or None, centres dict)] in flattened order."""
    out = []
    if geo["kind"] == "grid":
        nz, nx, ny = geo["shape"]
        ix, iy = np.meshgrid(np.arange(nx, dtype=np.float64), np.arange(ny, dtype=np.float64), indexing="ij")
        cx, cy = (nx - 1) / 2, (ny - 1) / 2
        r = np.hypot(ix - cx, iy - cy)
        for z in range(nz):
            sl = slice(z * nx * ny, (z + 1) * nx * ny)
            out.append((z, sl, True, {"a": ix.reshape(-1), "b": iy.reshape(-1), "r": r.reshape(-1)}))
        return out
    offset = 0
    for L in geo["layers"]:
        edges = np.asarray(L["rEdges"], dtype=np.float64)
        n_r = len(edges) - 1
        n_a = L["nAlpha"]
        if n_r <= 0:
            continue
        rc = (edges[:-1] + edges[1:]) / 2
        ac = -np.pi + (np.arange(n_a) + 0.5) * 2 * np.pi / n_a
        # radial index fastest: (alpha, r)
        R = np.tile(rc, n_a)
        A = np.repeat(ac, n_r)
        sl = slice(offset, offset + n_r * n_a)
        offset += n_r * n_a
        out.append((L["id"], sl, n_a > 1, {"a": R * np.cos(A), "b": R * np.sin(A), "r": R}))
    return out


def features(x, e, geo, hit_threshold):
    grid = geo["kind"] == "grid"
    ta, tb = ("x", "y") if grid else ("eta", "phi")
    layers = layer_views(geo)
    nl = len(layers)
    F = {}
    E_layers = []
    all_a, all_b, all_r, all_z = [], [], [], []
    for li, (lid, sl, tr, c) in enumerate(layers):
        d = x[:, sl]
        S = d.sum(axis=1)
        E_layers.append(S)
        F[f"E_layer[{lid}]"] = S
        F[f"Sparsity[{lid}]"] = 1 - (d > 0).mean(axis=1)
        for key, name in (("r", "r"),) + ((("a", ta), ("b", tb)) if tr else ()):
            ec = (d * c[key]).sum(axis=1) / (S + EPS)
            w = np.sqrt(np.maximum(0, (d * c[key] ** 2).sum(axis=1) / (S + EPS) - ec ** 2))
            F[f"EC_{name}[{lid}]"] = ec
            F[f"Width_{name}[{lid}]"] = w
        all_a.append(c["a"]); all_b.append(c["b"]); all_r.append(c["r"]); all_z.append(np.full(d.shape[1], li, dtype=np.float64))
    a = np.concatenate(all_a); b = np.concatenate(all_b); r = np.concatenate(all_r); z = np.concatenate(all_z)
    order = np.concatenate([np.arange(sl.start, sl.stop) for (_, sl, _, _) in layers])
    xv = x[:, order]
    E = xv.sum(axis=1)
    F["E_inc"] = e
    F["E_dep"] = E
    F["E_dep/E_inc"] = E / e
    F["n_hit"] = ((xv > 0) & (xv >= hit_threshold)).sum(axis=1).astype(np.float64)
    for key, coord in ((ta, a), (tb, b), ("z", z)) + ((("r", r),) if not grid else ()):
        m1 = (xv * coord).sum(axis=1) / (E + EPS)
        m2 = (xv * (coord[None, :] - m1[:, None]) ** 2).sum(axis=1) / (E + EPS)
        F[f"m1_{key}"] = m1
        F[f"m2_{key}"] = m2
    thirds = [(3 * li) // nl for li in range(nl)]
    for t in range(3):
        F[f"E{t + 1}/E_dep"] = sum(E_layers[li] for li in range(nl) if thirds[li] == t) / (E + EPS)
    return F, layers, (ta, tb), xv


def logspace(lo, hi, n):
    """np.logspace with the end edges pinned to lo and hi: 10**log10(hi) may round one ulp below
    hi (libm dependent), which would drop the reference maximum; calozoo keeps it."""
    e = np.logspace(np.log10(lo), np.log10(hi), n)
    e[0], e[-1] = lo, hi
    return e


def lin(a, b, n):
    return np.linspace(a, b, n)


def official(dataset, group, lid):
    ds1 = dataset in ("ds1-photons", "ds1-pions")
    ds23 = dataset in ("ds2", "ds3")
    if not (ds1 or ds23):
        return None
    if group == "EC_t":
        return (-30, 30) if ds23 else (-500, 500) if lid in (12, 13) else (-100, 100)
    if group == "W_t":
        return (0, 30) if ds23 else (0, 400) if lid in (12, 13) else (0, 100)
    if group == "EC_r":
        return (0, 42) if ds23 else (0, 1500) if lid in (12, 13, 14) else (0, 500)
    if group == "W_r":
        return (0, 20) if ds23 else (0, 1500) if lid in (12, 13, 14) else (0, 500)
    return None


def data_edges(v, bins=50, integer=False):
    lo, hi = v.min(), v.max()
    if not hi > lo:
        return None
    if integer:
        n = min(100, int(round(hi - lo)) + 1)
        return np.linspace(lo - 0.5, hi + 0.5, n + 1)
    pad = 0.005 * (hi - lo)
    return np.linspace(lo - pad, hi + pad, bins + 1)


def specs(F, layers, names, dataset, threshold, vmax):
    ta, tb = names
    calo = dataset in ("ds1-photons", "ds1-pions", "ds2", "ds3")
    out = []  # (name, edges, fn(F) or None)
    ed = lin(0.5, 1.5, 101) if calo else data_edges(F["E_dep/E_inc"])
    if ed is not None:
        out.append(("E_dep/E_inc", ed, lambda G: G["E_dep/E_inc"]))
    if dataset in ("ds1-photons", "ds1-pions"):
        for en in DS1_ENERGIES:
            narrow = dataset == "ds1-photons" and en >= 4096
            edges = lin(0.9, 1.1, 21) if narrow else lin(0.4, 1.4, 21)
            out.append((f"E_dep/E_inc@{int(en)}MeV", edges,
                        lambda G, en=en: G["E_dep/E_inc"][np.isclose(G["E_inc"], en, rtol=1e-6, atol=0)]))
    for lid, _, tr, _ in layers:
        m = F[f"E_layer[{lid}]"].max()
        if m > threshold:
            out.append((f"E_layer[{lid}]", logspace(threshold, m, 40), lambda G, k=f"E_layer[{lid}]": G[k]))
    for lid, _, tr, _ in layers:
        out.append((f"Sparsity[{lid}]", lin(0, 1, 21), lambda G, k=f"Sparsity[{lid}]": G[k]))
    for grp, key, tmpl in (("EC_r", "r", "EC_r[{}]"), ("W_r", "r", "Width_r[{}]"),
                           ("EC_t", "a", "EC_" + ta + "[{}]"), ("EC_t", "b", "EC_" + tb + "[{}]"),
                           ("W_t", "a", "Width_" + ta + "[{}]"), ("W_t", "b", "Width_" + tb + "[{}]")):
        for lid, _, tr, _ in layers:
            if key != "r" and not tr:
                continue
            name = tmpl.format(lid)
            rng = official(dataset, grp, lid)
            edges = lin(rng[0], rng[1], 101) if rng else data_edges(F[name], 100)
            if edges is not None:
                out.append((name, edges, lambda G, k=name: G[k]))
    for name in ("E_dep", "n_hit", "m1_x", "m1_y", "m1_eta", "m1_phi", "m1_z", "m1_r", "m2_x", "m2_y", "m2_eta", "m2_phi",
                 "m2_z", "m2_r", "E1/E_dep", "E2/E_dep", "E3/E_dep"):
        if name in F:
            edges = data_edges(F[name], 50, name == "n_hit")
            if edges is not None:
                out.append((name, edges, lambda G, k=name: G[k]))
    if vmax > threshold:
        out.append(("voxel energy", logspace(threshold, vmax, 50), None))
    return out


def sep_power(h1, h2):
    return float(0.5 * ((h1 - h2) ** 2 / (h1 + h2 + 1e-16)).sum())


def prob(v, edges):
    if len(v) == 0:
        return np.zeros(len(edges) - 1)
    c, _ = np.histogram(v, bins=edges)
    if c.sum() == 0:
        return np.zeros(len(edges) - 1)
    dens, _ = np.histogram(v, bins=edges, density=True)
    return dens * np.diff(edges)


def mu90(v):
    v = np.sort(np.asarray(v, dtype=np.float64))
    n = len(v)
    if n == 0:
        return None
    n90 = n - n // 10
    widths = v[n90 - 1:] - v[: n - n90 + 1]
    i = int(np.argmin(widths))
    w = v[i:i + n90]
    return {"mu90": float(w.mean()), "sigma90": float(w.std()), "n90": n90}


def cls_high(F, layers, names):
    ta, tb = names
    cols = [np.log10(F["E_inc"])]
    cols += [np.log10(F[f"E_layer[{lid}]"] + 1e-8) for lid, _, _, _ in layers]
    for tmpl in ("EC_" + ta, "EC_" + tb, "Width_" + ta, "Width_" + tb):
        cols += [F[f"{tmpl}[{lid}]"] / 1e2 for lid, _, tr, _ in layers if tr]
    cols.append(np.log10(F["E_dep"] + 1e-8))
    cols += [F[f"Sparsity[{lid}]"] for lid, _, _, _ in layers]
    cols += [F[f"EC_r[{lid}]"] / 1e2 for lid, _, _, _ in layers]
    cols += [F[f"Width_r[{lid}]"] / 1e2 for lid, _, _, _ in layers]
    return np.stack(cols, axis=1)


def frechet(X, Y):
    mu1, mu2 = X.mean(axis=0), Y.mean(axis=0)
    s1, s2 = np.cov(X, rowvar=False), np.cov(Y, rowvar=False)
    covmean, _ = scipy.linalg.sqrtm(s1.dot(s2), disp=False)
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def mmd_poly(X, Y):
    d = X.shape[1]
    kxx = (X @ X.T / d + 1) ** 4
    kyy = (Y @ Y.T / d + 1) ** 4
    kxy = (X @ Y.T / d + 1) ** 4
    m, n = len(X), len(Y)
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean())


def main():
    cfg = json.load(open(sys.argv[1]))
    t0 = time.perf_counter()
    thr = cfg["threshold"]
    hit = cfg.get("hitThreshold", thr)
    geo = cfg["geometry"]
    xr, er = load(cfg["reference"], thr)
    xg, eg = load(cfg["generated"], thr)
    t_load = time.perf_counter()
    Fr, layers, names, xvr = features(xr, er, geo, hit)
    Fg, _, _, xvg = features(xg, eg, geo, hit)
    vmax = float(xr.max())
    sp = specs(Fr, layers, names, cfg["dataset"], thr, vmax)
    obs = {}
    for name, edges, fn in sp:
        if fn is None:
            a, b = xr.reshape(-1), xg.reshape(-1)
            w1 = None
        else:
            a, b = fn(Fr), fn(Fg)
            w1 = float(wasserstein_distance(a, b)) if len(a) and len(b) else None
        p, q = prob(a, edges), prob(b, edges)
        js = float(jensenshannon(p, q)) if p.sum() > 0 and q.sum() > 0 else None
        obs[name] = {"S": sep_power(p, q), "jsd": js, "w1": w1, "bins": len(edges) - 1}
    t_hist = time.perf_counter()
    out = {"observables": obs, "voxelMax": vmax, "timing": {"load_s": t_load - t0, "features_hist_chi_s": t_hist - t_load}}
    if not cfg.get("timing"):
        out["features"] = {"reference": {k: v.tolist() for k, v in Fr.items()}, "generated": {k: v.tolist() for k, v in Fg.items()}}
        corr_names = (["m1_x", "m1_y", "m1_z", "m2_x", "m2_y", "m2_z"] if geo["kind"] == "grid" else
                      ["m1_eta", "m1_phi", "m1_z", "m2_eta", "m2_phi", "m2_z"]) + ["E_dep", "E_inc", "n_hit", "E1/E_dep", "E2/E_dep", "E3/E_dep"]
        out["correlation"] = {
            "names": corr_names,
            "reference": np.corrcoef(np.stack([Fr[k][:30000] for k in corr_names])).tolist(),
            "generated": np.corrcoef(np.stack([Fg[k][:30000] for k in corr_names])).tolist(),
        }
        out["mu90"] = {str(int(en)): mu90(Fr["E_dep/E_inc"][Fr["E_inc"] == en]) for en in np.unique(Fr["E_inc"])} if len(np.unique(Fr["E_inc"])) <= 30 else {}
        Xr, Xg = cls_high(Fr, layers, names), cls_high(Fg, layers, names)
        mx = np.abs(Xr).max(axis=0)
        mx[mx == 0] = 1
        Nr, Ng = Xr / mx, Xg / mx
        out["clsHigh"] = {"dim": Xr.shape[1], "reference": Xr.tolist()}
        out["frechet"] = frechet(Nr, Ng)
        out["mmd"] = mmd_poly(Nr, Ng)
    json.dump(out, open(cfg["out"], "w"))


if __name__ == "__main__":
    main()
