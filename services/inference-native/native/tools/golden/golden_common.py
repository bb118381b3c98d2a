"""Shared by make_golden_hf.py and make_golden_torch.py: the fixture list, the deterministic weights
and prompts, and the fixture writer. Both generators import this module, so they produce the same
models (bit for bit), the same prompts and the same fixture format; they differ only in the oracle
that computes the logits (HF transformers vs a plain-torch re-implementation of HF's forward).

Only numpy and the standard library are needed here (torch is used for the BF16 rounding only).

Fixture format (tests/golden/models/<name>/), read by tests/golden/test_golden.cpp:
  config.json, model.safetensors | model.safetensors.index.json + shards   the HF model directory
  golden.json   metadata (see write_fixture)
  logits.bin    float32 little-endian, row-major: for each case, one row of `output_size` floats per
                token of case.tokens (the teacher-forced forward over prompt + greedy path)
"""

import hashlib
import json
import math
import os
from collections import OrderedDict

import numpy as np

FORMAT = "moco-golden/1"
LOGITS_FILE = "logits.bin"

# The rule: the engine must pick HF's greedy token wherever HF's top-2 margin is >= 1e-3.
MARGIN_THRESHOLD = 1e-3

# |engine - oracle| allowed on every logit / score (logits here are O(1..10)).
#  F32 models: 1e-3, the number; an f32 engine lands within ~1e-5 of the oracles.
#  F16 / BF16 stored weights: the oracles upcast the stored values exactly to float32 (as an f32 CPU
#  engine does), so these fixtures add no error of their own - but an engine may legitimately keep
#  the KV cache (or other intermediates) in the model's dtype. golden.json "sensitivity" measures it:
#  a K/V cache rounded to f16 moves these logits by up to 0.0044 (qwen2_f16_untied), rounded to bf16
#  by up to 0.067 (llama_bf16_rope_linear). The tolerances leave ~1.5-2x headroom over that and stay
#  >= 60x below the smallest feature ablation of those fixtures (>= 6.6).
ATOL = {"F32": 1e-3, "F16": 1e-2, "BF16": 1e-1}

# --------------------------------------------------------------------------------------------------
# The fixtures. Every model is tiny: 2 layers, hidden 32, vocab 256.
# --------------------------------------------------------------------------------------------------

VOCAB = 256
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2


def _spec(**kw):
    base = dict(
        vocab_size=VOCAB,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=None,              # None: hidden_size / num_attention_heads
        write_head_dim=True,        # write "head_dim" into config.json (HF >= 4.45 does for Llama)
        max_position_embeddings=128,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        rope_scaling=None,
        tie_word_embeddings=False,
        attention_bias=False,       # Llama's flag; Qwen2 always has q/k/v biases
        qk_norm=False,              # Qwen3
        sliding_window=None,        # Mistral: int; Qwen2/3: see use_sliding_window
        use_sliding_window=False,
        dtype="F32",
        shards=1,
        classifier=False,
        num_labels=1,
        prompt_len=8,
        new_tokens=16,
        classifier_prompt_lens=(),
        out_gain=1.0,
    )
    base.update(kw)
    return base


