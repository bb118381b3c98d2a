#!/usr/bin/env python3
"""Golden optimizer steps for libmoco's trainer from a plain-torch oracle (Debian python3-torch, CPU).

Full fine-tuning of the golden model llama_gqa_rope_llama3 (F32, GQA, llama3 RoPE, untied head) on one
fixed SFT micro-batch of two masked sequences, three optimizer steps, as transformers' Trainer runs
them: loss = sum of the target tokens' -log p over all targets of the step; torch.nn.utils
clip_grad_norm_(1.0); torch.optim.AdamW (betas 0.9/0.999, eps 1e-8, weight decay 0.1 on every tensor
but biases and norm weights); learning rate 1e-2 with transformers' linear schedule (1 warmup step of
4). The forward is make_golden_torch.py's oracle A in float64 with autograd. Written next to the
fixtures as adamw_steps/: steps.txt (per step loss, grad norm before clipping, learning rate) and
weights.bin (every tensor after the last step, float32, in the order steps.txt lists them).

Usage: /usr/bin/python3 make_adamw_steps_torch.py [--out DIR]
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
import golden_common as gc  # noqa: E402
import make_golden_torch as mg  # noqa: E402

MODEL = "llama_gqa_rope_llama3"
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "train", "golden", "adamw_steps"))
# (tokens, first target position): positions before it are the masked prompt.
BATCH = [([5, 17, 200, 33, 90, 91, 4], 3), ([250, 1, 2, 3, 64], 2)]
LR, WEIGHT_DECAY, WARMUP, TOTAL, STEPS = 1e-2, 0.1, 1, 4, 3


def no_decay(name):
    return name.endswith(".bias") or "norm" in name


def linear_schedule(step):  # transformers.get_linear_schedule_with_warmup
    if step < WARMUP:
        return step / max(1, WARMUP)
    return max(0.0, (TOTAL - step) / max(1, TOTAL - WARMUP))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    spec = gc.SPEC_BY_NAME[MODEL]
    W = mg.load_model_dir(os.path.join(mg.DEFAULT_OUT, MODEL))
    names = sorted(W)
    params = {n: torch.tensor(W[n].astype(np.float64), requires_grad=True) for n in names}
    cfg = mg.model_cfg(spec)
    groups = [{"params": [params[n] for n in names if not no_decay(n)], "weight_decay": WEIGHT_DECAY},
              {"params": [params[n] for n in names if no_decay(n)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=LR, betas=(0.9, 0.999), eps=1e-8)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, linear_schedule)
    targets = sum(len(t) - first for t, first in BATCH)
    lines = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = 0.0
        for tokens, first in BATCH:
            logp = torch.log_softmax(mg.forward_a(cfg, params, tokens), dim=-1)
            for pos in range(first, len(tokens)):
                loss = loss - logp[pos - 1, tokens[pos]]
        loss = loss / targets
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_([params[n] for n in names], 1.0)
        lr = opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
        lines.append("step %.17g %.17g %.17g" % (loss.item(), norm.item(), lr))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "weights.bin"), "wb") as f:
        for n in names:
            f.write(params[n].detach().numpy().astype("<f4").tobytes())
            lines.append("tensor %s %d" % (n, params[n].numel()))
    with open(os.path.join(args.out, "steps.txt"), "w") as f:
        f.write("# %s, torch %s: %s\n" % (MODEL, torch.__version__, "make_adamw_steps_torch.py"))
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
