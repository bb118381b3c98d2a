#!/usr/bin/env python3
"""Golden fixtures for libmoco from a plain-torch oracle (no transformers, no safetensors package).

This is the generator used where HF transformers is not installed (Debian: python3-torch and
python3-numpy only; run it with /usr/bin/python3). It re-implements HF's forward for
LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM and
LlamaForSequenceClassification, writes config.json as HF's save_pretrained would and the safetensors
files byte by byte, and records the logits along the greedy path. make_golden_hf.py produces the same
fixtures (same weights, prompts and format) with HF transformers itself as the oracle.

Two independent implementations are run on every model and must agree to 1e-9:
  A  vectorised torch, float64, whole sequence at once, structured like HF's modeling code
     (rotate_half RoPE, repeat_kv, additive causal / sliding-window mask, softmax);
  B  numpy, float64, one token at a time with an explicit KV cache, RoPE as explicit pair rotation,
     GQA by head index arithmetic, llama3 frequencies as in Meta's reference apply_scaling loop.
B produces the greedy path (like HF's generate with a cache); A the teacher-forced logits over
prompt + path that are stored. Then ablations (sliding window off, llama3/linear RoPE scaling off,
interleaved RoPE, q/k biases dropped, qk-norm dropped, wrong GQA mapping, ...) are run through A and
their max logit change is recorded, to show each fixture actually detects the feature it covers.

Usage:
  /usr/bin/python3 make_golden_torch.py [--out DIR] [--only NAME ...] [--check]
    --out    fixture root (default: ../../tests/golden/models relative to this file)
    --check  regenerate into a temporary directory and compare byte for byte with --out
"""

import argparse
import filecmp
import json
import math
import os
import shutil
import sys
import tempfile
from collections import OrderedDict

import numpy as np
import torch

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as gc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden", "models"))
ORACLE = "torch-%s-plain" % ".".join(torch.__version__.split("+")[0].split(".")[:2])

# --------------------------------------------------------------------------------------------------
# safetensors, written by hand
# --------------------------------------------------------------------------------------------------


def write_safetensors(path, tensors, dtype):
    """tensors: OrderedDict name -> float32 array (already rounded to dtype).

    Layout: u64 little-endian header length N, N bytes of JSON (space-padded to a multiple of 8),
    then the tensors' raw little-endian bytes. Like the safetensors library, tensors are ordered by
    name (they all have the same dtype here) and the header starts with __metadata__."""
    names = sorted(tensors)
    header = OrderedDict()
    header["__metadata__"] = OrderedDict([("format", "pt")])
    blobs, off = [], 0
    for n in names:
        b = gc.to_storage_bytes(tensors[n], dtype)
        header[n] = OrderedDict([("dtype", dtype), ("shape", list(tensors[n].shape)),
                                 ("data_offsets", [off, off + len(b)])])
        blobs.append(b)
        off += len(b)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(hj).to_bytes(8, "little"))
        f.write(hj)
        for b in blobs:
            f.write(b)
    return off


