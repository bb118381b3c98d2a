#!/usr/bin/env python3
"""Renders the chat-template fixtures through Hugging Face transformers' own apply_chat_template and writes
goldens in the format of render_with_jinja2.py to Fixtures/goldens-transformers/, so the two can be diffed
(they must be equal) and the C# renderer compared with transformers directly.

Runs offline: each fixture template is attached to a tiny in-memory tokenizer (a one-token WordLevel model
with the fixture's special tokens), so no model is downloaded. strftime_now is patched to the fixtures'
fixed clock. Needs transformers >= 4.45 and tokenizers (pip install transformers tokenizers).

Usage: python3 tools/chat-templates/record_hf_goldens.py [FIXTURES_DIR]
"""
import datetime
import json
import pathlib
import sys

import transformers
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from transformers import PreTrainedTokenizerFast
from transformers.utils import chat_template_utils

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = ROOT / "tests" / "MoCo.Models.Tests" / "ChatTemplates" / "Fixtures"


def tokenizer_for(template, special_tokens):
    vocab = {"<unk>": 0}
    for token in special_tokens.values():
        vocab.setdefault(token, len(vocab))
    backend = Tokenizer(WordLevel(vocab=vocab, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=backend, chat_template=template, **special_tokens)


def patch_clock(clock):
    """transformers' strftime_now reads datetime.now(); pin it, and drop the compiled-template cache."""

    class FixedDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return clock

    chat_template_utils.datetime = FixedDatetime
    chat_template_utils._compile_jinja_template.cache_clear()


def main():
    fixtures = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FIXTURES
    templates = json.loads((fixtures / "templates.json").read_text(encoding="utf-8"))
    conversations = json.loads((fixtures / "conversations.json").read_text(encoding="utf-8"))
    patch_clock(datetime.datetime.fromisoformat(conversations["clock"]))
    out_dir = fixtures / "goldens-transformers"
    out_dir.mkdir(exist_ok=True)
    for file_name, info in templates.items():
        source = (fixtures / "templates" / file_name).read_text(encoding="utf-8")
        tokenizer = tokenizer_for(source, info["special_tokens"])
        cases = []
        for case in conversations["cases"]:
            for add_generation_prompt in (True, False):
                entry = {"case": case["name"], "add_generation_prompt": add_generation_prompt}
                try:
                    text = tokenizer.apply_chat_template(
                        case["messages"],
                        tools=case.get("tools"),
                        add_generation_prompt=add_generation_prompt,
                        tokenize=False,
                        **case.get("variables", {}),
                    )
                    entry["output"] = text + case.get("assistant_prefill", "")
                except Exception as error:  # the template's own exception, as apply_chat_template raises it
                    entry["error"] = str(error)
                    entry["error_type"] = type(error).__name__
                cases.append(entry)
        golden = {
            "template": file_name,
            "model": info["model"],
            "renderer": f"transformers {transformers.__version__} apply_chat_template",
            "cases": cases,
        }
        target = out_dir / (pathlib.Path(file_name).stem + ".json")
        target.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{target}: {len(cases)} renders, {sum('error' in c for c in cases)} errors")


if __name__ == "__main__":
    main()
