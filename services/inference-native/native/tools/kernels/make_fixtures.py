#!/usr/bin/python3
"""Independent reference outputs for libmoco's kernels (methods-logit-weight.md section 1).

Each formula of the spec is transcribed in PyTorch (f32 like the contract; f64 where only the
value matters), on small fixed inputs drawn from a seeded generator, and written with the inputs
as C++ arrays to tests/kernels/fixtures/torch_reference.inc, which test_torch_fixtures.cpp
includes. The random streams (Philox4x32-10, FNV-1a, the L5 and M5 layouts) are re-implemented
here from their documentation in moco.h, so the fixtures also check that the documented mapping
is enough to reproduce libmoco's draws in another language.

    /usr/bin/python3 tools/kernels/make_fixtures.py      (Debian: apt-get install python3-torch)
"""
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "kernels",
                   "fixtures", "torch_reference.inc")

# ---- random streams, from moco.h ------------------------------------------------------------------

M32 = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for _ in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & M32, p1 & M32, ((p0 >> 32) ^ c3 ^ k1) & M32, p0 & M32
        k0 = (k0 + 0x9E3779B9) & M32
        k1 = (k1 + 0xBB67AE85) & M32
    return c0, c1, c2, c3


def uniform(word):
    return (word >> 8) * 2.0 ** -24


def sampling_uniform(seed, tokens, sample):
    ctr = (tokens & M32, tokens >> 32, sample & M32, sample >> 32)
    return uniform(philox4x32_10(ctr, (seed & M32, seed >> 32))[0])


def fnv1a64(name):
    h = 0xCBF29CE484222325
    for byte in name.encode():
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def dare_keep(seed, model_index, name, numel, density):
    key = seed ^ fnv1a64(name)
    return torch.tensor([uniform(philox4x32_10((j & M32, j >> 32, model_index, 0),
                                               (key & M32, key >> 32))[0]) < density
                         for j in range(numel)])


# ---- output ---------------------------------------------------------------------------------------

lines = []


def f32_literal(x):
    x = float(x)
    if math.isinf(x):
        return "-kInf" if x < 0 else "kInf"
    if x == 0:
        return "0.0f" if math.copysign(1, x) > 0 else "-0.0f"
    mantissa, exponent = x.hex().split("p")  # exact: an f32 value printed as a double
    return mantissa.rstrip("0").rstrip(".") + "p" + exponent + "f"


def emit_floats(name, tensor):
    values = tensor.detach().to(torch.float32).flatten().tolist()
    body = ", ".join(f32_literal(v) for v in values)
    lines.append(f"const float {name}[] = {{{body}}};")


def emit_u16(name, tensor):
    bits = [struct.unpack("<H", struct.pack("<e", v))[0] for v in tensor.flatten().tolist()] \
        if tensor.dtype == torch.float16 else \
        [(struct.unpack("<I", struct.pack("<f", v))[0] >> 16) for v in tensor.to(torch.float32).flatten().tolist()]
    lines.append(f"const uint16_t {name}[] = {{{', '.join(hex(b) for b in bits)}}};")


def emit_ints(name, values, ctype="int32_t"):
    lines.append(f"const {ctype} {name}[] = {{{', '.join(str(int(v)) for v in values)}}};")


def emit_const(name, value, ctype="int"):
    lines.append(f"constexpr {ctype} {name} = {value};")


gen = torch.Generator().manual_seed(20240611)


def randn(*shape, scale=1.0):
    return (torch.randn(*shape, generator=gen) * scale).to(torch.float32)


# ---- L1 log_softmax, entropy, top-1 probability ---------------------------------------------------

ROWS, VOCAB = 3, 37
logits = randn(ROWS, VOCAB, scale=3.0)
logits[1, 5] = -math.inf
logits[1, 30] = -math.inf
emit_const("kRows", ROWS)
emit_const("kVocab", VOCAB)
emit_floats("logits", logits)
emit_floats("log_softmax_expected", torch.log_softmax(logits, dim=-1))
p64 = torch.softmax(logits.double(), dim=-1)
lp64 = torch.log_softmax(logits.double(), dim=-1)
emit_floats("entropy_expected", -(p64 * torch.where(p64 > 0, lp64, torch.zeros_like(lp64))).sum(-1))
emit_floats("top1_expected", p64.max(-1).values)

