"""README's errata table is the tool's own output, not typed by hand."""
import re
from pathlib import Path

from symbolic.errata import errata_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_errata_table_is_the_tools_output():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- errata:start -->\n(.*?)\n<!-- errata:end -->", text, re.S)
    assert match, "README.md lost its errata markers"
    assert match.group(1) == errata_table([str(ROOT / "derivations")]).replace(str(ROOT) + "/", "")