def read_safetensors(path):
    """Reads back what write_safetensors wrote (used to check the files, not the in-memory arrays)."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        s, e = t["data_offsets"]
        raw = np.frombuffer(data[base + s:base + e], dtype={"F32": "<f4", "F16": "<f2", "BF16": "<u2"}[t["dtype"]])
        if t["dtype"] == "BF16":
            arr = (raw.astype(np.uint32) << 16).view(np.float32)
        else:
            arr = raw.astype(np.float32)
        out[name] = arr.reshape(t["shape"])
    return header, out


def write_model_dir(model_dir, spec, weights):
    os.makedirs(model_dir, exist_ok=True)
    gc.dump_json_sorted(gc.hf_config_dict(spec), os.path.join(model_dir, "config.json"))
    if spec["shards"] == 1:
        write_safetensors(os.path.join(model_dir, "model.safetensors"), weights, spec["dtype"])
        return
    sizes = [(n, a.size * gc.DTYPE_BYTES[spec["dtype"]]) for n, a in weights.items()]
    plan = gc.shard_plan(sizes, gc.two_shard_limit(spec, weights))
    assert len(plan) == spec["shards"] == 2
    weight_map, total = {}, 0
    for i, names in enumerate(plan):
        fname = "model-%05d-of-%05d.safetensors" % (i + 1, len(plan))
        total += write_safetensors(os.path.join(model_dir, fname),
                                   OrderedDict((n, weights[n]) for n in names), spec["dtype"])
        for n in names:
            weight_map[n] = fname
    gc.dump_json_sorted({"metadata": {"total_size": total}, "weight_map": weight_map},
                        os.path.join(model_dir, "model.safetensors.index.json"))


def load_model_dir(model_dir):
    """The weights as a loader sees them: from the files, through the index when sharded."""
    idx = os.path.join(model_dir, "model.safetensors.index.json")
    files = (sorted(set(json.load(open(idx))["weight_map"].values())) if os.path.exists(idx)
             else ["model.safetensors"])
    w = {}
    for fn in files:
        w.update(read_safetensors(os.path.join(model_dir, fn))[1])
    return w


# --------------------------------------------------------------------------------------------------
# Oracle A: vectorised torch float64, structured like HF's modeling_llama / mistral / qwen2 / qwen3
# --------------------------------------------------------------------------------------------------


def rope_inv_freq_hf(cfg):
    """HF modeling_rope_utils: _compute_default / _linear_scaling / _llama3_parameters."""
    dim = cfg["head_dim"]
    base = cfg["rope_theta"]
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(torch.float64) / dim))
    rs = cfg["rope_scaling"]
    rope_type = None if rs is None else rs.get("rope_type", rs.get("type"))
    if rope_type in (None, "default"):
        return inv_freq
    if rope_type == "linear":
        return inv_freq / rs["factor"]
    if rope_type == "llama3":
        factor = rs["factor"]
        low_freq_factor = rs["low_freq_factor"]
        high_freq_factor = rs["high_freq_factor"]
        old_context_len = rs["original_max_position_embeddings"]
        low_freq_wavelen = old_context_len / low_freq_factor
        high_freq_wavelen = old_context_len / high_freq_factor
        wavelen = 2 * math.pi / inv_freq
        inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
        smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
        smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
        is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
        return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)
    raise ValueError("rope type %r" % rope_type)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rotate_interleaved(x):  # GPT-J style pairs (2i, 2i+1): only used as an ablation
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((-x2, x1), dim=-1).flatten(-2)


def rms_norm_t(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def model_cfg(spec):
    return dict(
        hidden=spec["hidden_size"], nh=spec["num_attention_heads"], nkv=spec["num_key_value_heads"],
        head_dim=gc.head_dim_of(spec), layers=spec["num_hidden_layers"], eps=spec["rms_norm_eps"],
        rope_theta=spec["rope_theta"], rope_scaling=spec["rope_scaling"],
        bias=gc.has_qkv_bias(spec), qk_norm=spec["qk_norm"], window=gc.effective_sliding_window(spec),
        tied=spec["tie_word_embeddings"], classifier=spec["classifier"])


def forward_a(cfg, W, tokens, ablate=(), act_dtype=None, kv_dtype=None):
    """Logits (or classifier scores) of every position, float64 torch tensor [T, out].

    ablate: names of deliberate deviations (for the sensitivity table); act_dtype: round the input of
    every matrix product to this dtype first (simulates a half-precision-activation engine);
    kv_dtype: round K (after RoPE) and V to this dtype (simulates a half-precision KV cache)."""
    cfg = dict(cfg)
    if "no_rope_scaling" in ablate:
        cfg["rope_scaling"] = None
    if "no_sliding_window" in ablate:
        cfg["window"] = None
    if "window_plus_one" in ablate:
        cfg["window"] = cfg["window"] + 1
    if "window_minus_one" in ablate:
        cfg["window"] = cfg["window"] - 1
    T = len(tokens)
    nh, nkv, hd = cfg["nh"], cfg["nkv"], cfg["head_dim"]
    # W holds numpy arrays, or float64 torch tensors when a caller differentiates through the forward.
    t = lambda n: W[n] if torch.is_tensor(W[n]) else torch.from_numpy(W[n].astype(np.float64))  # noqa: E731

    def rnd(x):
        if act_dtype is None:
            return x
        return torch.from_numpy(gc.round_to_dtype(x.numpy().astype(np.float32), act_dtype)).to(torch.float64)

    def linear(x, name, bias=None):
        y = rnd(x) @ t(name).T
        if bias is not None:
            y = y + t(bias)
        return y

    x = t("model.embed_tokens.weight")[torch.tensor(tokens)]
    inv_freq = rope_inv_freq_hf(cfg)
    pos = torch.arange(T, dtype=torch.float64)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()                    # [T, hd]
    if "rope_interleaved" in ablate:
        emb_i = torch.repeat_interleave(freqs, 2, dim=-1)
        cos, sin = emb_i.cos(), emb_i.sin()
    rot = rotate_interleaved if "rope_interleaved" in ablate else rotate_half

    i = torch.arange(T).view(-1, 1)
    j = torch.arange(T).view(1, -1)
    allowed = j <= i
    if cfg["window"] is not None:
        allowed = allowed & (j > i - cfg["window"])
    mask = torch.zeros(T, T, dtype=torch.float64).masked_fill(~allowed, float("-inf"))

    for l in range(cfg["layers"]):
        p = "model.layers.%d." % l
        h = rms_norm_t(x, t(p + "input_layernorm.weight"), cfg["eps"])
        use_bias = cfg["bias"] and "no_qkv_bias" not in ablate
        q = linear(h, p + "self_attn.q_proj.weight", p + "self_attn.q_proj.bias" if use_bias else None)
        k = linear(h, p + "self_attn.k_proj.weight", p + "self_attn.k_proj.bias" if use_bias else None)
        v = linear(h, p + "self_attn.v_proj.weight", p + "self_attn.v_proj.bias" if use_bias else None)
        q = q.view(T, nh, hd)
        k = k.view(T, nkv, hd)
        v = v.view(T, nkv, hd)
        qk_norm = cfg["qk_norm"] and "no_qk_norm" not in ablate
        if qk_norm and "qk_norm_after_rope" not in ablate:
            q = rms_norm_t(q, t(p + "self_attn.q_norm.weight"), cfg["eps"])
            k = rms_norm_t(k, t(p + "self_attn.k_norm.weight"), cfg["eps"])
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)   # [heads, T, hd]
        q = q * cos + rot(q) * sin
        k = k * cos + rot(k) * sin
        if qk_norm and "qk_norm_after_rope" in ablate:
            q = rms_norm_t(q, t(p + "self_attn.q_norm.weight"), cfg["eps"])
            k = rms_norm_t(k, t(p + "self_attn.k_norm.weight"), cfg["eps"])
        if kv_dtype is not None:
            k = torch.from_numpy(gc.round_to_dtype(k.numpy().astype(np.float32), kv_dtype)).to(torch.float64)
            v = torch.from_numpy(gc.round_to_dtype(v.numpy().astype(np.float32), kv_dtype)).to(torch.float64)
        if "gqa_modulo" in ablate:   # kv head h % nkv instead of h // (nh / nkv)
            k = k.repeat(nh // nkv, 1, 1)
            v = v.repeat(nh // nkv, 1, 1)
        else:                         # HF repeat_kv
            k = k.repeat_interleave(nh // nkv, dim=0)
            v = v.repeat_interleave(nh // nkv, dim=0)
        scale = (cfg["hidden"] // nh) ** -0.5 if "attn_scale_hidden_over_heads" in ablate else hd ** -0.5
        scores = (rnd(q) @ rnd(k).transpose(-1, -2)) * scale + mask
        probs = torch.softmax(scores, dim=-1)
        attn = (rnd(probs) @ rnd(v)).transpose(0, 1).reshape(T, nh * hd)
        x = x + linear(attn, p + "self_attn.o_proj.weight")
        h = rms_norm_t(x, t(p + "post_attention_layernorm.weight"), cfg["eps"])
        g = linear(h, p + "mlp.gate_proj.weight")
        u = linear(h, p + "mlp.up_proj.weight")
        x = x + linear(torch.nn.functional.silu(g) * u, p + "mlp.down_proj.weight")
    x = rms_norm_t(x, t("model.norm.weight"), cfg["eps"])
    if cfg["classifier"]:
        return linear(x, "score.weight")
    return linear(x, "model.embed_tokens.weight" if cfg["tied"] else "lm_head.weight")


# --------------------------------------------------------------------------------------------------
# Oracle B: numpy float64, token by token with a KV cache (written independently of A)
# --------------------------------------------------------------------------------------------------


def inv_freq_reference(cfg):
    """Scalar loop: default, linear (positions / factor) and Meta's llama3 apply_scaling."""
    hd, theta = cfg["head_dim"], cfg["rope_theta"]
    freqs = [theta ** (-(2.0 * i) / hd) for i in range(hd // 2)]
    rs = cfg["rope_scaling"]
    kind = None if rs is None else (rs.get("rope_type") or rs.get("type"))
    if kind == "linear":
        return [f / rs["factor"] for f in freqs]
    if kind == "llama3":
        scale, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        lo_wl, hi_wl = old / lo, old / hi
        out = []
        for f in freqs:
            wl = 2 * math.pi / f
            if wl < hi_wl:
                out.append(f)
            elif wl > lo_wl:
                out.append(f / scale)
            else:
                s = (old / wl - lo) / (hi - lo)
                out.append((1 - s) * f / scale + s * f)
        return out
    assert kind in (None, "default"), kind
    return freqs


class LoopModel:
    def __init__(self, cfg, W):
        self.c = cfg
        self.W = {k: v.astype(np.float64) for k, v in W.items()}
        self.freqs = inv_freq_reference(cfg)
        self.cache = [([], []) for _ in range(cfg["layers"])]   # per layer: lists of [nkv, hd]

    def _norm(self, x, w):
        return w * x / math.sqrt(float(np.dot(x, x)) / x.shape[-1] + self.c["eps"])

    def _rope(self, vec, pos):   # vec [hd]; pairs (i, i + hd/2)
        half = self.c["head_dim"] // 2
        out = vec.copy()
        for i in range(half):
            a, b = vec[i], vec[i + half]
            ang = pos * self.freqs[i]
            cs, sn = math.cos(ang), math.sin(ang)
            out[i] = a * cs - b * sn
            out[i + half] = b * cs + a * sn
        return out

    def step(self, token):
        c, W = self.c, self.W
        pos = len(self.cache[0][0])
        nh, nkv, hd = c["nh"], c["nkv"], c["head_dim"]
        group = nh // nkv
        x = W["model.embed_tokens.weight"][token].copy()
        for l in range(c["layers"]):
            p = "model.layers.%d." % l
            h = self._norm(x, W[p + "input_layernorm.weight"])
            q = W[p + "self_attn.q_proj.weight"].dot(h)
            k = W[p + "self_attn.k_proj.weight"].dot(h)
            v = W[p + "self_attn.v_proj.weight"].dot(h)
            if c["bias"]:
                q = q + W[p + "self_attn.q_proj.bias"]
                k = k + W[p + "self_attn.k_proj.bias"]
                v = v + W[p + "self_attn.v_proj.bias"]
            q = q.reshape(nh, hd)
            k = k.reshape(nkv, hd)
            v = v.reshape(nkv, hd)
            if c["qk_norm"]:
                q = np.stack([self._norm(q[a], W[p + "self_attn.q_norm.weight"]) for a in range(nh)])
                k = np.stack([self._norm(k[a], W[p + "self_attn.k_norm.weight"]) for a in range(nkv)])
            q = np.stack([self._rope(q[a], pos) for a in range(nh)])
            k = np.stack([self._rope(k[a], pos) for a in range(nkv)])
            ks, vs = self.cache[l]
            ks.append(k)
            vs.append(v)
            first = 0 if c["window"] is None else max(0, pos - c["window"] + 1)
            attn = np.zeros(nh * hd)
            for a in range(nh):
                kvh = a // group
                sc = [float(np.dot(q[a], ks[jj][kvh])) / math.sqrt(hd) for jj in range(first, pos + 1)]
                m = max(sc)
                e = [math.exp(s - m) for s in sc]
                z = sum(e)
                acc = np.zeros(hd)
                for n, jj in enumerate(range(first, pos + 1)):
                    acc += (e[n] / z) * vs[jj][kvh]
                attn[a * hd:(a + 1) * hd] = acc
            x = x + W[p + "self_attn.o_proj.weight"].dot(attn)
            h = self._norm(x, W[p + "post_attention_layernorm.weight"])
            g = W[p + "mlp.gate_proj.weight"].dot(h)
            u = W[p + "mlp.up_proj.weight"].dot(h)
            x = x + W[p + "mlp.down_proj.weight"].dot(g / (1.0 + np.exp(-g)) * u)
        x = self._norm(x, W["model.norm.weight"])
        if c["classifier"]:
            return W["score.weight"].dot(x)
        head = W["model.embed_tokens.weight"] if c["tied"] else W["lm_head.weight"]
        return head.dot(x)


# --------------------------------------------------------------------------------------------------


ABLATIONS = {
    "rope_interleaved": "RoPE on interleaved pairs (GPT-J style) instead of HF's rotate_half halves",
    "gqa_modulo": "query head h reads KV head h % kv_heads instead of h // (heads / kv_heads)",
    "no_rope_scaling": "rope_scaling ignored",
    "no_sliding_window": "full causal attention instead of the sliding window",
    "window_plus_one": "sliding window one token wider (off-by-one)",
    "window_minus_one": "sliding window one token narrower (off-by-one)",
    "qk_norm_after_rope": "q_norm/k_norm applied after RoPE instead of before",
    "attn_scale_hidden_over_heads": "attention scaled by (hidden/heads)^-0.5 instead of head_dim^-0.5",
    "no_qkv_bias": "q/k/v biases ignored",
    "no_qk_norm": "q_norm/k_norm skipped",
}


def applicable_ablations(spec):
    out = ["rope_interleaved"]
    if spec["num_key_value_heads"] not in (1, spec["num_attention_heads"]):
        out.append("gqa_modulo")
    if spec["rope_scaling"] is not None:
        out.append("no_rope_scaling")
    if gc.effective_sliding_window(spec) is not None:
        out += ["no_sliding_window", "window_plus_one", "window_minus_one"]
    if gc.has_qkv_bias(spec):
        out.append("no_qkv_bias")
    if spec["qk_norm"]:
        out += ["no_qk_norm", "qk_norm_after_rope"]
    if gc.head_dim_of(spec) != spec["hidden_size"] // spec["num_attention_heads"]:
        out.append("attn_scale_hidden_over_heads")
    return out


def sensitivity_table(spec, cfg, W, cases):
    """Max |logit change| over all recorded rows for each applicable ablation and precision variant."""
    def worst(**kw):
        return max(float(np.abs(forward_a(cfg, W, c["tokens"], **kw).numpy() - np.asarray(c["rows"], np.float64)).max())
                   for c in cases)
    sens = OrderedDict()
    for ab in applicable_ablations(spec):
        sens[ab] = worst(ablate=(ab,))
    for dt in ("BF16", "F16"):
        sens["activations_rounded_to_" + dt] = worst(act_dtype=dt)
    for dt in ("BF16", "F16"):
        sens["kv_cache_rounded_to_" + dt] = worst(kv_dtype=dt)
    sens["stored_rows_vs_plain_float64"] = max(
        float(np.abs(np.asarray(c["rows"], np.float32).astype(np.float64) - forward_a(cfg, W, c["tokens"]).numpy()).max())
        for c in cases)
    return sens


def build(spec, out_root, log):
    name = spec["name"]
    model_dir = os.path.join(out_root, name)
    if os.path.isdir(model_dir):
        shutil.rmtree(model_dir)
    weights = gc.make_weights(spec)
    write_model_dir(model_dir, spec, weights)

    # Compute from the files just written, not the in-memory arrays (checks the writer too).
    W = load_model_dir(model_dir)
    assert set(W) == set(weights), set(W) ^ set(weights)
    for n in W:
        assert np.array_equal(W[n], weights[n]), n
    cfg = model_cfg(spec)

    cases, worst_ab = [], 0.0
    for prompt in gc.make_prompts(spec):
        loop = LoopModel(cfg, W)
        step_rows = [loop.step(tk) for tk in prompt]
        tokens, margins = list(prompt), []
        if not spec["classifier"]:
            for _ in range(spec["new_tokens"]):
                row = step_rows[-1]
                margins.append(gc.top2_margin(row))
                nxt = gc.argmax_first(row)
                tokens.append(nxt)
                step_rows.append(loop.step(nxt))
        rows_b = np.stack(step_rows)
        rows_a = forward_a(cfg, W, tokens).numpy()
        worst_ab = max(worst_ab, float(np.abs(rows_a - rows_b).max()))
        cases.append(dict(tokens=tokens, prompt_len=len(prompt), rows=rows_a, margins=margins))
    assert worst_ab < 1e-9, "oracles A and B disagree on %s: %g" % (name, worst_ab)

    sens = sensitivity_table(spec, cfg, W, cases)
    detail = ("plain-torch float64 re-implementation of HF %s forward (vectorised, oracle A), checked "
              "against an independent numpy token-by-token KV-cache loop (oracle B): max |A-B| = %.1e; %s"
              "torch %s, numpy %s" % (
                  spec["architecture"], worst_ab,
                  "scores of every position from A; " if spec["classifier"] else
                  "greedy path from B; logits from A's teacher-forced forward over prompt + path; ",
                  torch.__version__, np.__version__))
    gc.write_fixture(model_dir, spec, ORACLE, detail, cases, sens, weights)

    ms = [m for c in cases for m in c["margins"]]
    log("%-26s %-32s %s paths=%s min_margin=%s |A-B|=%.1e" % (
        name, spec["architecture"], spec["dtype"],
        [c["tokens"][c["prompt_len"]:] for c in cases] if not spec["classifier"] else "-",
        ("%.4f" % min(ms)) if ms else "-", worst_ab))
    atol = gc.ATOL[spec["dtype"]]
    for k, v in sens.items():
        flag = ""
        if k in ABLATIONS and v < 20 * atol:
            flag = "   <-- WEAK: ablation changes logits by less than 20x the tolerance"
        log("    %-34s max|dlogit| = %.3g%s" % (k, v, flag))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)   # summation order independent of the machine
    specs = [s for s in gc.SPECS if not args.only or s["name"] in args.only]
    if args.check:
        tmp = tempfile.mkdtemp(prefix="golden-check-")
        try:
            for s in specs:
                build(s, tmp, lambda *_: None)
            bad = []
            for s in specs:
                a, b = os.path.join(tmp, s["name"]), os.path.join(args.out, s["name"])
                files = sorted(os.listdir(a))
                if not os.path.isdir(b) or sorted(os.listdir(b)) != files:
                    bad.append(s["name"] + " (file list)")
                    continue
                _, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
                bad += [s["name"] + "/" + f for f in mismatch + errors]
            if bad:
                print("fixtures differ from a fresh regeneration:\n  " + "\n  ".join(bad))
                return 1
            print("OK: %d fixtures regenerate byte for byte" % len(specs))
            return 0
        finally:
            shutil.rmtree(tmp)
    os.makedirs(args.out, exist_ok=True)
    for s in specs:
        build(s, args.out, print)
    total = 0
    for root, _, files in os.walk(args.out):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("total fixture bytes: %d (%.2f MiB)" % (total, total / 2.0 ** 20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
