#!/usr/bin/env python3
"""Builds the GPU smoke base model without any download: a Qwen3-architecture causal LM of
about 25M parameters with a character-level tokenizer, from a fixed seed, saved like a
cached Hugging Face checkpoint (<cache>/ptb-smoke/qwen3-tiny-base)."""
import argparse, os
import torch
from tokenizers import Regex, Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

p = argparse.ArgumentParser()
p.add_argument("--out", required=True)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()

specials = ["<pad>", "<bos>", "<eos>", "<unk>"]
chars = list("0123456789+=- ,.?abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n")
vocab = {t: i for i, t in enumerate(specials + chars)}
core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
core.add_special_tokens(specials)  # matched whole, before the character split
core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
core.post_processor = processors.TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", vocab["<bos>"])])
tok = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")
tok.model_max_length = 64
# Inspect's transformers provider renders every prompt with the tokenizer's chat template: this
# one hands the prompt over as it is ("A+B="), as the model was trained.
tok.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"

torch.manual_seed(a.seed)
config = Qwen3Config(
    vocab_size=len(vocab), hidden_size=512, intermediate_size=1536, num_hidden_layers=8,
    num_attention_heads=8, num_key_value_heads=4, head_dim=64, max_position_embeddings=64,
    tie_word_embeddings=True, bos_token_id=vocab["<bos>"], eos_token_id=vocab["<eos>"], pad_token_id=vocab["<pad>"],
)
model = Qwen3ForCausalLM(config)
os.makedirs(a.out, exist_ok=True)
model.save_pretrained(a.out)
tok.save_pretrained(a.out)
n = sum(p.numel() for p in model.parameters())
print(f"base model: {n / 1e6:.1f}M parameters, vocab {len(vocab)}, saved to {a.out}")
