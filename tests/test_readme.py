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


def test_errata_module_help_is_usage_not_a_file(capsys):
    """``python -m symbolic.errata --help`` prints usage; it was read as a path and crashed."""
    import pytest

    from symbolic.errata import main

    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    assert "usage: python -m symbolic.errata" in capsys.readouterr().out
