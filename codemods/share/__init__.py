"""``share-session``'s parts: target collection (``targets.py``), per-call checks
(``checks.py``), module facts (``facts.py``), the three strategies (``module_scope.py``,
``function_scope.py``, ``user_client.py``) over one client definition (``client.py``), where
module-level statements go (``layout.py``) and the rewrite (``rewrite.py``). The codemod
itself is ``codemods/share_session.py``."""
