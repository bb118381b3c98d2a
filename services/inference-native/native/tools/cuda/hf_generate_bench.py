"""The baseline of moco_cuda_bench: PyTorch + transformers `generate` (what the MoCo reference
uses) on the same ~1.2B Llama shape, random BF16 weights, greedy, on the GPU machine.

Decode tokens/s = batch * 64 / (time of generate(65 new tokens) - time of generate(1 new token)),
so the 512-token prefill is not counted; prefill tokens/s from the 1-new-token call.
Prints markdown rows for bench.md (tools/cuda/device_check.sh).
"""
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def timed_generate(model, ids, new_tokens):
    torch.cuda.synchronize()
    start = time.perf_counter()
    model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                   pad_token_id=0)
    torch.cuda.synchronize()
    return time.perf_counter() - start


def main():
    config = LlamaConfig(vocab_size=128256, hidden_size=2048, intermediate_size=8192,
                         num_hidden_layers=16, num_attention_heads=32, num_key_value_heads=8,
                         max_position_embeddings=4096, tie_word_embeddings=False)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16).eval()
    print(f"\n## transformers {__import__('transformers').__version__} generate, torch {torch.__version__}\n")
    print("| workload | tokens/s | ms/step |\n|---|---|---|")
    for batch in (1, 32, 128):
        ids = torch.randint(0, config.vocab_size, (batch, 512), device="cuda")
        with torch.inference_mode():
            timed_generate(model, ids, 2)  # warm-up
            t1 = timed_generate(model, ids, 1)
            t65 = timed_generate(model, ids, 65)
        decode = (t65 - t1) / 64
        print(f"| hf decode batch {batch}, context 512 | {batch / decode:.1f} | {1e3 * decode:.2f} |")
        if batch == 1:
            print(f"| hf prefill 1 x 512 (+1 token) | {512 / t1:.0f} | {1e3 * t1:.1f} |")


if __name__ == "__main__":
    main()
