#!/usr/bin/env python3
"""Fuzzes ONNX Runtime through Inferis with single-operator models, to find what kills the engine.

Three kinds of models, each written to a folder with a spec of the run to make (spec.json):
  load     every operator of opsets 1 to 21, inputs of random shapes (a third of them constants of edge values),
           random attributes: the model is only stored (ONNX Runtime's shape inference, and nodes of constants it
           computes ahead, run as a model loads)
  empties  every operator with each of its inputs made empty inside the model (a Slice of a client tensor whose
           starts and ends meet), the others client tensors: stored and run
  runs     random operators on client tensors of random shapes and edge values, inputs of undeclared shapes: stored
           and run
probe (FUZZ_VERBOSE=1: every error printed) stores (and runs) each model in a server started with engine-isolation, so that a crash ends the engine
process only and is answered "the engine process died": it prints one line a crash (or a store or run that did not
answer in two minutes) and exits 1 if there was any.

  python3 onnx_fuzz.py load --seed 1 --count 2000 --out /tmp/fz/load1
  python3 onnx_fuzz.py probe /tmp/fz/load1 --port 7100
Needs onnx, numpy and redis (pip install onnx numpy redis); probe runs bin/inferis-server (built first if needed).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto as T, defs, helper as h, numpy_helper as nh

TYPES = {"tensor(float)": T.FLOAT, "tensor(double)": T.DOUBLE, "tensor(int64)": T.INT64, "tensor(int32)": T.INT32,
         "tensor(uint8)": T.UINT8, "tensor(int8)": T.INT8, "tensor(bool)": T.BOOL}
NAMES = {T.FLOAT: "FLOAT", T.DOUBLE: "DOUBLE", T.INT64: "INT64", T.INT32: "INT32", T.UINT8: "UINT8", T.INT8: "INT8",
         T.BOOL: "BOOL"}
NUMPY = {"FLOAT": np.float32, "DOUBLE": np.float64, "INT64": np.int64, "INT32": np.int32, "UINT8": np.uint8,
         "INT8": np.int8, "BOOL": np.bool_}
LIMITS = {T.INT64: (-2**63, 2**63 - 1), T.INT32: (-2**31, 2**31 - 1), T.INT8: (-128, 127), T.UINT8: (0, 255),
          T.BOOL: (0, 1)}
EDGE_INTS = [0, 1, 2, 3, -1, -2, 7, 823, 2**31 - 1, -2**31, 2**40, 2**62, -2**63, 2**63 - 1]
EDGE_FLOATS = [0.0, 1.0, -1.0, 0.5, 1e30, -1e30, float("nan"), float("inf"), -float("inf")]
STRINGS = ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "", "constant", "reflect", "edge", "linear", "nearest",
           "cubic", "half_pixel", "...ij,...jk->...ik", "ij->", "i,i", "mean", "sum", "none", "DCR", "CRD", "max"]
A = defs.OpSchema.AttrType
OPTIONAL = defs.OpSchema.FormalParameterOption.Optional
VARIADIC = defs.OpSchema.FormalParameterOption.Variadic


def schemas(every_version):
    found = {}
    for schema in defs.get_all_schemas_with_history():
        if schema.domain != "" or schema.since_version > 21 or schema.deprecated:
            continue
        if any(a.required and a.type in (A.GRAPH, A.GRAPHS) for a in schema.attributes.values()):
            continue
        key = (schema.name, schema.since_version) if every_version else schema.name
        if key not in found or found[key].since_version < schema.since_version:
            found[key] = schema
    return [found[key] for key in sorted(found)]


def element_type(param, schema, chosen):
    if param.type_str not in chosen:
        allowed = [TYPES[param.type_str]] if param.type_str in TYPES else []
        for constraint in schema.type_constraints:
            if constraint.type_param_str == param.type_str:
                allowed = [TYPES[t] for t in constraint.allowed_type_strs if t in TYPES]
        chosen[param.type_str] = random.choice(allowed) if allowed else None
    return chosen[param.type_str]


def values(element, shape):
    count = int(np.prod(shape)) if shape else 1
    if element in (T.FLOAT, T.DOUBLE):
        return [random.choice(EDGE_FLOATS) for _ in range(count)]
    low, high = LIMITS[element]
    return [min(max(random.choice(EDGE_INTS), low), high) for _ in range(count)]


def attribute(a, wild):
    if a.type == A.INT:
        return random.choice(EDGE_INTS if wild else [0, 1, 2, -1, 3])
    if a.type == A.INTS:
        return [random.choice(EDGE_INTS if wild else [0, 1, 2, -1]) for _ in range(random.randint(0 if wild else 1, 5))]
    if a.type == A.FLOAT:
        return random.choice([0.0, 1.0, -1.0, 1e30, float("nan"), 0.5])
    if a.type == A.FLOATS:
        return [random.choice([0.0, 1.0, -1.0, 1e30]) for _ in range(random.randint(0, 4))]
    if a.type == A.STRING:
        return random.choice(STRINGS)
    if a.type == A.STRINGS:
        return [random.choice(STRINGS) for _ in range(random.randint(0, 3))]
    return None


def save(folder, index, schema, nodes, inputs, initializers, outputs, spec, feed):
    graph = h.make_graph(nodes, "g", inputs, [h.make_empty_tensor_value_info(o) for o in outputs], initializers)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", max(schema.since_version, 13
                                                                      if feed is not None else 7))])
    model.ir_version = 10
    path = os.path.join(folder, f"{index:05d}_{schema.name}_{schema.since_version}.onnx")
    onnx.save(model, path)
    spec[os.path.basename(path)] = feed


def make_load(folder, count, spec):
    shapes = [[], [1], [3], [2, 3], [7, 6, 1, 5], [1, 1, 1], [0, 2], [2, 1, 3, 2, 1], ["N", 3], [1, 3, 4, 4], [0]]
    every = schemas(every_version=True)
    made = 0
    while made < count:
        schema = random.choice(every)
        inputs, initializers, names, chosen = [], [], [], {}
        for i, param in enumerate(schema.inputs):
            if param.option == OPTIONAL and random.random() < 0.3:
                names.append("")
                continue
            for k in range(random.randint(1, 3) if param.option == VARIADIC else 1):
                element = element_type(param, schema, chosen)
                if element is None:
                    break
                shape, name = random.choice(shapes), f"in{i}_{k}"
                if random.random() < 0.35 and all(isinstance(d, int) for d in shape):
                    data = np.array(values(element, shape), dtype=object).reshape(shape)
                    initializers.append(nh.from_array(data.astype(NUMPY[NAMES[element]]), name))
                else:
                    inputs.append(h.make_tensor_value_info(name, element, shape))
                names.append(name)
        while names and names[-1] == "":
            names.pop()
        attributes = {a.name: attribute(a, wild=True) for a in schema.attributes.values()
                      if a.required or random.random() < 0.5}
        outputs = [f"out{j}" for j in range(max(1, sum(o.option != OPTIONAL for o in schema.outputs)))]
        try:
            node = h.make_node(schema.name, names, outputs,
                               **{k: v for k, v in attributes.items() if v is not None})
            save(folder, made, schema, [node], inputs, initializers, outputs, spec, None)
            made += 1
        except (ValueError, TypeError, OverflowError):
            continue


def client_inputs(schema, empty_at, shapes):
    """Inputs the client sends (the one at empty_at sliced empty inside the model); None when a type has no tensor."""
    inputs, nodes, names, feed, chosen = [], [], [], {}, {}
    for i, param in enumerate(schema.inputs):
        if param.option == OPTIONAL and (empty_at is not None or random.random() < 0.4):
            names.append("")
            continue
        element = element_type(param, schema, chosen)
        if element is None:
            return None
        shape = random.choice(shapes)
        feed[f"x{i}"] = [NAMES[element], shape, values(element, shape)]
        inputs.append(h.make_tensor_value_info(f"x{i}", element, None))
        names.append(f"x{i}")
        if i == empty_at:
            for cut in ("s", "e", "axis"):
                inputs.append(h.make_tensor_value_info(cut, T.INT64, [1]))
                feed[cut] = ["INT64", [1], [random.randrange(len(shape)) if cut == "axis" and shape else 0]]
            nodes.append(h.make_node("Slice", [f"x{i}", "s", "e", "axis"], [f"z{i}"]))
            names[-1] = f"z{i}"
    while names and names[-1] == "":
        names.pop()
    return inputs, nodes, names, feed


def make_runs(folder, count, spec, empties):
    shapes = [[], [1], [3], [2, 3], [1, 3, 4, 4], [2, 1, 3], [4], [1, 1]]
    latest = [s for s in schemas(every_version=False) if s.name not in ("Constant", "RandomNormal", "RandomUniform")]
    plan = [(s, i) for s in latest for i in range(sum(p.option != OPTIONAL for p in s.inputs))] if empties else None
    made = 0
    while made < (len(plan) if empties else count):
        schema, empty_at = plan[made] if empties else (random.choice(latest), None)
        made_inputs = client_inputs(schema, empty_at, [[3], [2, 3], [1, 3, 4, 4]] if empties else shapes)
        if made_inputs is None or not made_inputs[2]:
            if empties:
                made += 1
            continue
        inputs, nodes, names, feed = made_inputs
        attributes = {} if empties else {a.name: attribute(a, wild=False) for a in schema.attributes.values()
                                         if a.required or random.random() < 0.3}
        outputs = [f"y{j}" for j in range(max(1, sum(o.option != OPTIONAL for o in schema.outputs)))]
        try:
            nodes.append(h.make_node(schema.name, names, outputs,
                                     **{k: v for k, v in attributes.items() if v is not None}))
            save(folder, made, schema, nodes, inputs, [], outputs, spec, feed)
        except (ValueError, TypeError, OverflowError):
            pass
        made += 1


def probe(folder, port):
    import redis
    home = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../../.."))
    spec = json.load(open(os.path.join(folder, "spec.json")))

    def start():
        server = subprocess.Popen([os.path.join(home, "bin/inferis-server"), "--port", str(port), "--save", "",
                                   "--engine-isolation", "yes"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = redis.Redis(port=port, socket_timeout=120)  # a store or run past two minutes is a hang
        for _ in range(600):
            try:
                client.execute_command("AI.TENSORSET", "__probe", "FLOAT", 1)
                return server, client
            except redis.exceptions.RedisError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    server, client = start()
    crashes = 0
    try:
        for name, feed in sorted(spec.items()):
            try:
                client.execute_command("AI.MODELSTORE", "__model", "ONNX", "CPU", "BLOB",
                                       open(os.path.join(folder, name), "rb").read())
                if feed is not None:
                    for key, (dtype, shape, data) in feed.items():
                        tensor = np.zeros(shape) if data is None else np.array(data, dtype=np.float64 if dtype in ("FLOAT", "DOUBLE") else object)
                        client.execute_command("AI.TENSORSET", "__" + key, dtype, *shape, "BLOB",
                                               tensor.astype(NUMPY[dtype]).reshape(shape).tobytes())
                    client.execute_command("AI.MODELEXECUTE", "__model", "INPUTS", len(feed),
                                           *["__" + key for key in feed], "OUTPUTS", 1, "__output")
            except redis.exceptions.ResponseError as e:
                if os.environ.get("FUZZ_VERBOSE"):
                    print(f"{name}: {e}", flush=True)
                if "engine process died" in str(e):
                    crashes += 1
                    print(f"CRASH {name}: {e}", flush=True)
            except redis.exceptions.TimeoutError:
                crashes += 1
                print(f"HANG {name}: no answer in two minutes", flush=True)
                server.kill()
                server.wait()
                server, client = start()
            except redis.exceptions.ConnectionError as e:
                crashes += 1
                print(f"CRASH {name} (the server itself): {e}", flush=True)
                server.wait()
                server, client = start()
    finally:
        server.terminate()
        server.wait()
    print(f"{len(spec)} models, {crashes} crashes")
    return 1 if crashes else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["load", "empties", "runs", "probe"])
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--port", type=int, default=7100)
    args = parser.parse_args()
    if args.kind == "probe":
        sys.exit(probe(args.folder, args.port))
    random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    spec = {}
    if args.kind == "load":
        make_load(args.out, args.count, spec)
    else:
        make_runs(args.out, args.count, spec, empties=args.kind == "empties")
    json.dump(spec, open(os.path.join(args.out, "spec.json"), "w"))
    print(f"{len(spec)} models in {args.out}")


if __name__ == "__main__":
    main()
