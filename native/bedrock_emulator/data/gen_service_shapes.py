"""Writes service_shapes.json: the input shapes of the bedrock-runtime operations the emulator
serves, with their constraints, taken from botocore's service model (the same Smithy model
Bedrock's server validates against).

Run: python3 gen_service_shapes.py [path/to/botocore/data/bedrock-runtime/2023-09-30/service-2.json.gz]
(default: the botocore of the Python running it). Documentation strings are dropped.
"""

import gzip
import json
import os
import sys

OPERATIONS = ["Converse", "ConverseStream", "CountTokens", "InvokeModel", "InvokeModelWithResponseStream",
              "ApplyGuardrail", "StartAsyncInvoke", "GetAsyncInvoke", "ListAsyncInvokes"]
KEEP = ["type", "required", "min", "max", "pattern", "enum", "sensitive", "union", "payload"]


def main():
    if len(sys.argv) > 1:
        path = sys.argv[1]
        version = "unknown"
    else:
        import botocore

        path = os.path.join(os.path.dirname(botocore.__file__), "data/bedrock-runtime/2023-09-30/service-2.json.gz")
        version = botocore.__version__
    with gzip.open(path) as f:
        model = json.load(f)
    shapes = model["shapes"]
    out, todo = {}, []
    ops = {}
    for op in OPERATIONS:
        ops[op] = model["operations"][op]["input"]["shape"]
        todo.append(ops[op])
    while todo:
        name = todo.pop()
        if name in out:
            continue
        s = shapes[name]
        entry = {k: s[k] for k in KEEP if k in s}
        if s.get("document"):
            entry["type"] = "document"
        if "members" in s:
            entry["members"] = []
            for member, ref in s["members"].items():
                m = [member, ref["shape"]]
                if "location" in ref:
                    m += [ref["location"], ref.get("locationName", member)]
                entry["members"].append(m)
                todo.append(ref["shape"])
        for part in ("member", "key", "value"):
            if part in s:
                entry[part] = s[part]["shape"]
                todo.append(s[part]["shape"])
        out[name] = entry
    doc = {
        "source": f"botocore {version} data/bedrock-runtime/2023-09-30/service-2.json.gz (uid "
        f"{model['metadata']['uid']}), reduced by data/gen_service_shapes.py",
        "operations": ops,
        "shapes": dict(sorted(out.items())),
    }
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "service_shapes.json"), "w") as f:
        # One shape per line: reviewable diffs when the model changes.
        f.write('{"source": %s,\n"operations": %s,\n"shapes": {\n' % (json.dumps(doc["source"]), json.dumps(ops)))
        f.write(",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in doc["shapes"].items()))
        f.write("\n}}\n")
    print(len(out), "shapes")


if __name__ == "__main__":
    main()
