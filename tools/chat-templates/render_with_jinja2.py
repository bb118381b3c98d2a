#!/usr/bin/env python3
"""Renders the committed chat-template fixtures with jinja2 exactly as Hugging Face transformers does and
writes the golden files the C# renderer is compared with byte for byte (tests/MoCo.Models.Tests/ChatTemplates).

transformers (src/transformers/utils/chat_template_utils.py, _compile_jinja_template and
render_jinja_template) renders with jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True, extensions=[generation tag, jinja2.ext.loopcontrols]), replaces the tojson filter with
json.dumps(x, ensure_ascii=False, indent, separators, sort_keys), adds the globals raise_exception and
strftime_now, and calls render(messages=..., tools=..., documents=..., add_generation_prompt=...,
**special_tokens_map, **kwargs). This script reproduces that with jinja2 alone (no model downloads), with
strftime_now reading the fixed clock of conversations.json so dated templates are reproducible.

Usage: python3 tools/chat-templates/render_with_jinja2.py [FIXTURES_DIR]
Needs jinja2 >= 3.1 (Debian: apt-get install python3-jinja2; or pip install jinja2).
"""
import datetime
import json
import pathlib
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = ROOT / "tests" / "MoCo.Models.Tests" / "ChatTemplates" / "Fixtures"


class GenerationTag(jinja2.ext.Extension):
    """transformers' AssistantTracker when tracking is off: {% generation %}…{% endgeneration %} renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def environment(clock):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return clock.strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(template, case, special_tokens, add_generation_prompt):
    kwargs = {**special_tokens, **case.get("variables", {})}
    text = template.render(
        messages=case["messages"],
        tools=case.get("tools"),
        documents=None,
        add_generation_prompt=add_generation_prompt,
        **kwargs,
    )
    return text + case.get("assistant_prefill", "")


def render_features(fixtures, env, out_dir):
    """Small templates exercising one Jinja feature each (whitespace control, filters, tests, scoping, errors)."""
    features = json.loads((fixtures / "features.json").read_text(encoding="utf-8"))
    results = []
    for case in features["cases"]:
        entry = {"name": case["name"]}
        try:
            entry["output"] = env.from_string(case["template"]).render(**features["variables"])
        except jinja2.exceptions.TemplateError as error:
            entry["error"] = str(error)
            entry["error_type"] = type(error).__name__
        except (TypeError, ValueError, LookupError) as error:
            entry["error"] = str(error)
            entry["error_type"] = type(error).__name__
        results.append(entry)
    target = out_dir / "features.json"
    target.write_text(json.dumps({"renderer": f"jinja2 {jinja2.__version__}", "cases": results}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{target}: {len(results)} feature renders, {sum('error' in c for c in results)} errors")


def main():
    fixtures = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FIXTURES
    templates = json.loads((fixtures / "templates.json").read_text(encoding="utf-8"))
    conversations = json.loads((fixtures / "conversations.json").read_text(encoding="utf-8"))
    clock = datetime.datetime.fromisoformat(conversations["clock"])
    env = environment(clock)
    out_dir = fixtures / "goldens"
    out_dir.mkdir(exist_ok=True)
    for file_name, info in templates.items():
        source = (fixtures / "templates" / file_name).read_text(encoding="utf-8")
        template = env.from_string(source)
        cases = []
        for case in conversations["cases"]:
            for add_generation_prompt in (True, False):
                entry = {"case": case["name"], "add_generation_prompt": add_generation_prompt}
                try:
                    entry["output"] = render(template, case, info["special_tokens"], add_generation_prompt)
                except jinja2.exceptions.TemplateError as error:
                    entry["error"] = str(error)
                    entry["error_type"] = type(error).__name__
                except (TypeError, ValueError, LookupError) as error:
                    entry["error"] = str(error)
                    entry["error_type"] = type(error).__name__
                cases.append(entry)
        golden = {
            "template": file_name,
            "model": info["model"],
            "renderer": f"jinja2 {jinja2.__version__} ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with transformers' tojson, raise_exception, strftime_now",
            "cases": cases,
        }
        target = out_dir / (pathlib.Path(file_name).stem + ".json")
        target.write_text(json.dumps(golden, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{target}: {len(cases)} renders, {sum('error' in c for c in cases)} errors")
    render_features(fixtures, env, out_dir)


if __name__ == "__main__":
    main()