SPECS = [
    _spec(
        name="llama_gqa_rope_llama3",
        architecture="LlamaForCausalLM", model_type="llama", seed=1001,
        rope_theta=1000.0,
        # original_max_position_embeddings 64, theta 1000, head_dim 8: the four RoPE frequencies
        # have wavelengths 6.3 (kept), 35.3 (smoothed), 199 and 1117 (divided by factor).
        rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 64, "rope_type": "llama3"},
        covers="LlamaForCausalLM; GQA 4 heads / 2 KV heads; rope_scaling llama3 (all three frequency "
               "bands); untied lm_head; F32",
    ),
    _spec(
        name="mistral_sliding_window",
        architecture="MistralForCausalLM", model_type="mistral", seed=1002,
        sliding_window=8, new_tokens=24, rms_norm_eps=1e-6,
        covers="MistralForCausalLM; sliding_window 8 over a 32-token sequence (each position attends "
               "to itself and the 7 before it); GQA 4/2; untied; F32",
    ),
    _spec(
        name="qwen2_bias_tied",
        architecture="Qwen2ForCausalLM", model_type="qwen2", seed=1303, out_gain=3.0,
        rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
        sliding_window=4096, use_sliding_window=False,
        covers="Qwen2ForCausalLM; q/k/v biases (random, non-zero); tied embeddings (no lm_head "
               "tensor); sliding_window present but use_sliding_window false; GQA 4/2; F32",
    ),
    _spec(
        name="qwen3_qknorm_head_dim",
        architecture="Qwen3ForCausalLM", model_type="qwen3", seed=1204, out_gain=3.0,
        head_dim=16, qk_norm=True, rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
        covers="Qwen3ForCausalLM; q_norm/k_norm RMSNorm over head_dim before RoPE; explicit head_dim 16 "
               "!= hidden/heads (8), so q_proj is 64x32 and o_proj 32x64; tied; GQA 4/2; F32",
    ),
    _spec(
        name="llama_bf16_rope_linear",
        architecture="LlamaForCausalLM", model_type="llama", seed=1005,
        num_key_value_heads=4, write_head_dim=False, dtype="BF16",
        rope_scaling={"factor": 2.0, "type": "linear", "rope_type": "linear"},
        covers="LlamaForCausalLM; BF16 stored weights; rope_scaling linear factor 2 (old-style "
               "'type' key too); no GQA (4/4); no head_dim key in config.json (old configs); untied",
    ),
    _spec(
        name="qwen2_f16_untied",
        architecture="Qwen2ForCausalLM", model_type="qwen2", seed=1006,
        num_key_value_heads=1, dtype="F16", rope_theta=10000.0, rms_norm_eps=1e-6,
        sliding_window=4096, use_sliding_window=False,
        covers="Qwen2ForCausalLM; F16 stored weights; q/k/v biases; multi-query attention (4 heads, "
               "1 KV head); untied",
    ),
    _spec(
        name="llama_sharded_tied",
        architecture="LlamaForCausalLM", model_type="llama", seed=1507, out_gain=3.0,
        shards=2, tie_word_embeddings=True, rope_theta=500000.0,
        covers="LlamaForCausalLM; two safetensors shards + model.safetensors.index.json; tied "
               "embeddings; default RoPE; GQA 4/2; F32",
    ),
    _spec(
        name="llama_reward_classifier",
        architecture="LlamaForSequenceClassification", model_type="llama", seed=1008,
        classifier=True, num_labels=1, classifier_prompt_lens=(5, 9, 16, 23),
        covers="LlamaForSequenceClassification reward model: num_labels 1, score head (no lm_head), "
               "pad_token_id 0 (no pad in the prompts, so HF pools the last position); scores of "
               "every position recorded; GQA 4/2; F32",
    ),
]

SPEC_BY_NAME = {s["name"]: s for s in SPECS}


def head_dim_of(spec):
    return spec["head_dim"] or spec["hidden_size"] // spec["num_attention_heads"]


def has_qkv_bias(spec):
    return spec["model_type"] == "qwen2" or spec["attention_bias"]


def effective_sliding_window(spec):
    """The window HF applies (None = full causal attention)."""
    if spec["model_type"] == "mistral":
        return spec["sliding_window"]
    if spec["model_type"] in ("qwen2", "qwen3") and spec["use_sliding_window"]:
        return spec["sliding_window"]
    return None


# --------------------------------------------------------------------------------------------------
# Tensors: names and shapes exactly as HF's state_dict (module registration order).
# --------------------------------------------------------------------------------------------------

