"""Track initiation: single radar plots (confirmed later by M-of-N) and multi-node bearing intersections.

Bearing-only initiation keeps a short window of unassigned acoustic bearings, intersects pairs from distinct
nodes in the horizontal plane, counts for every intersection the bearings of *other* nodes that pass through it
(within 3σ), and turns intersections supported by at least ``min_nodes`` nodes into a maximum-likelihood fix
(Gauss–Newton over azimuth and, where given, elevation). Ghost intersections of two targets' bearings rarely
collect a third node's support, which is why a pair alone never starts a track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from borderwatch.tracking.measurements import MeasBatch, innovation, predict

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def radar_to_enu(
    rng: FloatArray, az: FloatArray, el: FloatArray, site: FloatArray, rot: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Plot positions (k, 3) in the tracker frame and the Jacobian (k, 3, 3) of position wrt (r, az, el)."""
    ca, sa, ce, se = np.cos(az), np.sin(az), np.cos(el), np.sin(el)
    loc = np.stack([rng * sa * ce, rng * ca * ce, rng * se], -1)
    j = np.zeros((rng.size, 3, 3))
    j[:, :, 0] = np.stack([sa * ce, ca * ce, se], -1)
    j[:, :, 1] = np.stack([rng * ca * ce, -rng * sa * ce, np.zeros_like(rng)], -1)
    j[:, :, 2] = np.stack([-rng * sa * se, -rng * ca * se, rng * ce], -1)
    rt = rot.transpose(0, 2, 1)
    pos = site + np.einsum("kij,kj->ki", rt, loc)
    return pos, rt @ j


def radar_initial_state(
    z: FloatArray, r: FloatArray, site: FloatArray, rot: FloatArray, has_rr: BoolArray, speed_sigma: float
) -> tuple[FloatArray, FloatArray]:
    """One-plot initial states (k, 6) and covariances: position from the plot, velocity zero-mean with
    ``speed_sigma`` per axis, except along the line of sight where a radial velocity is known."""
    k = z.shape[0]
    pos, j = radar_to_enu(z[:, 0], z[:, 1], z[:, 2], site, rot)
    x = np.zeros((k, 6))
    x[:, :3] = pos
    p = np.zeros((k, 6, 6))
    p[:, :3, :3] = j @ r[:, :3, :3] @ j.transpose(0, 2, 1)
    u = (pos - site) / np.linalg.norm(pos - site, axis=1, keepdims=True)
    pv = np.broadcast_to(np.eye(3) * speed_sigma**2, (k, 3, 3)).copy()
    if np.any(has_rr):
        m = has_rr
        uu = u[m][:, :, None] * u[m][:, None, :]
        rr = z[m, 3]
        srr = r[m, 3, 3]
        x[m, 3:] = rr[:, None] * u[m]
        pv[m] = speed_sigma**2 * (np.eye(3)[None] - uu) + srr[:, None, None] * uu
    p[:, 3:, 3:] = pv
    return x, p


def triangulate(
    site: FloatArray,
    rot: FloatArray,
    z: FloatArray,
    sig: FloatArray,
    x0: FloatArray,
    *,
    use_el: bool,
    iterations: int = 8,
) -> tuple[FloatArray, FloatArray]:
    """Maximum-likelihood position from bearings of several sites (Gauss–Newton).

    ``z`` (k, 2) holds azimuth and elevation (rad), ``sig`` (k, 2) their standard deviations. Without elevations
    the height is held at ``x0[2]`` and only east/north are estimated (their covariance is returned with a
    large height variance). Returns the position (3,) and its covariance (3, 3), the inverse Fisher information.
    """
    d = 2 if use_el else 1
    k = z.shape[0]
    b = MeasBatch("bearing", z[:, :d], np.zeros((k, d, d)), site, rot)
    w = 1.0 / sig[:, :d] ** 2
    x = np.zeros((k, 6))
    p = x0.astype(np.float64).copy()
    cols = 3 if use_el else 2
    info = np.eye(cols)
    for _ in range(iterations):
        x[:, :3] = p
        zh, h = predict(x, b)
        nu = innovation(b.z, zh, b)
        hp = h[:, :, :cols]
        info = np.einsum("kdi,kd,kdj->ij", hp, w, hp)
        g = np.einsum("kdi,kd,kd->i", hp, w, nu)
        try:
            step = np.linalg.solve(info, g)
        except np.linalg.LinAlgError:
            break
        p[:cols] += step
        if np.linalg.norm(step) < 0.01:
            break
    x[:, :3] = p
    _, h = predict(x, b)
    hp = h[:, :, :cols]
    info = np.einsum("kdi,kd,kdj->ij", hp, w, hp)
    cov = np.diag([300.0**2] * 3)
    try:
        cov[:cols, :cols] = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov[:cols, :cols] = np.eye(cols) * 1e8
    return p, cov


