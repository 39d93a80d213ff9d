"""Each codemod's documentation, carried by the codemod (``HttpCodemod.DOCS``), in the manner
of ruff's rule docs and Fixit's rules: why it matters, what it fixes, what the fix does, its
safety (the one behaviour change), what is left alone or reported and when, and examples that
are also tests (``tests/test_codemod_docs.py``).

The README's per-codemod sections, ``--list --verbose`` and the SARIF rule help are rendered
from this text; ``python -m codemods.docs`` rewrites the README between its markers and
``tests/test_codemod_docs.py`` fails when the README is not current.
"""

from __future__ import annotations

import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Tuple

from .enums import StrEnum


class ExampleKind(StrEnum):
    FIXED = "fixed"
    REPORTED = "reported"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Example:
    """``before`` run through the codemod alone: ``fixed`` gives ``after``; ``reported``
    leaves the text as it is and reports a site whose reason contains ``reason``;
    ``unchanged`` changes and reports nothing."""

    kind: ExampleKind
    before: str
    after: Optional[str] = None
    reason: Optional[str] = None
    options: Dict[str, Any] = field(default_factory=dict)
    #: Run with ``--unsafe-fixes`` (an unsafe fix's example).
    unsafe_fixes: bool = False


#: The bullets of a README section, in order, with their default labels.
FIELDS = (
    ("why", "Why"),
    ("what", "What it fixes"),
    ("fix", "The fix"),
    ("safety", "Behaviour change"),
    ("reported", "Left alone"),
)


@dataclass(frozen=True)
class CodemodDocs:
    """Markdown, one README bullet per field (continuation lines indented two spaces).
    ``labels``: a field whose bullet starts differently (the label with its punctuation;
    the text then follows it directly). ``notes``: further bullets; ``tail``: text after the
    bullets (an options table)."""

    why: str
    what: str
    fix: str
    safety: str
    reported: str
    notes: Tuple[str, ...] = ()
    tail: str = ""
    labels: Dict[str, str] = field(default_factory=dict)
    heading: str = ""
    examples: Tuple[Example, ...] = ()
    #: Fix safety, as ruff's users know it: what each safe fix is (applied by default), and
    #: each unsafe fix as (what it fixes, its one hazard), applied only with ``--unsafe-fixes``.
    safe_fixes: Tuple[str, ...] = ()
    unsafe_fixes: Tuple[Tuple[str, str], ...] = ()

    def fix_safety(self) -> str:
        """The README bullet listing the safe and the unsafe fixes ('' when none is listed)."""
        if not self.safe_fixes and not self.unsafe_fixes:
            return ""

        def item(text: str) -> str:
            return textwrap.fill(
                text,
                96,
                initial_indent="  - ",
                subsequent_indent="    ",
                break_long_words=False,
                break_on_hyphens=False,
            )

        out = [
            textwrap.fill(
                "- **Fix safety** (safe fixes are applied by default, unsafe ones only with "
                "`--unsafe-fixes`; without it an unsafe fix is reported with its hazard and "
                '"fixable with --unsafe-fixes"):',
                96,
                subsequent_indent="  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        ]
        out += [item(f"safe: {text}") for text in self.safe_fixes]
        out += [item(f"unsafe: {text} Hazard: {hazard}") for text, hazard in self.unsafe_fixes]
        if not self.unsafe_fixes:
            out.append("  - no unsafe fixes.")
        return "\n".join(out)

    def bullet(self, name: str) -> str:
        label = dict(FIELDS)[name]
        text = getattr(self, name)
        if name in self.labels:
            return f"- {self.labels[name]}{text}"
        return f"- **{label}**: {text}"

    def plain(self, name: str) -> str:
        """A field as one paragraph of plain text (SARIF ``help.text``)."""
        return plain_text_of(getattr(self, name))


def plain_text_of(markdown: str) -> str:
    """One paragraph, without the HTML comments (``<!-- fmt: off -->``: ruff format leaves the
    code block after it as written, the tool's own layout)."""
    return re.sub(r"\s+", " ", re.sub(r"<!--.*?-->", "", markdown, flags=re.S)).strip()


def section(codemod: Any) -> str:
    """The README section of one codemod."""
    docs: CodemodDocs = codemod.DOCS
    heading = docs.heading or ("on by default" if codemod.DEFAULT else "off by default")
    out = [f"### `{codemod.NAME}` ({heading})", ""]
    out += [docs.bullet(name) for name, _ in FIELDS]
    if docs.fix_safety():
        out.append(docs.fix_safety())
    out += [f"- {note}" for note in docs.notes]
    if docs.tail:
        out += ["", docs.tail]
    if docs.examples:
        out += ["", "<details><summary>Examples (run as tests)</summary>", ""]
        for example in docs.examples:
            out += _example(example)
        out += ["</details>"]
    return "\n".join(out) + "\n"


def _example(example: Example) -> list:
    opts = "".join(f" `--{k} {v}`" for k, v in example.options.items())
    if example.unsafe_fixes:
        opts += " with `--unsafe-fixes`"
    if example.kind == ExampleKind.FIXED:
        title = f"Fixed{opts}:"
    elif example.kind == ExampleKind.REPORTED:
        title = f"Reported{opts} ({example.reason}):"
    else:
        title = f"Left unchanged{opts}:"
    out = [title, "", "```python", example.before.rstrip("\n"), "```", ""]
    if example.kind == ExampleKind.FIXED:
        assert example.after is not None
        out += ["becomes", "", "```python", example.after.rstrip("\n"), "```", ""]
    return out


def sarif_help(codemod: Any) -> Dict[str, str]:
    """SARIF ``help``: the one-line description, why and the fix, then the codemod's full
    documentation (what it fixes, the behaviour change, what is reported)."""
    text = [codemod.DESCRIPTION, f"Why: {codemod.WHY}", f"The fix: {codemod.FIX}"]
    markdown = [codemod.DESCRIPTION, "", f"**Why:** {codemod.WHY}", "", f"**The fix:** {codemod.FIX}"]
    docs: Optional[CodemodDocs] = getattr(codemod, "DOCS", None)
    if docs is not None:
        text += [f"{label}: {docs.plain(name)}" for name, label in FIELDS]
        markdown += [""] + [docs.bullet(name) for name, _ in FIELDS]
        if docs.fix_safety():
            text.append(plain_text_of(docs.fix_safety().replace("- **Fix safety**", "Fix safety")))
            markdown.append(docs.fix_safety())
    return {"text": "\n\n".join(text), "markdown": "\n".join(markdown)}


def summary(codemod: Any) -> str:
    """``--list``: why the codemod exists, in one paragraph."""
    docs: Optional[CodemodDocs] = getattr(codemod, "DOCS", None)
    return docs.plain("why") if docs is not None else codemod.WHY


START = "<!-- codemod sections: generated by `python -m codemods.docs` from each codemod's DOCS -->"
END = "<!-- end of codemod sections -->"


def render_sections(codemods: Iterable[Any]) -> str:
    return "\n".join(section(c) for c in codemods)


def current_readme(readme: str, codemods: Iterable[Any]) -> str:
    """``readme`` with the text between the markers replaced by the rendered sections."""
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n\n{render_sections(codemods)}\n{END}{tail}"


def main(argv: Optional[list] = None) -> int:
    from .registry import CODEMODS

    path = Path(argv[0] if argv else "README.md")
    text = path.read_text(encoding="utf-8")
    new = current_readme(text, CODEMODS)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"rewrote the codemod sections of {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