def tensor_layout(spec):
    """OrderedDict name -> (shape, kind) in HF's named_parameters() order (tied lm_head omitted)."""
    H, I = spec["hidden_size"], spec["intermediate_size"]
    nh, nkv, hd = spec["num_attention_heads"], spec["num_key_value_heads"], head_dim_of(spec)
    out = OrderedDict()
    out["model.embed_tokens.weight"] = ((spec["vocab_size"], H), "embed")
    for l in range(spec["num_hidden_layers"]):
        p = "model.layers.%d." % l
        bias = has_qkv_bias(spec)
        out[p + "self_attn.q_proj.weight"] = ((nh * hd, H), "qk")
        if bias:
            out[p + "self_attn.q_proj.bias"] = ((nh * hd,), "bias")
        out[p + "self_attn.k_proj.weight"] = ((nkv * hd, H), "qk")
        if bias:
            out[p + "self_attn.k_proj.bias"] = ((nkv * hd,), "bias")
        out[p + "self_attn.v_proj.weight"] = ((nkv * hd, H), "linear")
        if bias:
            out[p + "self_attn.v_proj.bias"] = ((nkv * hd,), "bias")
        out[p + "self_attn.o_proj.weight"] = ((H, nh * hd), "out")
        if spec["qk_norm"]:
            out[p + "self_attn.q_norm.weight"] = ((hd,), "norm")
            out[p + "self_attn.k_norm.weight"] = ((hd,), "norm")
        out[p + "mlp.gate_proj.weight"] = ((I, H), "linear")
        out[p + "mlp.up_proj.weight"] = ((I, H), "linear")
        out[p + "mlp.down_proj.weight"] = ((H, I), "out")
        out[p + "input_layernorm.weight"] = ((H,), "norm")
        out[p + "post_attention_layernorm.weight"] = ((H,), "norm")
    out["model.norm.weight"] = ((H,), "norm")
    if spec["classifier"]:
        out["score.weight"] = ((spec["num_labels"], H), "head")
    elif not spec["tie_word_embeddings"]:
        out["lm_head.weight"] = ((spec["vocab_size"], H), "head")
    return out


def round_to_dtype(a, dtype):
    """float32 array -> float32 array holding the nearest `dtype` values (round to nearest even)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if dtype == "F32":
        return a
    if dtype == "F16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        u = a.view(np.uint32).astype(np.uint64)
        # round to nearest even on the upper 16 bits (no NaN/Inf in these weights)
        u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
        return (u.astype(np.uint32) << 16).view(np.float32)
    raise ValueError(dtype)


def to_storage_bytes(a, dtype):
    """float32 array (already rounded with round_to_dtype) -> little-endian bytes of `dtype`."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.astype("<f4").tobytes()
    if dtype == "F16":
        return a.astype("<f2").tobytes()
    if dtype == "BF16":
        return (a.view(np.uint32) >> 16).astype("<u2").tobytes()
    raise ValueError(dtype)


DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2}
TORCH_DTYPE_NAME = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}


def make_weights(spec):
    """Deterministic weights (numpy legacy MT19937, stable across versions), float32 arrays already
    rounded to the stored dtype. Scales are chosen so that logits are O(1..5) (margins are then rarely
    near-ties), attention is far from uniform and biases / norm weights are visibly non-trivial;
    HF's own init (std 0.02, zero biases, unit norms) would leave most features untested."""
    rng = np.random.RandomState(spec["seed"])
    H = spec["hidden_size"]
    w = OrderedDict()
    for name, (shape, kind) in tensor_layout(spec).items():
        if kind == "embed":
            a = rng.standard_normal(shape) * 0.5
        elif kind == "qk":
            a = rng.standard_normal(shape) * (1.6 / math.sqrt(shape[1]))
        elif kind == "linear":
            a = rng.standard_normal(shape) * (1.0 / math.sqrt(shape[1]))
        elif kind == "out":   # o_proj, down_proj: what the layers add to the residual stream
            a = rng.standard_normal(shape) * (spec["out_gain"] / math.sqrt(shape[1]))
        elif kind == "bias":
            a = rng.standard_normal(shape) * 0.5
        elif kind == "norm":
            a = 1.0 + rng.standard_normal(shape) * 0.2
        elif kind == "head":
            a = rng.standard_normal(shape) * (2.0 / math.sqrt(H))
        else:
            raise ValueError(kind)
        w[name] = round_to_dtype(a.astype(np.float32), spec["dtype"])
    return w


def parameter_count(weights):
    return int(sum(a.size for a in weights.values()))


