#!/usr/bin/python3
"""Writes the small ONNX models tests/unit/sign uses to check the model contract (docs/model.md):
one user-style model that meets it differently from ours (dynamic T, logits, sidecar labels) and
models that break it in one way each.

  /usr/bin/python3 tools/train/make_test_models.py tests/unit/sign/models

Each graph scores class c as the mean over time of input value c (plus a bias of 0.1*c), so a test
can compute the expected scores by hand. The embedding models add a second output: the means over time
of input values 0..2 (not normalised: the server normalises), named `emb`.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def graph_model(t_dim, width, classes, meta=None, rank3=True, embedding=None):
    w = np.zeros((classes, width), dtype=np.float32)  # Gemm with transB = 1, the form OpenCV reads
    for c in range(classes):
        w[c, c] = 1.0
    b = (0.1 * np.arange(classes)).astype(np.float32)
    shape = [1, t_dim, width] if rank3 else [t_dim, width]
    nodes = []
    src = "landmarks"
    if not rank3:
        nodes.append(helper.make_node("Unsqueeze", [src], ["batched"], axes=[0]))
        src = "batched"
    nodes += [
        helper.make_node("Transpose", [src], ["ft"], perm=[0, 2, 1]),
        helper.make_node("Unsqueeze", ["ft"], ["ft1"], axes=[3]),
        helper.make_node("GlobalAveragePool", ["ft1"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "w", "b"], ["scores"], transB=1),
    ]
    outputs = [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, classes])]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
    if embedding:
        we = np.zeros((3, width), dtype=np.float32)
        for d in range(3):
            we[d, d] = 1.0
        nodes.append(helper.make_node("Gemm", ["flat", "we", "be"], [embedding], transB=1))
        inits += [numpy_helper.from_array(we, "we"), numpy_helper.from_array(np.zeros(3, dtype=np.float32), "be")]
        outputs.append(helper.make_tensor_value_info(embedding, TensorProto.FLOAT, [1, 3]))
    graph = helper.make_graph(
        nodes, "contract_test",
        [helper.make_tensor_value_info("landmarks", TensorProto.FLOAT, shape)], outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="make_test_models")
    model.ir_version = 7
    for key, value in (meta or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model


PROTOTYPES = [[1, 0, 0], [0, 2, 0], [0, 0, 1], [1, 1, 0]]  # the server normalises them


def labels(n):
    return json.dumps([{"word": f"단어{i}", "gloss": f"word {i}"} for i in range(n)], ensure_ascii=False)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/unit/sign/models"
    os.makedirs(out, exist_ok=True)
    models = {
        # Meets the contract the other way: dynamic T, logits out, labels in a sidecar file.
        "dynamic_logits.onnx": graph_model("T", 258, 4, {"sueo.output": "logits", "sueo.trim_margin": "2"}),
        "wrong_width.onnx": graph_model(48, 257, 4, {"sueo.labels": labels(4)}),
        "wrong_rank.onnx": graph_model(48, 258, 4, {"sueo.labels": labels(4)}, rank3=False),
        "no_labels.onnx": graph_model(48, 258, 4),
        "label_mismatch.onnx": graph_model(48, 258, 4, {"sueo.labels": labels(3)}),
        "bad_output_kind.onnx": graph_model(48, 258, 4, {"sueo.labels": labels(4), "sueo.output": "softmax"}),
        # A second output named in metadata, with a prototype per label.
        "embedding.onnx": graph_model(48, 258, 4, {"sueo.labels": labels(4), "sueo.embedding": "emb",
                                                   "sueo.prototypes": json.dumps(PROTOTYPES)}, embedding="emb"),
        "embedding_unnamed.onnx": graph_model(48, 258, 4, {"sueo.labels": labels(4)}, embedding="emb"),
        "embedding_bad_prototypes.onnx": graph_model(
            48, 258, 4, {"sueo.labels": labels(4), "sueo.embedding": "emb",
                         "sueo.prototypes": json.dumps(PROTOTYPES[:3])}, embedding="emb"),
    }
    for name, model in models.items():
        onnx.save(model, os.path.join(out, name))
    with open(os.path.join(out, "dynamic_logits.labels.json"), "w", encoding="utf-8") as f:
        f.write(labels(4) + "\n")
    print(f"wrote {len(models)} models to {out}")


if __name__ == "__main__":
    main()
