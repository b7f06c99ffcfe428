"""The HCL expression evaluator the composer reads the root with: HCL's meaning, or a named refusal.

Values go in as python-hcl2 hands them over (parsed from HCL text here), so each case reads as the
HCL a configuration would hold.
"""

import pytest

from counterstack.hcl_syntax import hcl_value
from counterstack.terragrunt.expressions import (
    EvaluationError,
    Locals,
    Scope,
    evaluate,
)
from counterstack.terragrunt.functions import BUILTINS
from counterstack.terragrunt.hcl import parse_hcl

pytestmark = pytest.mark.unit


def value_of(hcl: str, **variables):
    """The value of `x` in `x = <hcl>`, with `variables` and Terraform's functions in scope."""
    raw = parse_hcl(f"x = {hcl}\n")["x"]
    return evaluate(raw, Scope(variables, BUILTINS))


def locals_of(hcl: str) -> Locals:
    body = parse_hcl(f"locals {{\n{hcl}\n}}\n")["locals"][0]
    return Locals(body, "test.hcl", Scope({}, BUILTINS))


@pytest.mark.parametrize(
    ("hcl", "expected"),
    [
        ('merge({ a = 1, b = 2 }, { "b" = 3 }, null)', {"a": 1, "b": 3}),
        ("merge({}, [for m in [{ a = 1 }, { b = 2 }] : m]...)", {"a": 1, "b": 2}),
        ("[for i, v in [10, 20, 30] : i * v if v != 20]", [0, 60]),
        ('{ for k, v in { b = 2, a = 1 } : "${k}-key" => v + 1 }', {"a-key": 2, "b-key": 3}),
        ('{ for k, v in { a = "x", b = "x" } : v => k... }', {"x": ["a", "b"]}),
        ("[for k, v in { zed = 1, alpha = 2 } : k]", ["alpha", "zed"]),  # HCL sorts map keys
        ('"${dirname("/a/b/env.hcl")}/adopted.hcl"', "/a/b/adopted.hcl"),
        ('[basename("/a/b/"), basename(""), dirname("a"), dirname("/")]', ["b", ".", ".", "/"]),
        (
            '"${1 + 1}:${true}:${2.5} $${literal} %%{literal} \\"q\\" \\u00e9"',
            '2:true:2.5 ${literal} %{literal} "q" é',
        ),
        ('"${[1, 2]}"', [1, 2]),  # a template that is one interpolation keeps its type
        ("(1 < 2) && !false ? -3 : 4 % 3", -3),
        (
            '{ (local_key) = 1, for = 2, "quoted" = 3, bare = 4 }',
            {"k": 1, "for": 2, "quoted": 3, "bare": 4},
        ),
        ('{ a = { b = [10, 20] } }.a["b"][1]', 20),
        ("[10, 20].1", 20),
        ("1 == true", False),
        ('"%{ for s in ["a", "b"] ~}\n${s};%{ endfor ~}\n%{if false}x%{else}y%{endif}"', "a;b;y"),
        ('try(local_key.x, lookup({ a = 1 }, "b", 2))', 2),
        ("[can(local_key.x), can(local_key)]", [False, True]),
        ('format("%s-%03d %q %v", "a", 7, "b", [1])', 'a-007 "b" [1]'),
        ('jsonencode({ b = [1, true], a = "<" })', '{"a":"\\u003c","b":[1,true]}'),
        ('jsondecode("{\\"a\\": [1]}")', {"a": [1]}),
        ("concat([1], [2, 3])", [1, 2, 3]),
    ],
)
def test_expressions_evaluate_as_hcl_does(hcl, expected):
    assert value_of(hcl, local_key="k") == expected


def test_locals_are_evaluated_when_read_so_an_unread_one_may_call_anything():
    local = locals_of(
        'used = merge(local.base, { b = 2 })\nbase = { a = 1 }\nunused = get_env("X", "")'
    )
    assert local["used"] == {"a": 1, "b": 2}
    with pytest.raises(EvaluationError, match=r'get_env\("X", ""\).*get_env\(\) is not a function'):
        local["unused"]


def test_both_arms_of_a_conditional_are_evaluated_as_in_hcl():
    """The root reads optional files in filtered for-expressions because of this."""
    with pytest.raises(EvaluationError, match="nope"):
        value_of("true ? 1 : nope(2)")


@pytest.mark.parametrize(
    ("hcl", "named"),
    [
        ("local.list[*].id", r"local\.list\[\*\]\.id: splat expressions are not supported"),
        ("provider::aws::arn_parse(1)", "provider functions are not supported"),
        ("timestamp()", r"timestamp\(\) is not a function this reader knows"),
        ("var.name", "unknown name 'var'"),
        ("{ a = 1 }.b", r"\{a = 1\}\.b: no attribute 'b'"),
        ('merge("a")', r"merge\(\) takes a map or an object, not str"),
        ("[for v in 1 : v]", "cannot iterate over a number"),
    ],
)
def test_what_it_cannot_evaluate_is_refused_naming_the_expression(hcl, named):
    with pytest.raises(EvaluationError, match=named) as error:
        value_of(hcl, local={"list": [{"id": 1}]})
    assert str(error.value).startswith("cannot evaluate ")


def test_a_local_that_depends_on_itself_is_refused():
    local = locals_of("a = local.b\nb = local.a")
    with pytest.raises(EvaluationError, match=r"local\.a depends on itself"):
        local["a"]


def test_a_missing_local_is_named_with_its_file():
    local = locals_of("a = local.missing")
    with pytest.raises(EvaluationError, match=r"test\.hcl has no local 'missing'"):
        local["a"]


def test_what_hcl_syntax_writes_reads_back_as_the_same_value():
    """The project's HCL writer (adopt --write, the provider override) and this reader agree."""
    written = {"role_path": "/service-role/", "ids": ["a${b}", "%{c}", 'q"\n'], "n": 1, "on": True}
    assert value_of(hcl_value(written)) == written


def test_heredocs_are_templates_and_the_indented_form_drops_the_common_indent():
    raw = parse_hcl("x = <<-EOF\n    a ${1 + 1}\n      b\n    EOF\n")
    assert evaluate(raw["x"], Scope({}, BUILTINS)) == "a 2\n  b\n"


def test_strip_markers_trim_a_heredoc_line_by_line_as_terraform_does():
    """Values Terraform 1.11 gives for the same templates: a heredoc's lines are separate."""
    heredoc = 'x = <<EOT\na\n%{if true~}\n  b   \n  %{~endif}\nc ${~"x"~}   \n   d\nEOT\n'
    assert evaluate(parse_hcl(heredoc)["x"], Scope({}, BUILTINS)) == "a\n  b   \n\ncx   d\n"
    assert value_of('"x   %{if true~}   \\n   y%{endif}"') == "x   y"
