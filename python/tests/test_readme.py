"""The pytest example of README.md's Python section passes as written,
run by pytest from the repository root."""

import re
import subprocess
import sys

from conftest import REPO


def test_readme_example_passes(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```python\n(.*?)```", section, re.S)
    assert "def test_" in block
    test_file = tmp_path / "test_rules.py"
    test_file.write_text(block, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(test_file)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b3 passed\b", run.stdout), run.stdout
