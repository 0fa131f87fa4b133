"""The README's mart tables are generated from the dbt YAML and must match it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from warehouse import docs

PROJECT_ROOT = Path(__file__).resolve().parents[2]
README = PROJECT_ROOT / "README.md"
MARTS_DIR = PROJECT_ROOT / "dbt_project" / "models" / "marts"


def test_readme_marts_section_is_the_generated_text():
    section = docs.current_section(README.read_text(encoding="utf-8"))
    assert section.strip("\n") == docs.render_marts().strip("\n"), (
        "README.md's marts section differs from the dbt YAML: run `make docs` "
        "(and edit the YAML, not the README)"
    )


def test_every_mart_model_and_column_is_in_readme():
    section = docs.current_section(README.read_text(encoding="utf-8"))
    models = [
        model
        for path in sorted(MARTS_DIR.glob("*/*.yml"))
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []
    ]
    assert len(models) >= 6
    for model in models:
        heading = f"#### marts.{model['name']}\n"
        assert heading in section, f"{model['name']} missing from README"
        body = section.split(heading, 1)[1].split("\n#### ", 1)[0].split("\n### ", 1)[0]
        readme_columns = re.findall(r"^\| (\S+) \|", body, flags=re.MULTILINE)
        assert readme_columns[1:] == [c["name"] for c in model["columns"]], model["name"]


def test_render_escapes_pipes_and_keeps_column_order(tmp_path):
    (tmp_path / "zeta").mkdir()
    (tmp_path / "zeta" / "b_model.yml").write_text(
        "version: 2\nmodels:\n  - name: b_model\n    description: Second.\n    columns: []\n"
    )
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alpha" / "a_model.yml").write_text(
        """version: 2
models:
  - name: a_model
    description: >
      First paragraph,
      folded.


      Second paragraph.
    columns:
      - name: z_col
        data_type: varchar
        description: "`a` | `b`, or
          neither"
      - name: a_col
        data_type: bigint
      - name: m_col
        description: no type
"""
    )

    assert docs.render_marts(tmp_path) == (
        "### Alpha\n"
        "\n"
        "#### marts.a_model\n"
        "\n"
        "First paragraph, folded.\n"
        "\n"
        "Second paragraph.\n"
        "\n"
        "| column | type | definition |\n"
        "|---|---|---|\n"
        "| z_col | varchar | `a` \\| `b`, or neither |\n"
        "| a_col | bigint |  |\n"
        "| m_col |  | no type |\n"
        "\n"
        "### Zeta\n"
        "\n"
        "#### marts.b_model\n"
        "\n"
        "Second.\n"
        "\n"
        "| column | type | definition |\n"
        "|---|---|---|\n"
    )


def test_check_reports_a_stale_readme_and_the_write_fixes_it(tmp_path, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nIntro.\n\n{docs.BEGIN}\nhand-edited\n{docs.END}\n\n## Layout\n")
    monkeypatch.setattr(docs, "README", readme)

    assert docs.main(["--check"]) == 1
    assert "-hand-edited" in capsys.readouterr().out
    assert docs.main([]) == 0
    assert docs.main(["--check"]) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\nIntro.\n\n" + docs.BEGIN + "\n\n### ")
    assert text.endswith("\n\n" + docs.END + "\n\n## Layout\n")
