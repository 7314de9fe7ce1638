"""`fastgrad generate --no-unk` never samples <unk>."""
import numpy as np


def test_no_unk_never_samples_unk(cli, tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)]
    text = tmp_path / "text.txt"
    text.write_text("".join(" ".join(rng.choice(words, size=8)) + "\n" for _ in range(200)), encoding="utf-8")
    out = tmp_path / "kn"
    # 10 words kept: most tokens become <unk>, so sampling without the flag draws it often
    assert cli("train", "ngram", "--train", text, "--valid", text, "--test", text, "--order", "2", "--max-vocab", "10",
               "--out", out).code == 0
    plain = cli("generate", out, "--tokens", "300", "--seed", "1", "--threads", "1")
    assert plain.code == 0 and plain.out.split().count("<unk>") > 50
    for extra in ([], ["--temperature", "0"], ["--top-k", "3"]):
        result = cli("generate", out, "--tokens", "300", "--seed", "1", "--no-unk", "--threads", "1", *extra)
        assert result.code == 0 and "<unk>" not in result.out.split() and len(result.out.split()) > 100


def test_prompt_words_outside_the_vocabulary_are_named_on_stderr(cli, tmp_path):
    """The output echoes the prompt as typed; the model reads unknown words as <unk>, and says so."""
    text = tmp_path / "text.txt"
    text.write_text("the cat sat on the mat\n" * 20, encoding="utf-8")
    out = tmp_path / "kn"
    assert cli("train", "ngram", "--train", text, "--valid", text, "--test", text, "--order", "2", "--out", out).code == 0
    result = cli("generate", out, "--prompt", "The cat", "--tokens", "3", "--threads", "1")
    assert result.code == 0 and result.out.startswith("The cat")
    assert "prompt: 'The' not in the model's vocabulary, read as <unk>" in result.err
    assert "vocabulary" not in cli("generate", out, "--prompt", "the cat", "--tokens", "3", "--threads", "1").err