def _chi2_99(dof: int) -> float:
    """99th percentile of chi-square (Wilson–Hilferty approximation, < 1 % error for dof ≥ 1)."""
    z = 2.326
    return float(dof * (1 - 2 / (9 * dof) + z * np.sqrt(2 / (9 * dof))) ** 3)


@dataclass(frozen=True, slots=True)
class BearingFix:
    pos: FloatArray
    cov: FloatArray
    t: float  # mean emission time (s)
    reports: IntArray  # indices into the bearing buffer
    nodes: IntArray


def bearing_fixes(
    *,
    t: FloatArray,
    node: IntArray,
    az: FloatArray,
    el: FloatArray,
    has_el: BoolArray,
    sig: FloatArray,
    site: FloatArray,
    rot: FloatArray,
    max_range_m: float,
    min_nodes: int,
    default_up_m: float,
    c_sound: float,
    min_cross_deg: float = 8.0,
    gate_sigma: float = 3.0,
    max_up_m: float = 6000.0,
) -> list[BearingFix]:
    """Fixes from a window of unassigned bearings; each report is used by at most one fix."""
    nb = t.size
    if nb < min_nodes:
        return []
    origin = site[node]
    rt = rot[node].transpose(0, 2, 1)
    loc = np.stack([np.sin(az), np.cos(az), np.zeros(nb)], -1)
    hdir = np.einsum("kij,kj->ki", rt, loc)[:, :2]
    hdir /= np.linalg.norm(hdir, axis=1, keepdims=True)
    tree = cKDTree(origin[:, :2])
    pairs = tree.query_pairs(2.0 * max_range_m, output_type="ndarray")
    if pairs.size == 0:
        return []
    i, j = pairs[:, 0], pairs[:, 1]
    keep = node[i] != node[j]
    i, j = i[keep], j[keep]
    cr = hdir[i, 0] * hdir[j, 1] - hdir[i, 1] * hdir[j, 0]
    ds = origin[j, :2] - origin[i, :2]
    ok = np.abs(cr) > np.sin(np.radians(min_cross_deg))
    i, j, cr, ds = i[ok], j[ok], cr[ok], ds[ok]
    a = (ds[:, 0] * hdir[j, 1] - ds[:, 1] * hdir[j, 0]) / cr
    bb = (ds[:, 0] * hdir[i, 1] - ds[:, 1] * hdir[i, 0]) / cr
    ok = (a > 0) & (bb > 0) & (a < max_range_m) & (bb < max_range_m)
    i, j, a = i[ok], j[ok], a[ok]
    if i.size == 0:
        return []
    pts = np.zeros((i.size, 3))
    pts[:, :2] = origin[i, :2] + a[:, None] * hdir[i]
    up = np.full(i.size, default_up_m)
    elh = has_el[i]
    up[elh] = origin[i[elh], 2] + a[elh] * np.tan(el[i[elh]])
    pts[:, 2] = up
    elh_pt = elh
    # support: bearings of other nodes passing through each intersection
    sdm = cKDTree(pts[:, :2]).sparse_distance_matrix(tree, max_range_m, output_type="ndarray")
    k, b = sdm["i"].astype(np.int64), sdm["j"].astype(np.int64)
    dl = np.einsum("kij,kj->ki", rot[node[b]], pts[k] - origin[b])
    az_p = np.mod(np.arctan2(dl[:, 0], dl[:, 1]), 2 * np.pi)
    res = np.abs((az[b] - az_p + np.pi) % (2 * np.pi) - np.pi) / sig[b, 0]
    # elevation consistency where both the supporter and the intersection have one (height is rough: 150 m)
    el_p = np.arctan2(dl[:, 2], np.hypot(dl[:, 0], dl[:, 1]))
    rh = np.maximum(np.hypot(dl[:, 0], dl[:, 1]), 1.0)
    el_sig = np.hypot(sig[b, 1], 150.0 / rh)
    el_res = np.where(has_el[b] & elh_pt[k], np.abs(el[b] - el_p) / el_sig, 0.0)
    good = (res < gate_sigma) & (el_res < gate_sigma)
    k, b, res = k[good], b[good], res[good]
    if k.size == 0:
        return []
    key = k * (int(node.max()) + 1) + node[b]
    uk = np.unique(key)
    support = np.bincount(uk // (int(node.max()) + 1), minlength=pts.shape[0])
    cand = np.flatnonzero(support >= min_nodes)
    if cand.size == 0:
        return []
    # best first: most nodes, then the smaller mean residual, then position; never the index order, which depends on
    # every other bearing of the frame (so a fix here would change with a sensor 100 km away)
    mean_res = np.bincount(k, weights=res, minlength=pts.shape[0]) / np.maximum(
        np.bincount(k, minlength=pts.shape[0]), 1
    )
    cand = cand[np.lexsort((pts[cand, 1], pts[cand, 0], mean_res[cand], -support[cand]))]
    order = np.argsort(k, kind="stable")
    k, b, res = k[order], b[order], res[order]
    starts = np.searchsorted(k, cand)
    ends = np.searchsorted(k, cand, side="right")
    used = np.zeros(nb, dtype=bool)
    fixes: list[BearingFix] = []
    zall = np.stack([az, el], -1)
    for c, s0, s1 in zip(cand, starts, ends, strict=True):
        bs, rs = b[s0:s1], res[s0:s1]
        free = ~used[bs]
        bs, rs = bs[free], rs[free]
        if bs.size < min_nodes:
            continue
        o = np.lexsort((rs, node[bs]))
        bs = bs[o]
        first = np.ones(bs.size, dtype=bool)
        first[1:] = node[bs][1:] != node[bs][:-1]
        bs = bs[first]
        if bs.size < min_nodes:
            continue
        use_el = bool(has_el[bs].sum() >= 2)
        sel = bs[has_el[bs]] if use_el else bs
        if sel.size < min_nodes:
            sel = bs
            use_el = False
        pos, cov = triangulate(site[node[sel]], rot[node[sel]], zall[sel], sig[sel], pts[c], use_el=use_el)
        if use_el and not -1000.0 < pos[2] - site[node[sel], 2].mean() < max_up_m:
            sel, use_el = bs, False
            x0 = pts[c].copy()
            x0[2] = default_up_m
            pos, cov = triangulate(site[node[sel]], rot[node[sel]], zall[sel], sig[sel], x0, use_el=False)
        # a ghost (bearings of different targets) leaves inconsistent residuals: test them
        xs = np.zeros((sel.size, 6))
        xs[:, :3] = pos
        dd = 2 if use_el else 1
        zh, _ = predict(
            xs, MeasBatch("bearing", zall[sel, :dd], np.zeros((sel.size, dd, dd)), site[node[sel]], rot[node[sel]])
        )
        nu = innovation(
            zall[sel, :dd],
            zh,
            MeasBatch("bearing", zall[sel, :dd], np.zeros((sel.size, dd, dd)), site[node[sel]], rot[node[sel]]),
        )
        chi = float(np.sum((nu / sig[sel, :dd]) ** 2))
        dof = sel.size * dd - (3 if use_el else 2)
        if dof > 0 and chi > _chi2_99(dof):
            continue
        dist = np.linalg.norm(pos - site[node[sel]], axis=1)
        if not np.all(np.isfinite(pos)) or dist.max() > 1.5 * max_range_m:
            continue
        used[bs] = True
        tau = dist / c_sound if c_sound > 0 else np.zeros(dist.size)
        fixes.append(BearingFix(pos, cov, float(np.mean(t[sel] - tau)), bs, np.unique(node[bs])))
    return fixes
