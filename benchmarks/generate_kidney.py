"""A seeded PrefLib-style kidney-exchange instance (Saidman et al., 2006), `.input` format.

Incompatible patient–donor pairs: blood types drawn from the US population,
each patient's panel-reactive antibody level (low, medium, high) setting the
chance that a crossmatch with another pair's donor fails.  A pair enters the
pool only if its own donor cannot give to its patient; an arc i → j says
pair i's donor can give to pair j's patient.  Unit weights, as in PrefLib's MD
instances.  The crossmatch failure rates are raised from Saidman's 5/45/90 %
so that 300 pairs give about 14,500 arcs, the density of PrefLib's instances.

    python benchmarks/generate_kidney.py 300 -o var/bench/kidney-300.input --seed 1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

BLOOD = np.array(["O", "A", "B", "AB"])
BLOOD_SHARE = [0.4814, 0.3373, 0.1428, 0.0385]
PRA_SHARE = [0.7019, 0.2, 0.0981]
CROSSMATCH_FAILS = np.array([0.62, 0.80, 0.95])


def compatible(donor: np.ndarray, patient: np.ndarray) -> np.ndarray:
    return (donor == "O") | (patient == "AB") | (donor == patient)


def generate(pairs: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    patients, donors, failure = [], [], []
    while len(patients) < pairs:
        patient = rng.choice(BLOOD, p=BLOOD_SHARE)
        donor = rng.choice(BLOOD, p=BLOOD_SHARE)
        level = rng.choice(3, p=PRA_SHARE)
        own = compatible(np.array([donor]), np.array([patient]))[0]
        if own and rng.random() > 0.5:  # a compatible pair would transplant directly
            continue
        patients.append(patient)
        donors.append(donor)
        failure.append(CROSSMATCH_FAILS[level])
    patient_types, donor_types = np.array(patients), np.array(donors)
    fails = np.array(failure)
    ok = compatible(donor_types[:, None], patient_types[None, :])
    ok &= rng.random((pairs, pairs)) > fails[None, :]
    np.fill_diagonal(ok, False)
    tails, heads = np.nonzero(ok)
    return tails, heads


def write(path: Path, pairs: int, tails: np.ndarray, heads: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{pairs}\t{tails.size}"]
    lines += [f"{t}\t{h}\t1" for t, h in zip(tails.tolist(), heads.tolist(), strict=True)]
    lines.append("-1\t-1\t-1")
    path.write_text("\n".join(lines) + "\n")


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
