"""The training baseline of moco_cuda_bench's training table: PyTorch + transformers (what the MoCo
reference trains with, through HF Trainer / PEFT) on the same ~110M Llama shape and batch, on the
GPU machine. One optimizer step = forward, SFT cross-entropy on every token, backward, AdamW.

  full   every tensor trained in F32 (torch's default: no TF32 matmuls, like moco's F32 masters)
  LoRA   rank 16 on q/k/v/o (PEFT's layout: delta = scale * B A x on dropout-free inputs) over the
         frozen base in BF16, A and B in F32

Tokens/s = 4 * 128 / mean step time over 5 steps after a warm-up step. Prints markdown rows for
bench.md (tools/cuda/device_check.sh).
"""
import time

import torch
from torch import nn
from transformers import LlamaConfig, LlamaForCausalLM

SEQUENCES, TOKENS, STEPS = 4, 128, 5


class LoraLinear(nn.Module):
    """A frozen Linear plus scale * B A x, A and B trainable in F32 (B starts at zero, as PEFT)."""

    def __init__(self, base, rank, scale):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.a = nn.Parameter(torch.randn(rank, base.in_features, device=base.weight.device) / base.in_features ** 0.5)
        self.b = nn.Parameter(torch.zeros(base.out_features, rank, device=base.weight.device))
        self.scale = scale

    def forward(self, x):
        delta = (x.float() @ self.a.t()) @ self.b.t()
        return self.base(x) + (self.scale * delta).to(x.dtype)


def add_lora(model, rank=16, scale=2.0):
    for layer in model.model.layers:
        attn = layer.self_attn
        for name in ("q_proj", "k_proj", "v_proj", "o_proj"):
            setattr(attn, name, LoraLinear(getattr(attn, name), rank, scale))


def seconds_per_step(model, ids):
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-5)

    def step():
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(STEPS):
        step()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / STEPS


def main():
    config = LlamaConfig(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=12,
                         num_attention_heads=12, num_key_value_heads=12, max_position_embeddings=4096,
                         tie_word_embeddings=False)
    torch.manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (SEQUENCES, TOKENS), device="cuda")
    print(f"\n## torch {torch.__version__} + transformers {__import__('transformers').__version__} training, "
          f"~110M Llama, {SEQUENCES} x {TOKENS} tokens per step, SFT\n")
    print("| mode | tokens/s | ms/step |\n|---|---|---|")
    for mode in ("full", "LoRA r16 qkvo"):
        with torch.device("cuda"):
            model = LlamaForCausalLM(config)
        if mode != "full":
            model = model.to(torch.bfloat16).requires_grad_(False)
            add_lora(model)
        model.train()
        t = seconds_per_step(model, ids)
        print(f"| torch {mode} | {SEQUENCES * TOKENS / t:.0f} | {1e3 * t:.1f} |")
        del model
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
