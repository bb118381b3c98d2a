#!/usr/bin/env python3
"""Golden fixtures for libmoco with HF transformers as the oracle.

For every fixture in golden_common.SPECS this script
  1. builds the HF config (LlamaConfig / MistralConfig / Qwen2Config / Qwen3Config) and model
     (*ForCausalLM or LlamaForSequenceClassification), overwrites every parameter with the
     deterministic weights of golden_common.make_weights (numpy MT19937, so the plain-torch generator
     makes the very same model), casts it to the stored dtype (F32 / F16 / BF16) and writes it with
     save_pretrained(safe_serialization=True) - sharded into two files where the spec says so;
  2. reloads the directory with from_pretrained(dtype float32, attn_implementation="eager"), so the
     oracle is exactly what was saved, upcast to float32;
  3. causal LMs: greedy-decodes with model.generate(do_sample=False, output_logits=True) - HF's own
     greedy token path with its KV cache - cross-checked against a manual forward loop with
     past_key_values; then records the logits of every position of prompt + path from one
     teacher-forced forward, and HF's top-2 margin at every greedy step;
     classifier: records score(hidden_states) at every position of each prompt (HF pools the last
     non-pad position; the prompts contain no pad token, so that is the last position);
  4. cross-checks HF's logits against the plain-torch float64 oracle of make_golden_torch.py (fails
     loudly if they differ by more than 2e-4: then HF's semantics and the re-implementation disagree,
     and one of them - or the engine - needs a look);
  5. writes golden.json + logits.bin in the format of golden_common.write_fixture, with
     oracle "transformers-<version>".

Requirements: python >= 3.8, torch, numpy, transformers >= 4.51 (Qwen3), safetensors (used by
transformers). Written against the transformers APIs of 4.51 .. 4.57 and 5.x (config rope
parameters, dtype / torch_dtype and safe_serialization are handled either way); the final
cross-check against the plain-torch oracle catches any configuration HF did not take as intended.

Usage:
  python make_golden_hf.py [--out DIR] [--only NAME ...] [--device cpu|cuda] [--no-crosscheck]
"""

import argparse
import inspect
import os
import re
import shutil
import sys
from collections import OrderedDict

import numpy as np
import torch
import transformers
from transformers import (GenerationConfig, LlamaConfig, LlamaForCausalLM, LlamaForSequenceClassification,
                          MistralConfig, MistralForCausalLM, Qwen2Config, Qwen2ForCausalLM)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import golden_common as gc  # noqa: E402
import make_golden_torch as plain  # noqa: E402  (plain-torch oracle: cross-check, sensitivity, reader)


