"""AequilibraE's bi-conjugate Frank-Wolfe on a TNTP network, one thread: the reference that
`citytwin assign` is compared with (issue 22; bench/assign_vs_aequilibrae.sh runs both).

The problem is the one `citytwin assign` solves: BPR costs t0 (1 + b (x/c)^power) from the
network file, plus a fixed cost per link of the README's toll and distance weights (as TNTP's
Chicago-Sketch defines its generalised cost), flows kept out of centroids below the first thru
node, AequilibraE's relative gap (total cost minus all-or-nothing cost, over total cost) as
the stopping rule. Prints one JSON line: seconds of `execute()` alone (the graph and the matrix
are built before the clock starts), seconds from reading the files, iterations, the gap reached
and the Beckmann objective of its flows (to check that both tools solved the same problem).

Usage: python3 aequilibrae_bfw.py NET_TNTP TRIPS_TNTP GAP [TOLL_WEIGHT DISTANCE_WEIGHT]
(E402 below: the environment is set before AequilibraE is imported.)
"""

import json
import os
import re
import sys
import time

# AequilibraE draws progress bars unless told not to: they would be timed with it
os.environ.setdefault("AEQ_SHOW_PROGRESS", "FALSE")

import numpy as np
import pandas as pd
from aequilibrae.matrix import AequilibraeMatrix
from aequilibrae.paths import Graph, TrafficAssignment, TrafficClass


ZERO_TIME_MIN = 1e-6


def metadata(text):
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"<([A-Z ]+)>([^\n<]*)", text)}


def read_net(path):
    text = open(path).read()
    meta = metadata(text)
    body = text.split("<END OF METADATA>", 1)[1]
    rows = []
    for line in body.splitlines():
        line = line.strip()
        if not line or line.startswith("~"):
            continue
        fields = line.rstrip(";").split()
        rows.append([float(f) for f in fields[:10]])
    cols = ["a_node", "b_node", "capacity", "length", "free_flow_time", "b", "power", "speed", "toll", "link_type"]
    net = pd.DataFrame(rows, columns=cols)
    return net, int(meta["NUMBER OF ZONES"]), int(meta["FIRST THRU NODE"])


def read_trips(path, zones):
    text = open(path).read().split("<END OF METADATA>", 1)[1]
    demand = np.zeros((zones, zones))
    origin = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("~"):
            continue
        if line.startswith("Origin"):
            origin = int(line.split()[1])
            continue
        for pair in line.split(";"):
            if ":" in pair:
                dest, flow = pair.split(":")
                demand[origin - 1, int(dest) - 1] = float(flow)
    return demand


def beckmann(net, flow, fixed):
    t0, b, p, c = (net[k].to_numpy() for k in ("free_flow_time", "b", "power", "capacity"))
    with np.errstate(divide="ignore", invalid="ignore"):
        congestion = np.where(c > 0, t0 * b * flow * (flow / c) ** p / (p + 1), 0.0)
    return float(np.sum((t0 + fixed) * flow + congestion))


def main():
    net_path, trips_path, gap = sys.argv[1], sys.argv[2], float(sys.argv[3])
    toll_w, dist_w = (float(sys.argv[4]), float(sys.argv[5])) if len(sys.argv) > 5 else (0.0, 0.0)
    started = time.perf_counter()
    net, zones, first_thru = read_net(net_path)
    demand = read_trips(trips_path, zones)

    net["link_id"] = np.arange(1, len(net) + 1)
    net["id"] = net["link_id"]
    net["direction"] = 1
    net["fixed_cost"] = toll_w * net["toll"] + dist_w * net["length"]
    # AequilibraE refuses a free-flow time of zero (Chicago-Sketch's centroid connectors):
    # a millionth of a minute instead, which moves the objective by about that per trip
    net["free_flow_time"] = net["free_flow_time"].clip(lower=ZERO_TIME_MIN)
    for col in ("a_node", "b_node"):
        net[col] = net[col].astype(np.int64)
    graph = Graph()
    graph.network = net
    graph.prepare_graph(np.arange(1, zones + 1, dtype=np.int64))
    graph.set_graph("free_flow_time")
    graph.set_skimming(["free_flow_time"])
    graph.set_blocked_centroid_flows(first_thru > 1)

    matrix = AequilibraeMatrix()
    matrix.create_empty(zones=zones, matrix_names=["demand"], memory_only=True)
    matrix.index[:] = np.arange(1, zones + 1)
    matrix.matrices[:, :, 0] = demand
    matrix.computational_view(["demand"])

    car = TrafficClass("car", graph, matrix)
    if toll_w or dist_w:
        car.set_fixed_cost("fixed_cost")
    assignment = TrafficAssignment()
    assignment.set_classes([car])
    assignment.set_vdf("BPR")
    assignment.set_vdf_parameters({"alpha": "b", "beta": "power"})
    assignment.set_capacity_field("capacity")
    assignment.set_time_field("free_flow_time")
    assignment.set_algorithm("bfw")
    assignment.max_iter = 1000
    assignment.rgap_target = gap
    assignment.set_cores(1)

    clock = time.perf_counter()
    assignment.execute(log_specification=False)
    done = time.perf_counter()

    report = assignment.assignment
    flows = assignment.results()["demand_ab"].reindex(net["link_id"]).fillna(0.0).to_numpy()
    print(
        json.dumps(
            {
                "seconds": done - clock,
                "seconds_with_reading": done - started,
                "iterations": int(report.iter),
                "relative_gap": float(report.rgap),
                "objective": beckmann(net, flows, net["fixed_cost"].to_numpy()),
            }
        )
    )


if __name__ == "__main__":
    main()