# ---- L2 fusion, L3 contrast, L4 plausibility cut --------------------------------------------------

models = [randn(ROWS, VOCAB, scale=2.0) for _ in range(4)]
for i, z in enumerate(models):
    emit_floats(f"model{i}", z)
emit_floats("fuse_uniform_expected", (models[0] + models[1] + models[2]) / 3)
weights = torch.tensor([0.5, -0.25, 1.25], dtype=torch.float32)
fused = weights[0] * models[0]
for i in (1, 2):
    fused = fused + weights[i] * models[i]
emit_floats("fuse_weights", weights)
emit_floats("fuse_weighted_expected", fused)


def contrast(tops, bots, lam):
    acc = torch.zeros_like(tops[0])
    for top, bot in zip(tops, bots):
        acc = acc + top
        acc = acc - bot
    return torch.tensor(lam, dtype=torch.float32) * acc + tops[0]


for lam_name, lam in (("0", 0.0), ("02", 0.2), ("1", 1.0)):
    emit_floats(f"contrast_k1_l{lam_name}", contrast([models[0]], [models[1]], lam))
    emit_floats(f"contrast_k2_l{lam_name}", contrast([models[0], models[2]], [models[3], models[1]], lam))

ALPHA = 0.1
cut = contrast([models[0]], [models[1]], 0.2)
threshold = (models[0].double().max(-1, keepdim=True).values + math.log(ALPHA)).float()
emit_floats("plausibility_expected", torch.where(models[0] >= threshold, cut, torch.full_like(cut, -math.inf)))

# ---- L5 draw --------------------------------------------------------------------------------------

SEED, TEMPERATURE, STEPS = 0x1234_5678_9ABC_DEF0, 0.7, 40
row = randn(VOCAB)
emit_floats("sample_logits", row)
probs = torch.softmax(row.double() / TEMPERATURE, dim=-1)
cdf = torch.cumsum(probs, 0)
draws, uniforms = [], []
for step in range(STEPS):
    u = sampling_uniform(SEED, step, 3)
    uniforms.append(u)
    token = int(torch.searchsorted(cdf, torch.tensor([u], dtype=torch.float64), right=True)[0])
    # A u within 1e-6 of a CDF step could fall either way with f32 logits: mark it unchecked.
    near = any(abs(u - c) < 1e-6 for c in cdf.tolist())
    draws.append(-1 if near else token)
emit_const("kSampleSeed", f"0x{SEED:016x}ull", "uint64_t")
emit_floats("sample_uniforms", torch.tensor(uniforms, dtype=torch.float64))
emit_ints("sample_tokens", draws)

# ---- merges ---------------------------------------------------------------------------------------

R, C = 8, 12
NAME = "model.layers.3.mlp.up_proj.weight"
MERGE_SEED = 987654321
base = randn(R, C, scale=0.05)
thetas = [base + randn(R, C, scale=0.01) for _ in range(3)]
emit_const("kMergeRows", R)
emit_const("kMergeCols", C)
emit_const("kMergeSeed", f"{MERGE_SEED}ull", "uint64_t")
lines.append(f'const char* const kMergeName = "{NAME}";')
emit_floats("merge_base", base)
for i, t in enumerate(thetas):
    emit_floats(f"merge_theta{i}", t)

# M1 linear, weights 1/3 (f32) and the same over bf16-stored inputs, rounded into bf16.
w3 = torch.full((3,), 1.0 / 3.0, dtype=torch.float32)
linear = (w3[0] * thetas[0] + w3[1] * thetas[1] + w3[2] * thetas[2]) / w3.sum()
emit_floats("linear_expected", linear)
bf = [t.to(torch.bfloat16) for t in thetas]
for i, t in enumerate(bf):
    emit_u16(f"merge_theta{i}_bf16", t)
linear_bf = (w3[0] * bf[0].float() + w3[1] * bf[1].float() + w3[2] * bf[2].float()) / w3.sum()
emit_u16("linear_bf16_expected", linear_bf.to(torch.bfloat16))