def _version(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


TV = _version(transformers.__version__)
if TV < (4, 51, 0):
    sys.exit("make_golden_hf.py needs transformers >= 4.51 (Qwen3); found %s" % transformers.__version__)
from transformers import Qwen3Config, Qwen3ForCausalLM  # noqa: E402

ORACLE = "transformers-%s" % transformers.__version__
CLASSES = {
    "LlamaForCausalLM": (LlamaConfig, LlamaForCausalLM),
    "MistralForCausalLM": (MistralConfig, MistralForCausalLM),
    "Qwen2ForCausalLM": (Qwen2Config, Qwen2ForCausalLM),
    "Qwen3ForCausalLM": (Qwen3Config, Qwen3ForCausalLM),
    "LlamaForSequenceClassification": (LlamaConfig, LlamaForSequenceClassification),
}
TORCH_DTYPE = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
CROSSCHECK_ATOL = 2e-4      # HF float32 vs plain-torch float64, logits O(1..10)
STEP_VS_FORCED_ATOL = 1e-4  # generate's step logits vs the teacher-forced forward (both HF float32)


def _accepts(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def make_config(spec):
    cfg_cls, _ = CLASSES[spec["architecture"]]
    mt = spec["model_type"]
    kw = dict(
        vocab_size=spec["vocab_size"],
        hidden_size=spec["hidden_size"],
        intermediate_size=spec["intermediate_size"],
        num_hidden_layers=spec["num_hidden_layers"],
        num_attention_heads=spec["num_attention_heads"],
        num_key_value_heads=spec["num_key_value_heads"],
        hidden_act="silu",
        max_position_embeddings=spec["max_position_embeddings"],
        initializer_range=0.02,
        rms_norm_eps=spec["rms_norm_eps"],
        tie_word_embeddings=spec["tie_word_embeddings"],
        bos_token_id=gc.BOS_ID,
        eos_token_id=gc.EOS_ID,
        use_cache=True,
    )
    if mt == "qwen3" or (mt in ("llama", "mistral") and spec["write_head_dim"]):
        kw["head_dim"] = gc.head_dim_of(spec)
    if mt == "llama":
        kw.update(attention_bias=spec["attention_bias"], mlp_bias=False)
    elif mt == "mistral":
        kw.update(sliding_window=spec["sliding_window"])
    elif mt in ("qwen2", "qwen3"):
        kw.update(sliding_window=spec["sliding_window"], use_sliding_window=spec["use_sliding_window"],
                  max_window_layers=spec["num_hidden_layers"])
        if mt == "qwen3":
            kw.update(attention_bias=spec["attention_bias"])
    rs = spec["rope_scaling"]
    if _accepts(cfg_cls.__init__, "rope_parameters"):
        # transformers 5: one dict with the rope type, theta and scaling fields
        rp = {"rope_type": "default", "rope_theta": spec["rope_theta"]}
        if rs is not None:
            rp.update({k: v for k, v in rs.items() if k != "type"})
            rp["rope_type"] = rs.get("rope_type", rs.get("type"))
        kw["rope_parameters"] = rp
        if _accepts(cfg_cls.__init__, "rope_theta"):   # some 5.x configs still take it separately
            kw["rope_theta"] = spec["rope_theta"]
    else:
        kw["rope_theta"] = spec["rope_theta"]
        kw["rope_scaling"] = None if rs is None else dict(rs)
    if spec["classifier"]:
        kw.update(num_labels=spec["num_labels"], pad_token_id=gc.PAD_ID)
    return cfg_cls(**kw)


def save_hf_model(spec, weights, model_dir):
    _, model_cls = CLASSES[spec["architecture"]]
    torch.manual_seed(0)
    model = model_cls(make_config(spec))
    params = OrderedDict(model.named_parameters())   # tied lm_head is the same Parameter: listed once
    if set(params) != set(weights):
        raise RuntimeError("%s: HF parameters and golden_common.tensor_layout differ: only HF %s, only ours %s"
                           % (spec["name"], sorted(set(params) - set(weights)), sorted(set(weights) - set(params))))
    with torch.no_grad():
        for n, p in params.items():
            if tuple(p.shape) != weights[n].shape:
                raise RuntimeError("%s: shape of %s: HF %s, ours %s" % (spec["name"], n, tuple(p.shape), weights[n].shape))
            p.copy_(torch.from_numpy(weights[n]))
    if spec["tie_word_embeddings"] and not spec["classifier"]:
        assert model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    model = model.to(TORCH_DTYPE[spec["dtype"]])

    kw = {}
    if _accepts(model.save_pretrained, "safe_serialization"):
        kw["safe_serialization"] = True
    if spec["shards"] > 1:
        kw["max_shard_size"] = gc.two_shard_limit(spec, weights)   # bytes
    model.save_pretrained(model_dir, **kw)
    # The engine does not read it and the plain-torch generator does not write it: keep the two
    # generators' file lists identical.
    gen = os.path.join(model_dir, "generation_config.json")
    if os.path.exists(gen):
        os.remove(gen)

    files = sorted(f for f in os.listdir(model_dir))
    if spec["shards"] == 1:
        expected = ["config.json", "model.safetensors"]
    else:
        expected = ["config.json"] + ["model-%05d-of-%05d.safetensors" % (i + 1, spec["shards"])
                                      for i in range(spec["shards"])] + ["model.safetensors.index.json"]
    if files != expected:
        raise RuntimeError("%s: save_pretrained wrote %s, expected %s" % (spec["name"], files, expected))
    # Read the files back with the hand-written reader: same names, same (rounded) values.
    back = plain.load_model_dir(model_dir)
    if set(back) != set(weights) or any(not np.array_equal(back[n], weights[n]) for n in weights):
        raise RuntimeError("%s: the saved safetensors do not hold the intended weights" % spec["name"])


def load_hf_model(spec, weights, model_dir, device):
    _, model_cls = CLASSES[spec["architecture"]]
    kw = {"attn_implementation": "eager"}
    kw["dtype" if TV >= (4, 56, 0) else "torch_dtype"] = torch.float32
    model = model_cls.from_pretrained(model_dir, **kw).to(device).eval()
    for n, p in model.named_parameters():
        if p.dtype != torch.float32:
            raise RuntimeError("%s: %s loaded as %s, expected float32" % (spec["name"], n, p.dtype))
        if not np.array_equal(p.detach().cpu().numpy(), weights[n]):
            raise RuntimeError("%s: %s differs after from_pretrained" % (spec["name"], n))
    return model


def greedy_case(spec, model, prompt, device):
    n_new = spec["new_tokens"]
    P = len(prompt)
    ids = torch.tensor([prompt], dtype=torch.long, device=device)
    # A generation config of our own: no eos (never stop early), no sampling, no logits processors.
    model.generation_config = GenerationConfig(
        do_sample=False, num_beams=1, max_new_tokens=n_new, eos_token_id=None,
        pad_token_id=gc.PAD_ID, bos_token_id=gc.BOS_ID, use_cache=True)
    out = model.generate(ids, attention_mask=torch.ones_like(ids), return_dict_in_generate=True,
                         output_logits=True, output_scores=True)
    seq = out.sequences[0].tolist()
    if len(seq) != P + n_new or seq[:P] != prompt:
        raise RuntimeError("%s: generate returned %d tokens, expected %d" % (spec["name"], len(seq), P + n_new))
    step_logits = getattr(out, "logits", None) or out.scores   # raw logits (scores == logits here)
    step = torch.stack([s[0] for s in step_logits]).float().cpu().numpy()       # [n_new, vocab]

    # Cross-check: the same greedy decode by hand, with the model's KV cache.
    o = model(input_ids=ids, use_cache=True)
    past, rows, toks = o.past_key_values, [o.logits[0, -1]], []
    for _ in range(n_new):
        t = int(torch.argmax(rows[-1]))
        toks.append(t)
        o = model(input_ids=torch.tensor([[t]], device=device), past_key_values=past, use_cache=True)
        past = o.past_key_values
        rows.append(o.logits[0, -1])
    manual = torch.stack(rows[:n_new]).float().cpu().numpy()
    if toks != seq[P:]:
        raise RuntimeError("%s: generate path %s != manual cached loop %s" % (spec["name"], seq[P:], toks))
    d_manual = float(np.abs(manual - step).max())

    forced = model(input_ids=torch.tensor([seq], dtype=torch.long, device=device)).logits[0].float().cpu().numpy()
    d_forced = float(np.abs(forced[P - 1:P - 1 + n_new] - step).max())
    if max(d_manual, d_forced) > STEP_VS_FORCED_ATOL:
        raise RuntimeError("%s: step logits vs cached loop %.2e, vs teacher-forced %.2e" % (spec["name"], d_manual, d_forced))
    margins = [gc.top2_margin(r) for r in step]
    for i, m in enumerate(margins):
        if m >= gc.MARGIN_THRESHOLD and gc.argmax_first(forced[P - 1 + i]) != seq[P + i]:
            raise RuntimeError("%s: teacher-forced argmax differs from the greedy token at step %d (margin %g)"
                               % (spec["name"], i, m))
    return dict(tokens=seq, prompt_len=P, rows=forced, margins=margins), max(d_manual, d_forced)


def classifier_case(spec, model, prompt, device):
    ids = torch.tensor([prompt], dtype=torch.long, device=device)
    pooled = model(input_ids=ids).logits[0].float().cpu().numpy()            # [num_labels]
    base = getattr(model, model.base_model_prefix)
    hidden = base(input_ids=ids).last_hidden_state
    rows = model.score(hidden)[0].float().cpu().numpy()                        # [T, num_labels]
    d = float(np.abs(rows[-1] - pooled).max())
    if d > 1e-6:
        raise RuntimeError("%s: pooled score %s != last position %s" % (spec["name"], pooled, rows[-1]))
    return dict(tokens=list(prompt), prompt_len=len(prompt), rows=rows, margins=[]), d


def build(spec, out_root, device, crosscheck):
    name = spec["name"]
    model_dir = os.path.join(out_root, name)
    if os.path.isdir(model_dir):
        shutil.rmtree(model_dir)
    os.makedirs(model_dir)
    weights = gc.make_weights(spec)
    save_hf_model(spec, weights, model_dir)
    model = load_hf_model(spec, weights, model_dir, device)

    cases, internal = [], 0.0
    with torch.no_grad():
        for prompt in gc.make_prompts(spec):
            c, d = (classifier_case if spec["classifier"] else greedy_case)(spec, model, prompt, device)
            cases.append(c)
            internal = max(internal, d)

    cfg = plain.model_cfg(spec)
    vs_plain = max(float(np.abs(plain.forward_a(cfg, weights, c["tokens"]).numpy() - c["rows"]).max()) for c in cases)
    if crosscheck and vs_plain > CROSSCHECK_ATOL:
        raise RuntimeError("%s: HF and the plain-torch oracle differ by %.3g (> %g): investigate before "
                           "committing (or pass --no-crosscheck to write HF's numbers anyway)"
                           % (name, vs_plain, CROSSCHECK_ATOL))
    sens = plain.sensitivity_table(spec, cfg, weights, cases)
    detail = ("HF transformers %s %s (torch %s, numpy %s), attn_implementation eager, float32 on %s; weights "
              "stored as %s and loaded with from_pretrained(dtype=float32); %s; max |HF - plain-torch float64 "
              "oracle| = %.1e" % (
                  transformers.__version__, spec["architecture"], torch.__version__, np.__version__, device,
                  spec["dtype"],
                  "score(hidden_states) at every position; pooled score == last position (|d| = %.1e)" % internal
                  if spec["classifier"] else
                  "greedy path and margins from model.generate(do_sample=False, output_logits=True); logits from "
                  "one teacher-forced forward over prompt + path (max |step - teacher-forced| = %.1e)" % internal,
                  vs_plain))
    gc.write_fixture(model_dir, spec, ORACLE, detail, cases, sens, weights)
    ms = [m for c in cases for m in c["margins"]]
    print("%-26s %-32s %s min_margin=%s |HF-plain|=%.1e" % (
        name, spec["architecture"], spec["dtype"], ("%.4f" % min(ms)) if ms else "-", vs_plain))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=plain.DEFAULT_OUT)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-crosscheck", action="store_true")
    args = ap.parse_args()
    transformers.logging.set_verbosity_error()
    if args.device == "cpu":
        torch.set_num_threads(1)
    else:   # exact float32 matmuls on GPUs (no TF32)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    os.makedirs(args.out, exist_ok=True)
    for s in gc.SPECS:
        if not args.only or s["name"] in args.only:
            build(s, args.out, args.device, not args.no_crosscheck)
    total = 0
    for root, _, files in os.walk(args.out):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print("total fixture bytes: %d (%.2f MiB); oracle %s" % (total, total / 2.0 ** 20, ORACLE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
