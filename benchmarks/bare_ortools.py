"""The baseline of the whole-process benchmark: load the CSV with NumPy, solve the
whole graph with OR-Tools' min-cost flow, print the set-off.  No validation, no
pruning, no output file: the least a script can do to get the answer."""

import sys

import numpy as np
from ortools.graph.python import min_cost_flow

rows = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
debtors, creditors, amounts = rows[:, 0], rows[:, 1], rows[:, 2]
firms = int(max(debtors.max(), creditors.max())) + 1
solver = min_cost_flow.SimpleMinCostFlow()
solver.add_arcs_with_capacity_and_unit_cost(
    debtors, creditors, amounts, np.ones(amounts.size, dtype=np.int64)
)
supplies = np.bincount(debtors, weights=amounts, minlength=firms) - np.bincount(
    creditors, weights=amounts, minlength=firms
)
solver.set_nodes_supplies(np.arange(firms), supplies.astype(np.int64))
if solver.solve() != solver.OPTIMAL:
    sys.exit("not optimal")
print(int(amounts.sum()) - solver.optimal_cost())