def make_prompts(spec):
    """Token ids in [3, vocab): never pad (0), bos (1) or eos (2)."""
    rng = np.random.RandomState(spec["seed"] + 7919)
    lens = spec["classifier_prompt_lens"] if spec["classifier"] else (spec["prompt_len"],)
    return [[int(t) for t in rng.randint(3, spec["vocab_size"], size=n)] for n in lens]


# --------------------------------------------------------------------------------------------------
# config.json as HF's save_pretrained writes it (transformers 4.5x, to_diff_dict, sorted keys).
# --------------------------------------------------------------------------------------------------

def hf_config_dict(spec):
    mt = spec["model_type"]
    c = {
        "architectures": [spec["architecture"]],
        "model_type": mt,
        "vocab_size": spec["vocab_size"],
        "hidden_size": spec["hidden_size"],
        "intermediate_size": spec["intermediate_size"],
        "num_hidden_layers": spec["num_hidden_layers"],
        "num_attention_heads": spec["num_attention_heads"],
        "num_key_value_heads": spec["num_key_value_heads"],
        "hidden_act": "silu",
        "max_position_embeddings": spec["max_position_embeddings"],
        "initializer_range": 0.02,
        "rms_norm_eps": spec["rms_norm_eps"],
        "use_cache": True,
        "rope_theta": spec["rope_theta"],
        "attention_dropout": 0.0,
        "tie_word_embeddings": spec["tie_word_embeddings"],
        "torch_dtype": TORCH_DTYPE_NAME[spec["dtype"]],
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
    }
    if mt == "llama":
        c.update({"attention_bias": spec["attention_bias"], "mlp_bias": False, "pretraining_tp": 1,
                  "rope_scaling": spec["rope_scaling"]})
        if spec["write_head_dim"]:
            c["head_dim"] = head_dim_of(spec)
    elif mt == "mistral":
        c.update({"sliding_window": spec["sliding_window"], "head_dim": head_dim_of(spec)})
    elif mt in ("qwen2", "qwen3"):
        c.update({"rope_scaling": spec["rope_scaling"], "use_sliding_window": spec["use_sliding_window"],
                  "sliding_window": spec["sliding_window"], "max_window_layers": spec["num_hidden_layers"]})
        if mt == "qwen3":
            c.update({"head_dim": head_dim_of(spec), "attention_bias": spec["attention_bias"]})
    else:
        raise ValueError(mt)
    if spec["classifier"]:
        c["id2label"] = {str(i): "LABEL_%d" % i for i in range(spec["num_labels"])}
        c["label2id"] = {"LABEL_%d" % i: i for i in range(spec["num_labels"])}
        c["pad_token_id"] = PAD_ID
    return c


