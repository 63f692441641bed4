"""Write 10,000 generated codes with a few of the mistakes people make, for ``make run``."""

from __future__ import annotations

import random
import sys

from jjjcredit.core.codes import uscc


def main(count: int = 10_000, seed: int = 2024) -> None:
    rng = random.Random(seed)
    out = sys.stdout
    for _ in range(count):
        code = uscc.generate(rng, region=rng.choice(("110105", "120101", "130102", "131082")))
        roll = rng.random()
        if roll < 0.01:  # two neighbours swapped
            j = rng.randrange(8, 17)
            code = code[:j] + code[j + 1] + code[j] + code[j + 2:]
        elif roll < 0.02:  # a zero typed as the letter O
            code = code.replace("0", "O", 1)
        elif roll < 0.03:  # pasted from a spreadsheet, lower case with spaces
            code = f" {code[:8].lower()} {code[8:]}"
        out.write(code + "\n")


if __name__ == "__main__":
    main()
