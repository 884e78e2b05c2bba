"""Cross-checks `latent recommend train`'s measurements with numpy, written
independently from the Go code: on a generated ratings split, the global
mean, item mean and user+item bias baselines (ridge biases by alternating
sweeps with the penalties recorded in result.json) are refitted here from
the raw files, and their RMSE (clipped to the base file's scale), mean
per-user RMSE and precision/recall/NDCG@10 over test ratings >= 4, as well
as popularity's, must equal the figures in result.json.
"""

import json
import os
import subprocess
import tempfile

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(scope="module")
def run():
    tmp = tempfile.mkdtemp(prefix="latent-recommend-")
    binary = os.path.join(tmp, "latent")
    subprocess.run(["go", "build", "-o", binary, "./tools/latent"], cwd=ROOT, check=True)
    data = os.path.join(tmp, "ratings")
    subprocess.run([binary, "recommend", "generate", "--out", data, "--users", "90", "--items", "140",
                    "--density", "0.12", "--seed", "3"], check=True, capture_output=True)
    out = os.path.join(tmp, "run")
    subprocess.run([binary, "recommend", "train", "--ratings", os.path.join(data, "base.data"),
                    "--test", os.path.join(data, "test.data"), "--epochs", "2", "--code", "16",
                    "--out", out, "--quiet"], check=True, capture_output=True)
    with open(os.path.join(out, "result.json")) as f:
        result = json.load(f)
    return data, result


def load(path):
    a = np.loadtxt(path, dtype=np.int64, ndmin=2)
    return a[:, 0], a[:, 1], a[:, 2].astype(np.float64)


def results(result):
    return {r["model"]: r for r in result["results"]}


def test_baselines_match_numpy(run):
    data, result = run
    bu_id, bi_id, br = load(os.path.join(data, "base.data"))
    tu_id, ti_id, tr = load(os.path.join(data, "test.data"))
    users, items = np.unique(bu_id), np.unique(bi_id)
    U, I = len(users), len(items)
    assert (U, I) == (result["users"], result["items"])
    uix = {u: k for k, u in enumerate(users)}
    iix = {i: k for k, i in enumerate(items)}
    bu = np.array([uix[u] for u in bu_id])
    bi = np.array([iix[i] for i in bi_id])
    tu = np.array([uix.get(u, -1) for u in tu_id])
    ti = np.array([iix.get(i, -1) for i in ti_id])
    known = (tu >= 0) & (ti >= 0)
    assert result["unknown"] == int((~known).sum())
    lo, hi = br.min(), br.max()

    mu = br.mean()
    cfg = result["config"]["bias"]
    nu = np.bincount(bu, minlength=U)
    ni = np.bincount(bi, minlength=I)
    b_u, b_i = np.zeros(U), np.zeros(I)
    for _ in range(cfg["sweeps"]):
        b_i = np.bincount(bi, br - mu - b_u[bu], minlength=I) / (cfg["lambda_item"] + ni)
        b_u = np.bincount(bu, br - mu - b_i[bi], minlength=U) / (cfg["lambda_user"] + nu)

    def fallback():
        return mu + np.where(tu >= 0, b_u[np.maximum(tu, 0)], 0) + np.where(ti >= 0, b_i[np.maximum(ti, 0)], 0)

    item_sum = np.bincount(bi, br, minlength=I)
    item_mean = np.where(ni > 0, item_sum / np.maximum(ni, 1), mu)
    scores = {
        "global mean": np.full((U, I), mu, dtype=np.float32),
        "item mean": np.tile(item_mean.astype(np.float32), (U, 1)),
        "user+item bias": (mu + b_u[:, None] + b_i[None, :]).astype(np.float32),
    }

    def errors(pred):
        p = np.where(known, pred[np.maximum(tu, 0), np.maximum(ti, 0)].astype(np.float64), fallback())
        d = np.clip(p, lo, hi) - tr
        per_user = [np.sqrt(np.mean(d[tu_id == u] ** 2)) for u in np.unique(tu_id)]
        return np.sqrt(np.mean(d ** 2)), np.mean(per_user)

    def ranking(score, n=10):
        rated = np.zeros((U, I), dtype=bool)
        rated[bu, bi] = True
        prec, rec, ndcg = [], [], []
        for u in range(U):
            rel = set(ti[(tu == u) & known & (tr >= 4)])
            if not rel:
                continue
            cand = np.flatnonzero(~rated[u])
            # Highest score first, ties to the lower column.
            order = cand[np.lexsort((cand, -score[u, cand].astype(np.float64)))]
            top = order[:n]
            hits = [k for k, i in enumerate(top) if i in rel]
            prec.append(len(hits) / n)
            rec.append(len(hits) / len(rel))
            dcg = sum(1 / np.log2(k + 2) for k in hits)
            idcg = sum(1 / np.log2(k + 2) for k in range(min(n, len(rel))))
            ndcg.append(dcg / idcg)
        return np.mean(prec), np.mean(rec), np.mean(ndcg)

    got = results(result)
    for name, pred in scores.items():
        rmse, user_rmse = errors(pred)
        assert got[name]["errors"]["rmse"] == pytest.approx(rmse, abs=1e-6), name
        assert got[name]["errors"]["user_rmse"] == pytest.approx(user_rmse, abs=1e-6), name
        assert got[name]["errors"]["fallback"] == int((~known).sum())
        if name == "global mean":
            assert "ranking" not in got[name]
            continue
        p, r, g = ranking(pred)
        rk = got[name]["ranking"]
        assert (rk["precision"], rk["recall"], rk["ndcg"]) == pytest.approx((p, r, g), abs=1e-9), name

    popularity = np.tile(ni.astype(np.float32), (U, 1))
    p, r, g = ranking(popularity)
    rk = got["popularity"]["ranking"]
    assert (rk["precision"], rk["recall"], rk["ndcg"]) == pytest.approx((p, r, g), abs=1e-9)
    assert "errors" not in got["popularity"]


def test_trained_models_are_measured_alike(run):
    _, result = run
    got = results(result)
    ae, mf = result["results"][0], got["matrix factorisation"]
    assert ae["model"] == "autoencoder (item+user blend)"
    assert ae["epochs"] == mf["epochs"] == 2
    for r in (ae, mf):
        assert r["errors"]["n"] == result["test_ratings"]
        assert r["ranking"]["n"] == 10
