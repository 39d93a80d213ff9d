"""``no-verify-false``: report requests calls that turn off TLS verification."""

from __future__ import annotations

import libcst as cst

from codemods.base import HttpCodemod
from codemods.calls import is_literal_false, keyword
from codemods.docs import CodemodDocs, Example, ExampleKind

EXAMPLES = (
    Example(ExampleKind.REPORTED, "import requests\n\nrequests.get(URL, verify=False)\n", reason="verify=False"),
    Example(ExampleKind.UNCHANGED, "import requests\n\nrequests.get(URL)\n"),
    Example(ExampleKind.UNCHANGED, "def get(url, verify):\n    return url\n\nget(URL, verify=False)\n"),
)


class NoVerifyFalse(HttpCodemod):
    NAME = "no-verify-false"
    DESCRIPTION = "Report requests calls that pass verify=False."
    WHY = "verify=False accepts any certificate: a man in the middle reads and changes the traffic."
    FIX = "None: the site is reported; trust the server's CA with verify=PATH instead."
    DEFAULT = False
    DOCS = CodemodDocs(
        why=WHY,
        what="`requests.<verb>(..., verify=False)` and the same on a `requests.Session`.",
        fix="none: the call is reported, never rewritten.",
        safety="nothing changes.",
        reported="every such call; `verify=True`, a path, or a name are left alone.",
        examples=EXAMPLES,
    )

    def visit_Call(self, node: cst.Call) -> None:
        found = self.resolver.classify(node)  # names resolved through imports, never text
        if found is None or found.library != "requests" or found.kind not in ("function", "method"):
            return
        arg = keyword(node, "verify")
        if arg is not None and is_literal_false(arg.value) and not self.suppressed(node):
            self.report(node, "passes verify=False: TLS certificates are not checked")
