"""documents sits below approvals (ARCHITECTURE: import direction): it asks approvals through its
own registries (documents.hooks, documents.policy.register_need_to_know), never by importing it."""
import pathlib
import re

import documents

IMPORT_OF_APPROVALS = re.compile(r"^\s*(from|import)\s+approvals\b", re.M)

# registers.py moves to the registers app (issue 13); until then it still prints approvals' rows.
NOT_YET_MOVED = {"registers.py"}


def test_documents_imports_nothing_from_approvals():
    root = pathlib.Path(documents.__file__).parent
    offenders = [
        str(path.relative_to(root)) for path in root.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts and path.name not in NOT_YET_MOVED
        and IMPORT_OF_APPROVALS.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_forbidden_import_is_found():
    assert IMPORT_OF_APPROVALS.search("x = 1\n    from approvals.models import RequestItem\n")
    assert not IMPORT_OF_APPROVALS.search("# approvals.policy decides\nfrom documents import policy\n")