def dump_json_sorted(obj, path):
    """What HF's PretrainedConfig.to_json_file writes: indent 2, sorted keys, trailing newline."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------------------------------
# Greedy path bookkeeping
# --------------------------------------------------------------------------------------------------

def top2_margin(row):
    s = np.sort(np.asarray(row, dtype=np.float64))
    return float(s[-1] - s[-2])


def argmax_first(row):
    """torch.argmax / HF greedy pick the first maximal index on exact ties."""
    return int(np.argmax(np.asarray(row)))


# --------------------------------------------------------------------------------------------------
# Fixture writer (the one format both generators produce)
# --------------------------------------------------------------------------------------------------

def _f(x):
    """float -> JSON number: the float32 value, printed with its shortest round-trip repr."""
    return float(np.float32(x))


def _dumps(obj, indent=0):
    """Readable JSON with lists of scalars on one line (keeps golden.json small and diffable)."""
    pad = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = ["%s  %s: %s" % (pad, json.dumps(k), _dumps(v, indent + 1)) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return "[" + ", ".join(json.dumps(v) for v in obj) + "]"
        items = [pad + "  " + _dumps(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


def write_fixture(model_dir, spec, oracle, oracle_detail, cases, sensitivity, weights):
    """cases: list of dicts with
         tokens      list[int]: prompt + greedy path (LM) or the prompt (classifier)
         prompt_len  int
         rows        float array [len(tokens), output_size]: teacher-forced logits / scores
         margins     list[float]: HF's top-2 margin at each greedy step (LM only; step i picked
                     tokens[prompt_len + i] from row prompt_len - 1 + i)
    """
    out_size = spec["num_labels"] if spec["classifier"] else spec["vocab_size"]
    blob = bytearray()
    jcases = []
    row = 0
    for c in cases:
        rows = np.asarray(c["rows"], dtype=np.float32)
        assert rows.shape == (len(c["tokens"]), out_size), rows.shape
        blob += rows.astype("<f4").tobytes()
        jc = OrderedDict()
        jc["prompt_len"] = int(c["prompt_len"])
        jc["tokens"] = [int(t) for t in c["tokens"]]
        jc["row_offset"] = row
        if spec["classifier"]:
            jc["score"] = [_f(v) for v in rows[-1]]
        else:
            jc["margins"] = [_f(m) for m in c["margins"]]
        jcases.append(jc)
        row += len(c["tokens"])
    atol = ATOL[spec["dtype"]]
    g = OrderedDict()
    g["format"] = FORMAT
    g["name"] = spec["name"]
    g["covers"] = spec["covers"]
    g["oracle"] = oracle
    g["oracle_detail"] = oracle_detail
    g["architecture"] = spec["architecture"]
    g["kind"] = "classifier" if spec["classifier"] else "causal_lm"
    g["weights_dtype"] = spec["dtype"]
    g["info"] = OrderedDict([
        ("vocab_size", spec["vocab_size"]),
        ("hidden_size", spec["hidden_size"]),
        ("intermediate_size", spec["intermediate_size"]),
        ("num_layers", spec["num_hidden_layers"]),
        ("num_heads", spec["num_attention_heads"]),
        ("num_kv_heads", spec["num_key_value_heads"]),
        ("head_dim", head_dim_of(spec)),
        ("max_position_embeddings", spec["max_position_embeddings"]),
        ("output_size", out_size),
        ("is_classifier", 1 if spec["classifier"] else 0),
        ("dtype", {"F32": 0, "F16": 1, "BF16": 2}[spec["dtype"]]),
        ("parameter_count", parameter_count(weights)),
    ])
    g["tolerance"] = OrderedDict([
        ("logits_atol", atol),
        ("margin_threshold", MARGIN_THRESHOLD if spec["dtype"] == "F32" else max(MARGIN_THRESHOLD, 2 * atol)),
    ])
    g["logits_file"] = LOGITS_FILE
    g["logits_layout"] = "float32 little-endian, row-major [rows, output_size]; case rows start at row_offset"
    g["output_size"] = out_size
    g["total_rows"] = row
    g["logits_sha256"] = hashlib.sha256(bytes(blob)).hexdigest()
    g["cases"] = jcases
    g["sensitivity"] = OrderedDict((k, _f(v)) for k, v in sensitivity.items())
    with open(os.path.join(model_dir, LOGITS_FILE), "wb") as f:
        f.write(bytes(blob))
    with open(os.path.join(model_dir, "golden.json"), "w", encoding="utf-8") as f:
        f.write(_dumps(g) + "\n")


def shard_plan(names_and_sizes, max_shard_size):
    """huggingface_hub's split_state_dict_into_shards: fill shards in state_dict order, start a new one
    when the next tensor would overflow max_shard_size (a tensor bigger than the limit gets its own)."""
    shards, cur, cur_size = [], [], 0
    for name, size in names_and_sizes:
        if size > max_shard_size:
            shards.append([name])
            continue
        if cur and cur_size + size > max_shard_size:
            shards.append(cur)
            cur, cur_size = [], 0
        cur.append(name)
        cur_size += size
    if cur:
        shards.append(cur)
    return shards


def two_shard_limit(spec, weights):
    """A max_shard_size (bytes) that splits this checkpoint into exactly two shards."""
    sizes = [(n, a.size * DTYPE_BYTES[spec["dtype"]]) for n, a in weights.items()]
    total = sum(s for _, s in sizes)
    limit = total // 2 + max(s for _, s in sizes)
    assert len(shard_plan(sizes, limit)) == 2, "adjust two_shard_limit"
    return limit
