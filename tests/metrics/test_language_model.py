import math

import pytest

from fastgrad.metrics import perplexity


def test_perplexity():
    # four tokens each with p = 1/8: exp(4 ln 8 / 4) = 8
    assert perplexity(4 * math.log(8), 4) == pytest.approx(8.0)
    assert perplexity(0.0, 3) == 1.0
    assert perplexity(1e6, 1) == math.inf
    with pytest.raises(ValueError, match="token_count must be positive, got 0"):
        perplexity(1.0, 0)
    with pytest.raises(ValueError, match="non-negative"):
        perplexity(-1.0, 2)
    with pytest.raises(ValueError, match="non-negative"):
        perplexity(float("nan"), 2)
