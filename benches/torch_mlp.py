#!/usr/bin/env python3
"""PyTorch reference for `bnlab bench`: the same 784-100-100-100-10 sigmoid MLP (with and
without BatchNorm before each sigmoid), batch, optimizer and thread count, on full MNIST
preloaded as uint8 and converted to float per batch. Prints one JSON object per line and
case with the fields bnlab prints. Each case runs in its own process, so its peak RSS is
its own and the two-variant case really uses two processes of one thread each."""

import argparse
import gzip
import json
import multiprocessing as mp
import os
import resource
import struct
import time


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return data[4 + 4 * ndim :], dims


def find(data_dir, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"--data-dir {data_dir}: {stem}[.gz] not found")


def load(data_dir):
    import torch

    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        raw, dims = read_idx(find(data_dir, f"{prefix}-images-idx3-ubyte"))
        x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(dims[0], 784)
        raw, _ = read_idx(find(data_dir, f"{prefix}-labels-idx1-ubyte"))
        y = torch.frombuffer(bytearray(raw), dtype=torch.uint8).long()
        out[split] = (x, y)
    # bnlab trains on the first 55,000 after holding out 5,000 for validation.
    x, y = out["train"]
    out["train"] = (x[:55000].clone(), y[:55000].clone())
    return out


def build(variant):
    import torch.nn as nn

    layers, width = [], 784
    for _ in range(3):
        layers.append(nn.Linear(width, 100))
        if variant == "bn":
            layers.append(nn.BatchNorm1d(100))
        layers.append(nn.Sigmoid())
        width = 100
    layers.append(nn.Linear(100, 10))
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.1)
            nn.init.zeros_(m.bias)
    return net


FLOPS_PER_SAMPLE = 2 * (2 * 99_400 + 21_000)
FORWARD_FLOPS = 2 * 99_400


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def train_case(args):
    data_dir, variant, batch, optimizer, steps, threads = args
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    data = load(data_dir)
    x_all, y_all = data["train"]
    net = build(variant)
    net.train()
    if optimizer == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=0.5)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=0.001)
    n = x_all.shape[0]
    per_epoch = n // batch
    order = torch.randperm(n)
    warmup = 10
    t0 = None
    for step in range(steps + warmup):
        if step == warmup:
            t0 = time.perf_counter()
        i = step % per_epoch
        if i == 0:
            order = torch.randperm(n)
        idx = order[i * batch : (i + 1) * batch]
        xb = x_all[idx].float().div_(255.0)
        yb = y_all[idx]
        loss = F.cross_entropy(net(xb), yb)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
    dt = time.perf_counter() - t0
    return {"rate": steps * batch / dt, "rss": peak_rss_mb()}


def eval_case(args):
    data_dir, variant = args
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(1)
    x, _ = load(data_dir)["test"]
    net = build(variant)
    net.eval()
    times = []
    with torch.inference_mode():
        for rep in range(8):
            t = time.perf_counter()
            net(x.float().div_(255.0))
            if rep > 0:
                times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    return {"ms": times[len(times) // 2], "rss": peak_rss_mb(), "n": x.shape[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--quick", action="store_true", help="only batch 60 with SGD")
    ap.add_argument("--samples", type=int, default=150_000, help="training samples per case")
    a = ap.parse_args()
    import torch

    ctx = mp.get_context("spawn")
    eval_ms = {}
    for v in ("plain", "bn"):
        with ctx.Pool(1) as p:
            r = p.map(eval_case, [(a.data_dir, v)])[0]
        eval_ms[v] = r["ms"]
        gflops = r["n"] * FORWARD_FLOPS / (r["ms"] * 1e6)
        print(json.dumps({"kind": "eval", "variant": v, "batch": r["n"], "optimizer": None,
                          "threads": 1, "samples_per_sec": round(r["n"] / (r["ms"] / 1e3)),
                          "eval_ms": round(r["ms"], 2), "peak_rss_mb": round(r["rss"], 1),
                          "gflops": round(gflops, 2), "torch": torch.__version__}), flush=True)
    batches, opts = ([60], ["sgd"]) if a.quick else ([60, 256], ["sgd", "adam"])
    for opt in opts:
        for batch in batches:
            steps = max(a.samples // batch, 100)
            for variants in (["plain"], ["bn"], ["plain", "bn"]):
                jobs = [(a.data_dir, v, batch, opt, steps, 1) for v in variants]
                with ctx.Pool(len(jobs)) as p:
                    res = p.map(train_case, jobs)
                total = sum(r["rate"] for r in res)
                line = {"kind": "train", "variant": "+".join(variants), "batch": batch,
                        "optimizer": opt, "threads": len(jobs),
                        "samples_per_sec": round(total),
                        "eval_ms": round(sum(eval_ms[v] for v in variants) / len(variants), 2),
                        # Separate processes: the case's memory is the sum of their peaks.
                        "peak_rss_mb": round(sum(r["rss"] for r in res), 1),
                        "gflops": round(total * FLOPS_PER_SAMPLE / 1e9, 2),
                        "torch": torch.__version__}
                if len(jobs) > 1:
                    for v, r in zip(variants, res):
                        line[f"{v}_samples_per_sec"] = round(r["rate"])
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
