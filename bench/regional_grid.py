#!/usr/bin/env python3
"""A regional test day for citytwin (issue 22): a SIDE x SIDE grid of 300 m blocks as an
Eclipse SUMO network (arterials of 2 lanes at 60 km/h every sixth street, local streets of
1 lane at 40 km/h) and TRIPS trips between edges 2-14 blocks apart, leaving over 24 h on a
two-peak weekday profile, as a SUMO trips file. Deterministic for a seed.

Usage: python3 bench/regional_grid.py OUT_DIR [SIDE=180] [TRIPS=1000000] [SEED=7]
Then:  citytwin run --sumo-net OUT_DIR/region.net.xml --sumo-trips OUT_DIR/region.trips.xml -o OUT
"""
import os
import random
import sys

out = sys.argv[1]
side = int(sys.argv[2]) if len(sys.argv) > 2 else 180
count = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 7
os.makedirs(out, exist_ok=True)
BLOCK = 300
# share of departures per hour of the day (morning and evening peaks)
PROFILE = [1, 1, 1, 1, 2, 4, 8, 12, 10, 6, 5, 5, 5, 5, 6, 7, 9, 12, 10, 7, 5, 4, 3, 2]

edges_at = {}
with open(os.path.join(out, "region.net.xml"), "w") as net:
    net.write('<net version="1.20">\n')
    for r in range(side):
        for c in range(side):
            for dr, dc in [(0, 1), (1, 0), (0, -1), (-1, 0)]:
                r2, c2 = r + dr, c + dc
                if not (0 <= r2 < side and 0 <= c2 < side):
                    continue
                eid = f"{r}_{c}to{r2}_{c2}"
                arterial = (r % 6 == 0 and dr == 0) or (c % 6 == 0 and dc == 0)
                lanes, speed = (2, "16.67") if arterial else (1, "11.11")
                shape = f"{c * BLOCK},{r * BLOCK} {c2 * BLOCK},{r2 * BLOCK}"
                lane_xml = "".join(
                    f'<lane id="{eid}_{k}" index="{k}" speed="{speed}" length="{BLOCK}.00" shape="{shape}"/>'
                    for k in range(lanes)
                )
                net.write(f'  <edge id="{eid}" from="n{r}_{c}" to="n{r2}_{c2}">{lane_xml}</edge>\n')
                edges_at.setdefault((r, c), []).append(eid)
            net.write(f'  <junction id="n{r}_{c}" type="priority" x="{c * BLOCK}" y="{r * BLOCK}"/>\n')
    net.write("</net>\n")

rng = random.Random(seed)


def edge_near(r, c):
    r, c = min(side - 1, max(0, r)), min(side - 1, max(0, c))
    return rng.choice(edges_at[(r, c)])


trips = []
for _ in range(count):
    hour = rng.choices(range(24), weights=PROFILE)[0]
    r, c = rng.randrange(side), rng.randrange(side)
    d = rng.randint(2, 14)
    origin = edge_near(r, c)
    dest = edge_near(r + rng.randint(-d, d), c + rng.randint(-d, d))
    trips.append((hour * 3600 + rng.randrange(3600), origin, dest))
trips.sort()
with open(os.path.join(out, "region.trips.xml"), "w") as f:
    f.write("<routes>\n")
    for i, (t, a, b) in enumerate(trips):
        f.write(f'<trip id="t{i}" depart="{t}" from="{a}" to="{b}"/>\n')
    f.write("</routes>\n")
