"""The classifier network and its ONNX export (contract: docs/model.md)."""
import json

import onnx
import torch
from torch import nn

from sueo_prep import DEFAULT_TRIM_MARGIN, FRAME, Preprocess

OPSET = 11  # OpenCV 4.6's ONNX importer reads opset 11 graphs (Reduce/Clip/Slice attribute forms)


class TemporalCNN(nn.Module):
    """Preprocess (in-graph normalisation) -> three temporal convolutions -> mean over time -> linear
    -> softmax. Convolutions are Conv2d with (k, 1) kernels over [B, F, T, 1]: the 2-D form is the
    one every OpenCV DNN backend handles. ReLU only (Debian torch 1.13's GELU backward is unreliable,
    see notes/training-baseline.md).

    With `embed_dim` > 0 the model has a second output, `embedding`: the pooled features (the
    encoder's output, [B, width]) L2-normalised. Training shapes them with a supervised contrastive
    loss applied, as in Khosla et al., to a projection head (two linear layers, ReLU between, to
    `embed_dim`) that is used in training only: for words never trained on, the encoder's features
    served few-shot matching better than the projection (tools/train/fewshot_dev.py, KETI-6's words
    left out, 5-way k = 3: 87.2 % vs 80.6 %). The L2 norm is x / sqrt(x.x @ ones): the sum is a
    MatMul with a constant of ones, because OpenCV 4.6 cannot broadcast a Div of [1, D] by [1, 1]
    (docs/model.md)."""

    def __init__(self, classes, frames, width=128, dropout=0.3, embed_dim=0):
        super().__init__()
        self.frames = frames
        self.prep = Preprocess(frames)
        f = self.prep.features

        def block(cin, cout, k):
            return nn.Sequential(nn.Conv2d(cin, cout, (k, 1), padding=(k // 2, 0), bias=False),
                                 nn.BatchNorm2d(cout), nn.ReLU())

        self.body = nn.Sequential(block(f, width, 5), block(width, width, 5), nn.MaxPool2d((2, 1)),
                                  block(width, width, 3), nn.AdaptiveAvgPool2d(1))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, classes)
        self.embed_dim = embed_dim
        if embed_dim:
            self.embed = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, embed_dim))
            self.register_buffer("embed_ones", torch.ones(width, width))
            self.register_buffer("project_ones", torch.ones(embed_dim, embed_dim))

    def features(self, x):
        h = self.prep(x).permute(0, 2, 1).unsqueeze(3)  # [B, F, T, 1]
        return self.body(h).flatten(1)

    def logits(self, x):
        return self.head(self.dropout(self.features(x)))

    def embedding_of(self, h):
        """The exported embedding: the pooled features, L2-normalised."""
        return h / torch.sqrt(torch.matmul(h * h, self.embed_ones) + 1.0e-12)

    def projection_of(self, h):
        """Where the contrastive loss is applied (training only)."""
        e = self.embed(h)
        return e / torch.sqrt(torch.matmul(e * e, self.project_ones) + 1.0e-12)

    def logits_and_embedding(self, x):
        """Logits and the contrastive projection, for the training losses."""
        h = self.features(x)
        return self.head(self.dropout(h)), self.projection_of(h)

    def forward(self, x):
        if not self.embed_dim:
            return torch.softmax(self.logits(x), dim=1)
        h = self.features(x)
        return torch.softmax(self.head(h), dim=1), self.embedding_of(h)


# The shape of the training videos' frames (docs/model.md §5): KSL-77 is 640×360; emergency-10 and
# KETI-6 ship landmarks only, and their hip-to-shoulder height over shoulder width in image units implies
# a width/height of 1.87 and 2.16 given KSL-77's proportions (not 4:3's 1.33). The server stretches
# landmarks of frames of another shape to it (src/sign/aspect.h).
TRAINING_FRAME_ASPECT = "16:9"


def export_onnx(model, path, frames, labels, extra_meta=None, trim_margin=DEFAULT_TRIM_MARGIN):
    """Writes the model with its contract in metadata_props: labels (word + gloss), frames, trim
    margin, output kind."""
    model.eval()
    example = torch.zeros(1, frames, FRAME)
    outputs = ["scores", "embedding"] if getattr(model, "embed_dim", 0) else ["scores"]
    torch.onnx.export(model, example, path, opset_version=OPSET, input_names=["landmarks"],
                      output_names=outputs, do_constant_folding=True)
    proto = onnx.load(path)
    _drop_identities(proto)
    meta = {
        "sueo.labels": json.dumps(labels, ensure_ascii=False),
        "sueo.trim_margin": str(trim_margin),
        "sueo.output": "probabilities",
        "sueo.layout": "holistic258",
        "sueo.frame_aspect": TRAINING_FRAME_ASPECT,
    }
    if len(outputs) > 1:
        meta["sueo.embedding"] = "embedding"  # which output is the embedding (docs/model.md §4)
    meta.update(extra_meta or {})
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key = key
        entry.value = value
    proto.producer_name = "sueo tools/train"
    onnx.checker.check_model(proto)
    onnx.save(proto, path)
    return proto


def _drop_identities(proto):
    """torch's exporter shares equal constants through Identity nodes (e.g. the zero biases of an
    untrained model); OpenCV 4.6 cannot import an Identity fed by an initializer, so give each
    consumer its own copy of the constant instead."""
    graph = proto.graph
    inits = {t.name: t for t in graph.initializer}
    for node in [n for n in graph.node if n.op_type == "Identity" and n.input[0] in inits]:
        copy = graph.initializer.add()
        copy.CopyFrom(inits[node.input[0]])
        copy.name = node.output[0]
        graph.node.remove(node)
