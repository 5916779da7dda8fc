"""A kidney-exchange pool from Saidman et al.'s published description, `.input` format.

Saidman, Roth, Sönmez, Ünver, Delmonico, "Increasing the opportunity of live kidney
donation by matching for two- and three-way exchanges", Transplantation 81(5), 2006.
Written from the paper, not tuned to ``generate_kidney.py``:

- patient and donor blood types drawn independently from US frequencies
  (O 48.14 %, A 33.73 %, B 14.28 %, AB 3.85 %);
- the patient's panel-reactive antibody level: low (< 10 %) with probability
  70.19 %, medium (10–80 %) 20 %, high (> 80 %) 9.81 %; a positive crossmatch with
  a given donor has probability 5 %, 45 % and 90 % respectively;
- the patient is female with probability 40.90 %, and her donor is her spouse with
  probability 48.97 %; a husband's crossmatch fails more often (the paper scales
  the failure probability by 1 − 0.75·(1 − p), i.e. 75 % of a negative crossmatch's
  chance is lost);
- a generated pair joins the pool only if its donor cannot give to its own patient
  (blood types incompatible, or the crossmatch positive); else it transplants
  directly and another is drawn.

An arc i → j says pair i's donor is blood-type compatible with pair j's patient
and their crossmatch (drawn once, at j's PRA level) is negative.  Unit weights.

    python benchmarks/generate_saidman.py 300 -o var/bench/saidman-300.input --seed 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from generate_kidney import write

BLOOD = ("O", "A", "B", "AB")
BLOOD_SHARE = (0.4814, 0.3373, 0.1428, 0.0385)
PRA_SHARE = (0.7019, 0.2, 0.0981)
PRA_CROSSMATCH = (0.05, 0.45, 0.90)
FEMALE = 0.4090
SPOUSE = 0.4897
SPOUSAL_NEGATIVE = 0.75  # a husband donor keeps 75 % of a negative crossmatch's chance


def blood_compatible(donor: int, patient: int) -> bool:
    """Type indices into ``BLOOD``: O gives to all, AB receives from all."""
    return donor == 0 or patient == 3 or donor == patient


def generate(pairs: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    patients: list[int] = []
    donors: list[int] = []
    positive: list[float] = []  # the patient's chance of a positive crossmatch
    while len(patients) < pairs:
        patient = int(rng.choice(4, p=BLOOD_SHARE))
        donor = int(rng.choice(4, p=BLOOD_SHARE))
        chance = PRA_CROSSMATCH[int(rng.choice(3, p=PRA_SHARE))]
        own = chance
        if rng.random() < FEMALE and rng.random() < SPOUSE:
            own = 1 - SPOUSAL_NEGATIVE * (1 - chance)  # only her own husband
        if blood_compatible(donor, patient) and rng.random() >= own:
            continue  # compatible: a direct transplant, not in the pool
        patients.append(patient)
        donors.append(donor)
        positive.append(chance)
    ok = np.array([[blood_compatible(d, p) for p in patients] for d in donors])
    ok &= rng.random((pairs, pairs)) >= np.array(positive)[None, :]
    np.fill_diagonal(ok, False)
    tails, heads = np.nonzero(ok)
    return tails, heads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pairs", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tails, heads = generate(args.pairs, args.seed)
    write(args.output, args.pairs, tails, heads)
    print(f"{args.pairs} pairs, {tails.size} arcs")


if __name__ == "__main__":
    main()