deltas = [t - base for t in thetas]
W = torch.tensor([1.0, 0.5, 0.8], dtype=torch.float32)
emit_floats("merge_weights", W)

# Task arithmetic with lambda 0.8 (no consensus, no normalisation).
mixed = W[0] * deltas[0] + W[1] * deltas[1] + W[2] * deltas[2]
emit_floats("task_arithmetic_expected", base + torch.tensor(0.8, dtype=torch.float32) * mixed)


def ties_merge(sparse, normalize):
    u = torch.stack([W[i] * sparse[i] for i in range(3)])
    sigma = torch.where(u.sum(0) >= 0, 1.0, -1.0)
    agree = torch.sign(u) == sigma
    merged = (u * agree).sum(0)
    if normalize:
        divisor = (W[:, None, None] * agree).sum(0)
        divisor[divisor == 0] = 1
        merged = merged / divisor
    return base + merged


# TIES, density 0.5: the k = 48 largest |delta| of each input (distinct magnitudes here).
k = int(0.5 * R * C)
trimmed = []
for d in deltas:
    keep = torch.zeros(R * C, dtype=torch.bool)
    keep[torch.topk(d.abs().flatten(), k).indices] = True
    trimmed.append(d * keep.view(R, C))
emit_floats("ties_expected", ties_merge(trimmed, normalize=True))

# DARE-TIES, density 0.3, L1 rescale, the M5 stream re-derived above (model indices 0, 1, 2).
dropped = []
for i, d in enumerate(deltas):
    keep = dare_keep(MERGE_SEED, i, NAME, R * C, 0.3).view(R, C)
    kept = d * keep
    before, after = d.abs().double().sum(), kept.abs().double().sum()
    dropped.append(kept * float(before / after) if before >= 1e-7 and after >= 1e-7 else kept)
    emit_ints(f"dare_mask{i}", keep.flatten().tolist(), "uint8_t")
emit_floats("dare_ties_expected", ties_merge(dropped, normalize=False))

# ExPO, alpha 0.3: target theta0, source base.
emit_floats("expo_expected", thetas[0] + torch.tensor(0.3, dtype=torch.float32) * (thetas[0] - base))

# SLERP t = 0.3 from base to theta1 (mergekit's formula; angle in f64, coefficients f32).
v0, v1 = base.double().flatten(), thetas[1].double().flatten()
c = float((v0 / v0.norm()) @ (v1 / v1.norm()))
phi = math.acos(c)
s0 = torch.tensor(math.sin(0.7 * phi) / math.sin(phi), dtype=torch.float32)
s1 = torch.tensor(math.sin(0.3 * phi) / math.sin(phi), dtype=torch.float32)
emit_floats("slerp_expected", s0 * base + s1 * thetas[1])

# M9 LoRA apply: W [8, 12] + 2 (B A), A [4, 12], B [8, 4].
Wl, A, B = randn(8, 12), randn(4, 12, scale=0.1), randn(8, 4, scale=0.1)
emit_floats("lora_w", Wl)
emit_floats("lora_a", A)
emit_floats("lora_b", B)
emit_floats("lora_expected", Wl + torch.tensor(2.0) * (B @ A))

# M11 PSO step and M12 softmax of merge weights.
x, v, pb, gb, gw = (randn(50) for _ in range(5))
a, b, cc, d, step = 0.2, 0.3, 0.4, 0.05, 0.5
for name, t in (("pso_x", x), ("pso_v", v), ("pso_p", pb), ("pso_g", gb), ("pso_w", gw)):
    emit_floats(name, t)
f = lambda value: torch.tensor(value, dtype=torch.float32)
v_new = f(a) * v + f(b) * (pb - x) + f(cc) * (gb - x) + f(d) * (x - gw)
emit_floats("pso_v_expected", v_new)
emit_floats("pso_x_expected", x + f(step) * v_new)
particle = randn(5, scale=2.0)
emit_floats("softmax_in", particle)
emit_floats("softmax_expected", torch.softmax(particle, dim=0))

with open(OUT, "w") as out:
    out.write(f"// Generated by tools/kernels/make_fixtures.py (torch {torch.__version__}); do not edit.\n")
    out.write("\n".join(lines) + "\n")
print(f"wrote {OUT}")
