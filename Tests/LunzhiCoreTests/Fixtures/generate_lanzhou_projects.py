#!/usr/bin/env python3
"""Generates lanzhou-2014-projects.csv: 770 projects whose totals by industry, by investment band
and by source region are exactly those of the Lanzhou fair (seed 000, ../shared/domain.md).

Run once; the CSV is committed (tests do not need scipy). Amounts are in 0.01亿 (1,000,000 CNY)
units, found by an integer program so that all three tables hold at the same time."""
import csv, random
import numpy as np
from scipy.optimize import milp, LinearConstraint, Bounds

industries = {  # code: (count, 亿)
    "energy_materials": (353, 2202), "light_food": (177, 578), "pharmaceuticals": (65, 191),
    "equipment": (67, 252), "circular": (23, 59), "other": (85, 573)}
bands = {"ge_50yi": (12, 840), "10_50yi": (79, 1394), "lt_10yi": (679, 1621)}
sources = {"east_central": (548, 2987), "west": (212, 834), "abroad": (10, 34)}
limits = {"ge_50yi": (5000, 30000), "10_50yi": (1000, 4999), "lt_10yi": (10, 999)}  # 0.01亿 units
members = ["SN", "GS", "QH", "NX", "XJ"]

rng = random.Random(20140706)
def expand(d):
    return [k for k, (n, _) in d.items() for _ in range(n)]

for attempt in range(200):
    ind, band, src = expand(industries), expand(bands), expand(sources)
    rng.shuffle(ind); rng.shuffle(band); rng.shuffle(src)
    n = len(ind)
    rows, rhs = [], []
    for groups, key in ((industries, ind), (bands, band), (sources, src)):
        for code, (_, total) in groups.items():
            rows.append([1 if key[p] == code else 0 for p in range(n)])
            rhs.append(total * 100)
    A = np.array(rows)
    lo = np.array([limits[b][0] for b in band]); hi = np.array([limits[b][1] for b in band])
    res = milp(c=np.zeros(n), constraints=LinearConstraint(A, rhs, rhs), integrality=np.ones(n), bounds=Bounds(lo, hi))
    if res.success:
        x = np.round(res.x).astype(int)
        assert (A @ x == np.array(rhs)).all()
        break
else:
    raise SystemExit("no feasible assignment found")

with open("lanzhou-2014-projects.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["name", "industry", "source_region", "host_member", "investment_yi"])
    for p in range(n):
        w.writerow([f"兰州对接项目{p + 1:03d}", ind[p], src[p], members[p % 5], f"{x[p] // 100}.{x[p] % 100:02d}"])
print("attempts:", attempt + 1)
