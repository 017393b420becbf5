"""The architecture's one hard rule: `analysis` is a library that stands
alone; `survey` may import it, never the other way round."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_importing_analysis_loads_no_flask_sqlalchemy_or_plotly():
    probe = (
        "import sys, analysis\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'flask', 'sqlalchemy', 'plotly', 'survey', 'werkzeug', 'jinja2'})\n"
        "print(','.join(bad))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert result.stdout.strip() == ""


def test_analysis_source_never_imports_the_web_stack():
    forbidden = {"flask", "sqlalchemy", "plotly", "survey"}
    for path in (ROOT / "analysis").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"
