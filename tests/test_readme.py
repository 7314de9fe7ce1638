"""README's API tour is code a reader will paste: it must run as printed."""
import pathlib

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_api_tour_runs(capsys):
    text = README.read_text()
    tour = text[text.index("## A tour of the API"):]
    code = tour[tour.index("```python") + len("```python"):]
    code = code[:code.index("```")]
    assert "import fastgrad\n" in code and "import fastgrad." not in code  # the drop-in spelling only
    exec(compile(code, "README.md (API tour)", "exec"), {})
    assert "tensor(2.) tensor(5.) tensor(0.)" in capsys.readouterr().out
